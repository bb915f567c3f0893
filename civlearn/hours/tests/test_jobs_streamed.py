"""Import jobs on PostgreSQL outside a transaction, as a worker runs them: rows are COPYed while the file is read.

These tests commit for real (transactional tests), so that the job's second connection sees what the test wrote.
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections

from civlearn.core.models import AuditEvent
from civlearn.hours import batch, jobs, ledger_copy
from civlearn.hours.models import ImportJob, LedgerEntry
from civlearn.hours.tests.batch_fixtures import SECOND_ID, csv_file, csv_line
from civlearn.testing.required import postgresql_only

pytestmark = [pytest.mark.usefixtures("media_root"), pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql_only(db):
    postgresql_only("the streamed COPY path is PostgreSQL's; SQLite runs the in-memory path (test_views_institution)")


@pytest.fixture
def streamed_only(monkeypatch):
    """Fails a test whose job would quietly take the in-memory path instead of the one under test."""

    def refuse(*args, **kwargs):
        raise AssertionError("the in-memory path ran")

    monkeypatch.setattr(jobs, "_run_in_memory", refuse)


def queued(user, institution, data: bytes, django_capture_on_commit_callbacks) -> ImportJob:
    with django_capture_on_commit_callbacks(execute=False):
        return jobs.import_job_create(
            user=user, institution=institution, upload=SimpleUploadedFile("hours.csv", data, "text/csv")
        )


def run(job: ImportJob) -> ImportJob:
    jobs.import_job_run(job.pk)
    job.refresh_from_db()
    return job


TWO_ROWS = (csv_line(), csv_line(national_id=SECOND_ID, name="李大華", mode="2", digital_hours="0", physical_hours="2"))


def test_a_clean_file_is_copied_into_the_ledger_with_the_files_values(
    provider, agency, learner_person, second_person, streamed_only, django_capture_on_commit_callbacks
):
    job = queued(provider, agency, csv_file(*TWO_ROWS), django_capture_on_commit_callbacks)

    job = run(job)

    assert (job.status, job.progress, job.encoding, job.total_rows, job.valid_rows, job.created_rows) == (
        "done", 100, "UTF-8", 2, 2, 2,
    )  # fmt: skip
    assert (job.duplicate_rows, job.invalid_rows, job.error_count, job.errors) == (0, 0, 0, [])
    entry = LedgerEntry.objects.get(person=learner_person)
    assert (entry.source_kind, entry.year, entry.category_table.name, entry.category_code) == (
        "upload", 2024, "2024", "339",
    )  # fmt: skip
    assert (entry.mode, entry.digital_hours, entry.physical_hours, entry.certified_hours) == (
        1, Decimal("2.0"), Decimal("0.0"), Decimal("2.0"),
    )  # fmt: skip
    assert (entry.course_name, entry.course_code, entry.period, entry.institution_code) == (
        "環境教育：氣候變遷與調適", "C-339-01", "1", "A09600000Q",
    )  # fmt: skip
    assert entry.course_start == dt.datetime(2024, 3, 1, 1, 0, tzinfo=dt.UTC)
    assert entry.actual_end == dt.datetime(2024, 3, 21, 3, 0, tzinfo=dt.UTC)
    assert (entry.score, entry.county_code, entry.degree_credit, entry.hours_unit) == ("90", "40", "6", "1")
    assert (entry.job_related, entry.self_applied_leave, entry.reason, entry.created_by_id) == (False, False, "", None)
    assert entry.source_reference == batch.source_reference(
        institution_code="A09600000Q",
        national_id="A123456789",
        course_code="C-339-01",
        course_name="",
        period="1",
        actual_start=entry.actual_start,
        actual_end=entry.actual_end,
    )
    assert LedgerEntry.objects.get(person=second_person).physical_hours == Decimal("2.0")
    (event,) = AuditEvent.objects.filter(action="hours.import_job_commit")
    assert event.changes["created_rows"] == [0, 2]
    assert event.changes["duplicate_rows"] == [0, 0]


def test_text_with_tabs_backslashes_and_line_breaks_arrives_unchanged(
    provider, agency, learner_person, streamed_only, django_capture_on_commit_callbacks
):
    name = "課程\t名稱\\反斜線\r\n第二行"
    row = csv_line(course_name=f'"{name}"', attendance_note="\\N", score="A\\tB")

    job = run(queued(provider, agency, csv_file(row), django_capture_on_commit_callbacks))

    assert (job.status, job.created_rows) == ("done", 1)
    entry = LedgerEntry.objects.get()
    assert (entry.course_name, entry.attendance_note, entry.score) == (name, "\\N", "A\\tB")


def test_a_big5_file(provider, agency, learner_person, streamed_only, django_capture_on_commit_callbacks):
    data = csv_file(csv_line(course_name="公務倫理與廉政"), encoding="cp950")

    job = run(queued(provider, agency, data, django_capture_on_commit_callbacks))

    assert (job.status, job.encoding, job.created_rows) == ("done", "Big5", 1)
    assert LedgerEntry.objects.get().course_name == "公務倫理與廉政"


def test_a_duplicate_row_in_the_file_sends_it_to_review_and_commits_nothing(
    provider, agency, learner_person, second_person, streamed_only, django_capture_on_commit_callbacks
):
    job = run(queued(provider, agency, csv_file(*TWO_ROWS, csv_line()), django_capture_on_commit_callbacks))

    assert (job.status, job.valid_rows, job.invalid_rows, job.created_rows) == ("review", 2, 1, 0)
    assert job.errors == [
        {"row": 4, "column": "", "value": "", "message": "與第 2 列重複（同一人員、課程、期別與實際上課起訖時間）"}
    ]
    assert LedgerEntry.objects.count() == 0
    assert not AuditEvent.objects.filter(action="hours.import_job_commit").exists()

    # when the provider chooses to commit the valid rows
    with django_capture_on_commit_callbacks(execute=False):
        jobs.import_job_commit_valid(job=job, user=provider)
    job = run(job)

    assert (job.status, job.created_rows, job.duplicate_rows, job.invalid_rows) == ("done", 2, 0, 1)
    assert LedgerEntry.objects.count() == 2


def test_rows_already_written_are_rolled_back_when_a_later_row_is_wrong(
    provider, agency, learner_person, second_person, streamed_only, monkeypatch, django_capture_on_commit_callbacks
):
    # given chunks of two rows, so that the first two rows are COPYed before the third is read
    monkeypatch.setattr(batch, "PROGRESS_EVERY", 2)
    copied = []
    lines = ledger_copy.CopyLines.lines
    monkeypatch.setattr(
        ledger_copy.CopyLines, "lines", lambda self, rows: copied.append(len(rows)) or lines(self, rows)
    )
    data = csv_file(*TWO_ROWS, csv_line(period="2", mode="9"))

    job = run(queued(provider, agency, data, django_capture_on_commit_callbacks))

    assert copied == [2]
    assert (job.status, job.progress, job.valid_rows, job.created_rows) == ("review", 100, 2, 0)
    assert [e["message"] for e in job.errors] == ["學習性質代碼不正確，應為 1 數位、2 實體、3 混成、4 遠距"]
    assert LedgerEntry.objects.count() == 0


def test_reuploading_writes_only_the_new_rows(
    provider, agency, learner_person, second_person, streamed_only, django_capture_on_commit_callbacks
):
    run(queued(provider, agency, csv_file(TWO_ROWS[0]), django_capture_on_commit_callbacks))
    first = LedgerEntry.objects.get()

    job = run(queued(provider, agency, csv_file(*TWO_ROWS), django_capture_on_commit_callbacks))
    again = run(queued(provider, agency, csv_file(*TWO_ROWS), django_capture_on_commit_callbacks))

    assert (job.status, job.created_rows, job.duplicate_rows) == ("done", 1, 1)
    assert (again.status, again.created_rows, again.duplicate_rows) == ("done", 0, 2)
    assert LedgerEntry.objects.count() == 2
    assert LedgerEntry.objects.get(person=learner_person) == first


def test_a_row_an_api_client_sent_is_not_written_again(
    provider, agency, learner_person, streamed_only, django_capture_on_commit_callbacks
):
    row = batch.parse_upload(
        csv_file(csv_line()),
        institution_code=agency.code,
        category_codes_for=lambda day: {"339"},
        people_for=lambda ids: {"A123456789": learner_person.pk},
    ).rows[0]
    LedgerEntry.objects.create(
        person=learner_person, year=2024, course_name="API", institution_code=agency.code,
        category_table_id=jobs.rules.book().table_for(dt.date(2024, 3, 21))[0], category_code="339", mode=1,
        digital_hours=2, physical_hours=0, certified_hours=2, actual_start=row.actual_start,
        actual_end=row.actual_end, source_kind="api", source_reference=row.source_reference,
        created_at=row.actual_end,
    )  # fmt: skip

    job = run(queued(provider, agency, csv_file(csv_line()), django_capture_on_commit_callbacks))

    assert (job.status, job.created_rows, job.duplicate_rows) == ("done", 0, 1)
    assert list(LedgerEntry.objects.values_list("course_name", flat=True)) == ["API"]


def test_rows_committed_by_another_upload_after_the_check_send_the_job_to_the_conflict_tolerant_path(
    provider, agency, learner_person, second_person, monkeypatch, django_capture_on_commit_callbacks
):
    # given the file's first row was committed by another upload between this job's check and its COPY
    run(queued(provider, agency, csv_file(TWO_ROWS[0]), django_capture_on_commit_callbacks))
    monkeypatch.setattr(ledger_copy.SideConnection, "present", lambda self, references, kinds: set())
    in_memory = []
    original = jobs._run_in_memory
    monkeypatch.setattr(jobs, "_run_in_memory", lambda *args: in_memory.append(1) or original(*args))

    job = run(queued(provider, agency, csv_file(*TWO_ROWS), django_capture_on_commit_callbacks))

    # then the COPY met the unique key, was rolled back, and the job was done again the slow way
    assert in_memory == [1]
    assert (job.status, job.progress, job.created_rows, job.duplicate_rows) == ("done", 100, 1, 1)
    assert LedgerEntry.objects.count() == 2
    assert AuditEvent.objects.filter(action="hours.import_job_commit").count() == 2


def test_two_workers_uploading_the_same_file_at_once_write_each_row_once(
    provider, agency, learner_person, second_person, django_capture_on_commit_callbacks
):
    rows = [csv_line(period=str(n)) for n in range(300)] + [
        csv_line(national_id=SECOND_ID, name="李大華", period=str(n)) for n in range(300)
    ]
    data = csv_file(*rows)
    pair = [queued(provider, agency, data, django_capture_on_commit_callbacks) for _ in range(2)]
    start = threading.Barrier(2)

    def worker(job_id: int) -> None:
        try:
            start.wait()
            jobs.import_job_run(job_id)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(job.pk,)) for job in pair]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    done = ImportJob.objects.filter(pk__in=[job.pk for job in pair]).order_by("pk")
    assert [(job.status, job.valid_rows) for job in done] == [("done", 600), ("done", 600)]
    assert sum(job.created_rows for job in done) == 600
    assert sum(job.duplicate_rows for job in done) == 600
    assert LedgerEntry.objects.count() == 600


@pytest.fixture(params=[True, False], ids=["set-based checks", "per-row checks"])
def reference_checks(request, settings):
    """Both ways the ledger's foreign keys are checked for a COPY (ledger_copy.copy): once for all rows where the
    connection may set session_replication_role (the tests' superuser may), and row by row where it may not."""
    settings.HOURS_UPLOAD_SET_BASED_CHECKS = request.param
    return request.param


def test_the_references_of_the_copied_rows_are_checked_at_once_and_the_role_is_set_back(
    provider, agency, learner_person, second_person, reference_checks, monkeypatch, streamed_only,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    checked = []
    original = ledger_copy.check_references
    monkeypatch.setattr(
        ledger_copy,
        "check_references",
        lambda cursor, lines: checked.append(lines.person_ids) or original(cursor, lines),
    )

    job = run(queued(provider, agency, csv_file(*TWO_ROWS), django_capture_on_commit_callbacks))

    assert (job.status, job.created_rows) == ("done", 2)
    assert checked == ([{learner_person.pk, second_person.pk}] if reference_checks else [])
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone() == ("origin",)


def test_a_person_gone_before_the_commit_fails_the_job_and_writes_nothing(
    provider, agency, learner_person, second_person, reference_checks, monkeypatch, streamed_only,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    # given the second person's record was removed from the registry after the file's people were looked up
    gone = second_person.pk + 1000
    people = ledger_copy.SideConnection.people
    monkeypatch.setattr(
        ledger_copy.SideConnection,
        "people",
        lambda self, ids: {k: (gone if v == second_person.pk else v) for k, v in people(self, ids).items()},
    )

    job = run(queued(provider, agency, csv_file(*TWO_ROWS), django_capture_on_commit_callbacks))

    assert job.status == "failed"
    assert "IntegrityError" in job.message
    assert LedgerEntry.objects.count() == 0
    assert not AuditEvent.objects.filter(action="hours.import_job_commit").exists()


def test_a_code_table_gone_before_the_commit_fails_the_job(
    provider, agency, learner_person, reference_checks, monkeypatch, streamed_only, django_capture_on_commit_callbacks
):
    real = ledger_copy.CopyLines._moments_text

    def missing_table(self, *moments):
        text = real(self, *moments)
        self.table_ids = {table + 1000 for table in self.table_ids}
        return text.rsplit("\t", 1)[0] + f"\t{next(iter(self.table_ids))}"

    monkeypatch.setattr(ledger_copy.CopyLines, "_moments_text", missing_table)

    job = run(queued(provider, agency, csv_file(csv_line()), django_capture_on_commit_callbacks))

    assert (job.status, LedgerEntry.objects.count()) == ("failed", 0)


def test_every_foreign_key_the_copy_writes_is_checked_at_once():
    written = {
        field.column
        for field in LedgerEntry._meta.concrete_fields
        if field.is_relation and field.column in ledger_copy.COLUMNS
    }
    checked = {"person_id", "category_table_id", "created_by_id"}
    assert written == checked, "add the new key to ledger_copy.check_references (docs/adr/0010)"
