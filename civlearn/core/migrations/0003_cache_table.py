"""The shared cache's table (settings.CACHES, the database cache used when REDIS_URL is unset).

Created by migrate, so that `manage.py migrate` alone readies a new installation; `createcachetable` skips a table
that exists, so running it again (./run does) is harmless."""

from django.core.management import call_command
from django.db import migrations


# Named here rather than read from settings.CACHES: the table must exist whichever cache the migrating process uses
# (the test process keeps a local one), because the servers that share this database use it.
CACHE_TABLE = "civlearn_cache"


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", CACHE_TABLE, database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
