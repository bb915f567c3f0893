"""PostgreSQL vacuums the ledger after every 1 % of new rows (at least 10,000) instead of the default 20 %.

The ledger only grows, so autovacuum is triggered by inserts alone, and by default only once 20 % of the table is
new: at 10 million rows, 2 million rows (this year's, the ones summaries read most) would sit on pages the
visibility map does not yet mark all-visible, and each of them sends an index-only scan on
hours_ledger_person_year_cov (0005) back to the table. Vacuuming an append-only table reads only those new pages,
so doing it often is cheap. SQLite has no such setting.
"""

from django.db import migrations

_TABLE = "hours_ledgerentry"


def set_autovacuum(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE {_TABLE} SET (autovacuum_vacuum_insert_scale_factor = 0.01, "
            "autovacuum_vacuum_insert_threshold = 10000)"
        )


def reset_autovacuum(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE {_TABLE} RESET (autovacuum_vacuum_insert_scale_factor, autovacuum_vacuum_insert_threshold)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("hours", "0006_ledger_person_fk_without_own_index"),
    ]

    operations = [migrations.RunPython(set_autovacuum, reset_autovacuum, elidable=False)]
