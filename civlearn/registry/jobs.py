"""Registry imports as jobs (人事資料匯入作業): the file is stored, a job row queued, and the import
(services.registry_import, all or nothing) runs in a Celery task through the job machinery of core/jobs.py — the same
claim, heartbeat, reclaim and recorded language as the hours uploads. Without a broker the task runs in-process after
the commit.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from civlearn.core import clock
from civlearn.core import jobs as core_jobs
from civlearn.core.national_id import mask_in_text
from civlearn.core.services import audit_record
from civlearn.registry import importing, services
from civlearn.registry.models import RegistryImportJob
from civlearn.registry.selectors import can_import

logger = logging.getLogger(__name__)

# The job keeps this many problems for its page; error_count says how many there were in all.
MAX_STORED_ERRORS = 2000


def jobs_visible_to(user) -> QuerySet[RegistryImportJob]:
    """A person's own import jobs; operators and staff see every job."""
    if user is None or not user.is_authenticated:
        return RegistryImportJob.objects.none()
    if user.is_superuser or user.is_staff:
        return RegistryImportJob.objects.all()
    return RegistryImportJob.objects.filter(created_by=user)


def registry_import_job_create(
    *, actor, kind: str, upload: File, dry_run: bool, enqueue: bool = True
) -> RegistryImportJob:
    """Store the file and queue its import. Raises PermissionDenied for someone who may not import at all (the
    agencies each row may touch are checked when the job runs, as the synchronous import does). `actor` None is a
    server-side operator (`manage.py import_registry`). With `enqueue=False` the caller runs the job itself
    (`registry_import_job_run`), as the command does unless told `--queue`."""
    if not can_import(actor):
        raise PermissionDenied(services.NO_PERMISSION)
    if kind not in importing.KINDS:
        raise ValidationError({"kind": [_("匯入資料種類不正確")]})
    name = (upload.name or "").rsplit("/", 1)[-1]
    with transaction.atomic():
        job = RegistryImportJob(
            kind=kind,
            dry_run=dry_run,
            file_name=name[:200],
            created_by=actor,
            created_at=clock.now(),
            language=core_jobs.job_language(),
        )
        job.file.save(name, upload, save=False)
        job.save()
        audit_record(
            actor=actor,
            action="registry.import_job_create",
            subject=job,
            changes={"kind": [None, kind], "file_name": [None, job.file_name], "dry_run": [None, dry_run]},
        )
        if enqueue:
            transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from civlearn.registry import tasks

    tasks.run_registry_import_job.delay(job_id)


def registry_import_job_run(job_id: int) -> None:
    """Run one queued import. Safe to call twice: only the call that claims the job does the work. The import and
    the job's outcome commit together, and only while the job is still this run's."""
    started = core_jobs.job_claim(RegistryImportJob, job_id)
    if started is None:
        return
    job = RegistryImportJob.objects.select_related("created_by").get(pk=job_id)
    # The row errors and the failure message are written in the language recorded with the job.
    with core_jobs.speaking(job):
        _run_claimed(job, started)


def _run_claimed(job: RegistryImportJob, started: dt.datetime) -> None:
    job_id = job.pk
    try:
        with (
            core_jobs.Heartbeat(model=RegistryImportJob, job_id=job_id, started_at=started),
            transaction.atomic(),
        ):
            with job.file.open("rb") as handle:
                result = services.registry_import(
                    kind=job.kind, file=handle, filename=job.file_name, actor=job.created_by, dry_run=job.dry_run
                )
            _finish(job, result)
    except core_jobs.JobLost:
        logger.warning("registry import job %s was reclaimed while it ran; its writes were rolled back", job_id)
    except Exception as exc:
        logger.exception("registry import job %s failed", job_id)
        core_jobs.still_ours(job).update(
            status=RegistryImportJob.FAILED,
            finished_at=clock.now(),
            message=mask_in_text(core_jobs.FAILED_MESSAGE.format(error=type(exc).__name__)),
        )


def _finish(job: RegistryImportJob, result: services.ImportResult) -> None:
    outcome = {
        **result.counts(),
        "ignored_columns": result.ignored_columns,
        "error_count": len(result.errors),
        "errors": [
            {"row": error.row, "column": error.column, "message": mask_in_text(error.message)}
            for error in result.errors[:MAX_STORED_ERRORS]
        ],
    }
    status = RegistryImportJob.DONE if result.ok else RegistryImportJob.REVIEW
    ours = core_jobs.still_ours(job).update(status=status, progress=100, finished_at=clock.now(), result=outcome)
    if not ours:
        raise core_jobs.JobLost


def registry_import_jobs_reclaim() -> list[int]:
    """Mark failed every running import whose worker is gone (core/jobs.py); called by the job pages and by
    `hours_jobs reclaim`."""
    return core_jobs.jobs_reclaim(RegistryImportJob, action="registry.import_job_reclaim")
