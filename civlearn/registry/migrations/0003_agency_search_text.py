from django.db import migrations, models

from civlearn.core.text import search_fold


def fill(apps, schema_editor):
    Agency = apps.get_model("registry", "Agency")
    changed = []
    for agency in Agency.objects.only("pk", "code", "name").iterator(chunk_size=2000):
        # The same form as registry.models.agency_search_text (a migration cannot call model methods).
        agency.search_text = f"{search_fold(agency.name)} {search_fold(agency.code)}"
        changed.append(agency)
    Agency.objects.bulk_update(changed, ["search_text"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0002_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="agency",
            name="search_text",
            field=models.CharField(default="", editable=False, max_length=220),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
