"""Institution upload jobs from the command line.

manage.py hours_jobs reclaim      mark failed the running jobs whose worker died (no heartbeat for
                                  JOB_STALE_SECONDS); run it every minute from cron or Celery beat
manage.py hours_jobs run JOB_ID   run one queued job in this process (what the Celery task does)
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from civlearn.hours import jobs
from civlearn.hours.models import ImportJob


class Command(BaseCommand):
    help = "Reclaim upload jobs whose worker died, or run one queued job in the foreground."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("reclaim", help="mark failed the running jobs without a recent heartbeat")
        run = actions.add_parser("run", help="run one queued job in this process")
        run.add_argument("job_id", type=int)

    def handle(self, *args, action: str, **options):
        if action == "reclaim":
            reclaimed = jobs.import_jobs_reclaim()
            self.stdout.write(f"reclaimed: {' '.join(map(str, reclaimed)) or 'none'}")
            return
        job_id = options["job_id"]
        if not ImportJob.objects.filter(pk=job_id).exists():
            raise CommandError(f"no upload job {job_id}")
        jobs.import_job_run(job_id)
        job = ImportJob.objects.get(pk=job_id)
        self.stdout.write(f"job {job_id}: {job.status} (created {job.created_rows}, duplicates {job.duplicate_rows})")
