"""Two ledger indexes become partial: `created_by` and the reversal's uniqueness are set only on corrections, so
nearly every row holds NULL in both, and their full indexes held millions of NULLs that every insert paid for (about
a third of PostgreSQL's work per uploaded row at 10 million records; docs/adr/0008-hours-upload-streamed-copy.md).

`reverses` stays a OneToOneField in the model: its rule (a record is reversed at most once) is the same with a
partial unique index, since NULLs never conflict. On PostgreSQL the unique constraint Django made is replaced by
`UNIQUE … WHERE reverses_id IS NOT NULL`; SQLite keeps its inline constraint (it cannot drop one, and small ledgers
do not need it). A later migration that alters `reverses` must account for the index name here."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

_TABLE = "hours_ledgerentry"


def _reverses_partial(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        # The name Django gave the unique constraint, found rather than assumed.
        cursor.execute(
            "SELECT con.conname FROM pg_constraint con JOIN pg_attribute att"
            " ON att.attrelid = con.conrelid AND att.attnum = ANY(con.conkey)"
            " WHERE con.conrelid = %s::regclass AND con.contype = 'u' AND att.attname = 'reverses_id'"
            " AND array_length(con.conkey, 1) = 1",
            [_TABLE],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE {_TABLE} DROP CONSTRAINT "{name}"')
        cursor.execute(
            f"CREATE UNIQUE INDEX hours_ledger_reverses_unique ON {_TABLE} (reverses_id) WHERE reverses_id IS NOT NULL"
        )


def _reverses_full(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX hours_ledger_reverses_unique")
        cursor.execute(f"ALTER TABLE {_TABLE} ADD CONSTRAINT hours_ledgerentry_reverses_id_key UNIQUE (reverses_id)")


class Migration(migrations.Migration):
    dependencies = [
        ("hours", "0007_ledger_autovacuum_after_inserts"),
        ("registry", "0002_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="ledgerentry",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="建立者",
            ),
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(
                condition=models.Q(("created_by__isnull", False)), fields=["created_by"], name="hours_ledger_created_by"
            ),
        ),
        migrations.RunPython(_reverses_partial, _reverses_full, elidable=False),
    ]
