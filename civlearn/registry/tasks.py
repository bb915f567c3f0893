"""Celery tasks of the registry. They take ids and are safe to run twice (the job claims itself)."""

from celery import shared_task


@shared_task(name="registry.run_import_job", ignore_result=True)
def run_registry_import_job(job_id: int) -> None:
    from civlearn.registry import jobs

    jobs.registry_import_job_run(job_id)
