"""Databases migrated before 0002 gained 521 資通安全(專業、職能) get it here; fresh databases already have it.

521 sits under 520 資通安全 in the inferred 2024 table; 資通安全(專業、職能) counts 521 and 54, and
當前政府重大政策 counts 510 and 520 (docs/hours-rules.md explains why the manual's figures need this).
"""

from django.db import migrations


def forward(apps, schema_editor):
    CategoryTable = apps.get_model("hours", "CategoryTable")
    Category = apps.get_model("hours", "Category")
    ReportingCategory = apps.get_model("hours", "ReportingCategory")
    RequirementRule = apps.get_model("hours", "RequirementRule")

    table = CategoryTable.objects.filter(name="2024").first()
    if table is None or not Category.objects.filter(table=table, code="520").exists():
        return  # an operator replaced the inferred table: leave it as loaded
    Category.objects.get_or_create(
        table=table, code="521", defaults={"parent_code": "520", "name": "資通安全(專業、職能)", "level": 3}
    )
    row = ReportingCategory.objects.filter(key="infosec-professional").first()
    if row is not None and row.codes.get("2024") == ["54"]:
        row.codes = {**row.codes, "2024": ["521", "54"]}
        row.save(update_fields=["codes"])
    for rule in RequirementRule.objects.filter(key="policy", agency__isnull=True, year_from=2024):
        if rule.codes.get("2024") == ["510"]:
            rule.codes = {**rule.codes, "2024": ["510", "520"]}
            rule.save(update_fields=["codes"])


class Migration(migrations.Migration):
    dependencies = [("hours", "0003_import_jobs_clients_reminders_announcements")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
