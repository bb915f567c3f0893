"""The ledger's person foreign key loses its own index: hours_ledger_person_year_cov (0005) begins with person_id
and serves every lookup by person, so the single-column index only cost each insert (and ≈ 200 MB at 10 million
rows). Dropping an index is quick, but it waits for the ledger's open transactions."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("hours", "0005_ledger_covering_person_year_index"),
        ("registry", "0002_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ledgerentry",
            name="person",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="ledger_entries",
                to="registry.person",
                verbose_name="人員",
            ),
        ),
    ]
