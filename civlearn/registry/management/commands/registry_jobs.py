"""Registry import jobs from the command line.

manage.py registry_jobs reclaim      mark failed the running imports whose worker died (no heartbeat for
                                     JOB_STALE_SECONDS); run it every minute from cron or Celery beat
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from civlearn.registry import jobs


class Command(BaseCommand):
    help = "Reclaim registry import jobs whose worker died."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("reclaim", help="mark failed the running imports without a recent heartbeat")

    def handle(self, *args, action: str, **options):
        reclaimed = jobs.registry_import_jobs_reclaim()
        self.stdout.write(f"reclaimed: {' '.join(map(str, reclaimed)) or 'none'}")
