"""Jobs whose worker died: marked failed after JOB_STALE_SECONDS without a heartbeat, then run again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from civlearn.core import clock
from civlearn.core.models import AuditEvent
from civlearn.hours import jobs
from civlearn.hours.models import ImportJob, LedgerEntry
from civlearn.hours.tests.batch_fixtures import SECOND_ID, csv_file, csv_line
from conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("media_root")
DEAD = "處理程序已中斷（超過 60 秒沒有回應），未匯入任何資料；請按「重新執行」再試一次"


@pytest.fixture
def stuck_job(client, provider, agency, learner_person, second_person, django_capture_on_commit_callbacks):
    """A job at 40 % whose worker stopped beating: what a killed worker leaves (the run's rows rolled back)."""
    assert client.login(username=provider.person.national_id, password=PASSWORD)
    data = csv_file(csv_line(), csv_line(national_id=SECOND_ID, name="李大華"))
    with django_capture_on_commit_callbacks(execute=False):
        client.post(
            "/lifelong/institution/upload", {"institution": agency.pk, "file": SimpleUploadedFile("h.csv", data)}
        )
    job = ImportJob.objects.get()
    started = clock.now()
    ImportJob.objects.filter(pk=job.pk).update(status="running", started_at=started, heartbeat_at=started, progress=40)
    return job


def test_a_running_job_with_a_recent_heartbeat_is_left_alone(client, stuck_job):
    clock.advance(dt.timedelta(seconds=59))

    page = client.get(f"/lifelong/institution/jobs/{stuck_job.pk}/status").content.decode()

    stuck_job.refresh_from_db()
    assert (stuck_job.status, stuck_job.progress, stuck_job.message) == ("running", 40, "")
    assert "處理中" in page
    assert not AuditEvent.objects.filter(action="hours.import_job_reclaim").exists()


def test_a_job_without_a_heartbeat_for_the_stale_bound_is_failed_with_a_reason(client, stuck_job):
    clock.advance(dt.timedelta(seconds=61))

    page = client.get(f"/lifelong/institution/jobs/{stuck_job.pk}/status").content.decode()

    stuck_job.refresh_from_db()
    assert (stuck_job.status, stuck_job.message) == ("failed", DEAD)
    assert DEAD in page
    assert 'data-finished="1"' in page
    event = AuditEvent.objects.get(action="hours.import_job_reclaim")
    assert (event.subject_id, event.changes) == (str(stuck_job.pk), {"status": ["running", "failed"]})
    assert LedgerEntry.objects.count() == 0
    detail = client.get(f"/lifelong/institution/jobs/{stuck_job.pk}").content.decode()
    assert f'action="/lifelong/institution/jobs/{stuck_job.pk}/retry"' in detail


def test_the_person_runs_a_failed_job_again_and_each_row_is_written_once(
    client, stuck_job, django_capture_on_commit_callbacks
):
    clock.advance(dt.timedelta(seconds=61))
    assert jobs.import_jobs_reclaim() == [stuck_job.pk]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/lifelong/institution/jobs/{stuck_job.pk}/retry")

    stuck_job.refresh_from_db()
    assert response["Location"] == f"/lifelong/institution/jobs/{stuck_job.pk}"
    assert (stuck_job.status, stuck_job.created_rows, stuck_job.duplicate_rows, stuck_job.message) == ("done", 2, 0, "")
    assert LedgerEntry.objects.count() == 2
    assert AuditEvent.objects.filter(action="hours.import_job_retry").count() == 1

    # a second retry of a job that is done is refused and changes nothing
    again = client.post(f"/lifelong/institution/jobs/{stuck_job.pk}/retry", follow=True)
    assert "只有處理失敗的批次上傳可以重新執行" in again.content.decode()
    assert LedgerEntry.objects.count() == 2
    assert AuditEvent.objects.filter(action="hours.import_job_retry").count() == 1


def test_another_institution_cannot_run_the_job_again(client, stuck_job, other_provider):
    clock.advance(dt.timedelta(seconds=61))
    jobs.import_jobs_reclaim()
    client.logout()
    assert client.login(username=other_provider.person.national_id, password=PASSWORD)

    response = client.post(f"/lifelong/institution/jobs/{stuck_job.pk}/retry")

    stuck_job.refresh_from_db()
    assert response.status_code == 404
    assert stuck_job.status == "failed"


def test_a_run_reclaimed_while_it_worked_writes_nothing(stuck_job, monkeypatch):
    # given a run that was slow enough to be reclaimed and claimed again by a retry before it finished
    ImportJob.objects.filter(pk=stuck_job.pk).update(status="queued")
    real_run = jobs._run

    def reclaimed_meanwhile(job):
        ImportJob.objects.filter(pk=job.pk).update(status="failed", message="reclaimed")
        real_run(job)

    monkeypatch.setattr(jobs, "_run", reclaimed_meanwhile)

    jobs.import_job_run(stuck_job.pk)

    stuck_job.refresh_from_db()
    assert (stuck_job.status, stuck_job.message) == ("failed", "reclaimed")
    assert LedgerEntry.objects.count() == 0
