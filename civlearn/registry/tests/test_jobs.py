"""Registry imports as job rows (registry/jobs.py) on the shared job machinery (core/jobs.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from civlearn.core import clock
from civlearn.core.models import AuditEvent
from civlearn.registry import jobs
from civlearn.registry.models import Person, RegistryImportJob
from civlearn.registry.tests.files import PERSON_HEADER, csv_file

pytestmark = pytest.mark.django_db

ROWS = [
    PERSON_HEADER,
    ["A123456789", "王小明", "0610101", "A09600000Q", "1040801", "11-一般人員", "公務人員", "xiaoming@example.tw"],
]


def _upload(rows=ROWS) -> SimpleUploadedFile:
    return SimpleUploadedFile("p.csv", csv_file(rows).getvalue())


def test_a_job_is_queued_then_run_once_with_its_outcome(hr_officer, agency):
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        job = jobs.registry_import_job_create(actor=hr_officer, kind="persons", upload=_upload(), dry_run=False)
    assert (job.status, job.file_name, job.created_by) == (RegistryImportJob.QUEUED, "p.csv", hr_officer)
    assert len(queued) == 1
    assert AuditEvent.objects.filter(action="registry.import_job_create", actor=hr_officer).count() == 1

    jobs.registry_import_job_run(job.pk)
    jobs.registry_import_job_run(job.pk)  # a second delivery does nothing

    job.refresh_from_db()
    assert (job.status, job.progress) == (RegistryImportJob.DONE, 100)
    assert job.result["rows"] == 1 and job.result["created"] == 1 and job.result["errors"] == []
    assert Person.objects.get(national_id="A123456789").name == "王小明"
    assert AuditEvent.objects.filter(action="registry.import_persons").count() == 1


def test_a_file_with_errors_ends_in_review_and_writes_nothing(hr_officer, agency):
    rows = [*ROWS, ["A123456789", "重複", "0610101", "A09600000Q", "1040801", "", "", ""]]
    job = jobs.registry_import_job_create(actor=hr_officer, kind="persons", upload=_upload(rows), dry_run=False)

    jobs.registry_import_job_run(job.pk)

    job.refresh_from_db()
    assert job.status == RegistryImportJob.REVIEW
    assert job.result["error_count"] == len(job.result["errors"]) >= 1
    assert "A123456789" not in str(job.result)  # stored messages carry no full national ID
    assert not Person.objects.filter(national_id="A123456789").exists()


def test_a_learner_cannot_queue_an_import(learner):
    with pytest.raises(PermissionDenied):
        jobs.registry_import_job_create(actor=learner, kind="persons", upload=_upload(), dry_run=False)
    assert not RegistryImportJob.objects.exists()


def test_a_job_whose_worker_died_is_marked_failed_with_a_trace(hr_officer, agency, settings):
    settings.JOB_STALE_SECONDS = 60
    job = jobs.registry_import_job_create(actor=hr_officer, kind="persons", upload=_upload(), dry_run=False)
    long_ago = clock.now() - dt.timedelta(minutes=5)
    RegistryImportJob.objects.filter(pk=job.pk).update(
        status=RegistryImportJob.RUNNING, started_at=long_ago, heartbeat_at=long_ago
    )

    assert jobs.registry_import_jobs_reclaim() == [job.pk]

    job.refresh_from_db()
    assert job.status == RegistryImportJob.FAILED
    assert job.message == "處理程序已中斷（超過 60 秒沒有回應），未匯入任何資料；請按「重新執行」再試一次"
    assert AuditEvent.objects.filter(action="registry.import_job_reclaim", subject_id=str(job.pk)).count() == 1


def test_the_job_page_is_the_uploaders_own(client, hr_officer, other_hr_officer, agency):
    job = jobs.registry_import_job_create(actor=hr_officer, kind="persons", upload=_upload(), dry_run=False)

    client.force_login(other_hr_officer)
    assert client.get(f"/registry/import/jobs/{job.pk}").status_code == 404
    client.force_login(hr_officer)
    page = client.get(f"/registry/import/jobs/{job.pk}").content.decode()
    assert "排隊中" in page and 'data-finished="0"' in page
    status = client.get(f"/registry/import/jobs/{job.pk}/status").content.decode()
    assert status.startswith('<div id="job-status" data-finished="0"')
