"""Celery tasks of the hours app. They take ids and are safe to run twice (the job claims itself)."""

from celery import shared_task


@shared_task(name="hours.run_import_job", ignore_result=True)
def run_import_job(job_id: int) -> None:
    from civlearn.hours import jobs

    jobs.import_job_run(job_id)
