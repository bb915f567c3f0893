"""Celery tasks of the hours app. They take ids and are safe to run twice (the job claims itself)."""

from celery import shared_task


@shared_task(name="hours.run_import_job", ignore_result=True)
def run_import_job(job_id: int) -> None:
    from civlearn.hours import jobs

    jobs.import_job_run(job_id)


@shared_task(name="hours.gap_digests", ignore_result=True)
def gap_digests() -> None:
    """Periodic (hourly): the HR offices' weekly digests not yet sent this week (hours/gaps_digest.py)."""
    from civlearn.hours import gaps_digest

    gaps_digest.digests_send()
