"""The (person, year) index of the ledger becomes a covering index, so a yearly summary is an index-only scan.

On PostgreSQL the index is built and the old one dropped CONCURRENTLY: a plain CREATE INDEX on a national ledger
(10 million rows) would block every ledger write for minutes. CONCURRENTLY cannot run inside a transaction, hence
`atomic = False`; SQLite has no such option and gets the plain operations.
"""

from django.db import migrations, models


class AddIndexOnline(migrations.AddIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_index(model, self.index, concurrently=True)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, concurrently=True)


class RemoveIndexOnline(migrations.RemoveIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            index = from_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
            schema_editor.remove_index(model, index, concurrently=True)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            index = to_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
            schema_editor.add_index(model, index, concurrently=True)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("hours", "0004_infosec_professional_code"),
    ]

    # The new index first, so queries by (person, year) always have one.
    operations = [
        AddIndexOnline(
            model_name="ledgerentry",
            index=models.Index(
                fields=["person", "year"],
                include=(
                    "category_table",
                    "category_code",
                    "mode",
                    "certified_hours",
                    "job_related",
                    "self_applied_leave",
                ),
                name="hours_ledger_person_year_cov",
            ),
        ),
        RemoveIndexOnline(model_name="ledgerentry", name="hours_ledger_person_year"),
    ]
