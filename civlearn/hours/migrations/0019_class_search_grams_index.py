"""The class search's keyword index: `search_grams` (the two-character pieces of the folded search text), filled for
the classes already published, and on PostgreSQL a GIN index over its 'simple' tsvector. SQLite gets the column and
no index (its search scans, as before). Also an index on the registration period for 「開放報名中」."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models

from civlearn.core.text import search_grams


class AddIndexOnPostgreSQL(migrations.AddIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def fill_grams(apps, schema_editor):
    ClassOffering = apps.get_model("hours", "ClassOffering")
    offerings = list(ClassOffering.objects.only("pk", "search_text"))
    for offering in offerings:
        offering.search_grams = search_grams(offering.search_text)
    ClassOffering.objects.bulk_update(offerings, ["search_grams"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("hours", "0018_class_supervisor_and_grade_range"),
        ("registry", "0006_person_supervisor_and_rank"),
    ]

    operations = [
        migrations.AddField(
            model_name="classoffering",
            name="search_grams",
            field=models.TextField(default="", editable=False, verbose_name="搜尋用字組"),
        ),
        migrations.RunPython(fill_grams, migrations.RunPython.noop),
        AddIndexOnPostgreSQL(
            model_name="classoffering",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.SearchVector("search_grams", config="simple"),
                name="hours_class_search_grams",
            ),
        ),
        migrations.AddIndex(
            model_name="classoffering",
            index=models.Index(
                fields=["registration_closes", "registration_opens"], name="hours_class_registration_open"
            ),
        ),
    ]
