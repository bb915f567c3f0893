"""Institution uploads as jobs: create (file stored, job queued), run (parse, check, commit), commit the valid rows.

A job runs in a Celery task (tasks.py) enqueued on commit; without a broker the task runs in-process through the
same code. Running claims the job with a conditional update, so a task delivered twice does the work once.
Rows are written in bulk with the ledger's unique (source_kind, source_reference) key absorbing repeats, and one
audit event records the whole job (a row-per-row event would double the cost of an upload).
A job records the uploader's language when it is queued and runs in it, so its row errors read in that language.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from civlearn.core import clock
from civlearn.core import jobs as core_jobs
from civlearn.core.national_id import mask_in_text
from civlearn.core.services import audit_record
from civlearn.hours import batch, ledger_copy, rules
from civlearn.hours.institutions import selectors as institution_selectors
from civlearn.hours.models import ImportJob, LedgerEntry
from civlearn.identity import selectors as identity_selectors
from civlearn.identity.selectors import agencies_managed_by
from civlearn.registry.models import Agency, Person

logger = logging.getLogger(__name__)

# The report keeps this many problems; error_count says how many there were in all.
MAX_STORED_ERRORS = 5000
MAX_FILE_BYTES = 50 * 1024 * 1024
_CHUNK = 5000


# ---- who may upload -----------------------------------------------------------------------------------------


def upload_institutions(user: AbstractBaseUser) -> QuerySet[Agency]:
    """The institutions `user` may upload for: operators any; otherwise agencies where they hold a provider or HR
    role (with sub-agencies where the role says so), and the codes of the approved institutions they are members of."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Agency.objects.none()
    if user.is_superuser:
        return Agency.objects.all()
    ids = set(agencies_managed_by(user, identity_selectors.PROVIDER).values_list("pk", flat=True))
    ids |= set(agencies_managed_by(user, identity_selectors.HR_OFFICER).values_list("pk", flat=True))
    # Administrators and staff of approved institutions upload as the institution's code.
    ids |= institution_selectors.agency_ids_of(user)
    return Agency.objects.filter(pk__in=ids)


def may_upload_for(user: AbstractBaseUser, institution: Agency) -> bool:
    return upload_institutions(user).filter(pk=institution.pk).exists()


def jobs_visible_to(user: AbstractBaseUser) -> QuerySet[ImportJob]:
    """A person's own jobs and those of the institutions they act for; operators see all."""
    if user is None or not user.is_authenticated:
        return ImportJob.objects.none()
    queryset = ImportJob.objects.select_related("institution", "created_by")
    if user.is_superuser:
        return queryset
    return queryset.filter(Q(created_by=user) | Q(institution__in=upload_institutions(user)))


# ---- the operations -----------------------------------------------------------------------------------------


def import_job_create(*, user: AbstractBaseUser, institution: Agency, upload: UploadedFile) -> ImportJob:
    """Store the file and queue its job. Raises PermissionDenied or ValidationError ({field: [message]})."""
    if not may_upload_for(user, institution):
        raise PermissionDenied(_("您沒有以此學習機關(構)上傳時數的權限"))
    name = (upload.name or "").rsplit("/", 1)[-1]
    if not name.lower().endswith((".csv", ".txt")):
        raise ValidationError({"file": [_("請上傳 CSV 檔（副檔名 .csv）")]})
    if upload.size == 0:
        raise ValidationError({"file": [_("檔案是空的")]})
    if upload.size > MAX_FILE_BYTES:
        raise ValidationError(
            {"file": [_("檔案超過 {megabytes} MB，請分批上傳").format(megabytes=MAX_FILE_BYTES // (1024 * 1024))]}
        )
    with transaction.atomic():
        job = ImportJob(
            institution=institution,
            created_by=user,
            file_name=name[:200],
            created_at=clock.now(),
            language=core_jobs.job_language(),
        )
        job.file.save(name, upload, save=False)
        job.save()
        audit_record(
            actor=user,
            action="hours.import_job_create",
            subject=job,
            changes={"institution": [None, institution.code], "file_name": [None, job.file_name]},
        )
        _enqueue(job.pk)
    return job


def import_job_commit_valid(*, job: ImportJob, user: AbstractBaseUser) -> ImportJob:
    """Queue the job again to commit only its valid rows ("只匯入正確的資料列")."""
    if not jobs_visible_to(user).filter(pk=job.pk).exists() or not may_upload_for(user, job.institution):
        raise PermissionDenied(_("您沒有處理此批次上傳的權限"))
    with transaction.atomic():
        # The run that commits writes its messages again, in the language of whoever asked for it.
        claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.REVIEW, valid_rows__gt=0).update(
            status=ImportJob.QUEUED, commit_valid_only=True, progress=0, language=core_jobs.job_language()
        )
        if not claimed:
            raise ValidationError({"job": [_("此批次上傳目前沒有可匯入的正確資料列")]})
        audit_record(
            actor=user,
            action="hours.import_job_commit_valid",
            subject=job,
            changes={"commit_valid_only": [False, True]},
        )
        _enqueue(job.pk)
    job.refresh_from_db()
    return job


def _enqueue(job_id: int) -> None:
    from civlearn.hours import tasks

    transaction.on_commit(lambda: tasks.run_import_job.delay(job_id))


def import_job_retry(*, job: ImportJob, user: AbstractBaseUser) -> ImportJob:
    """Queue a failed job again ("重新執行"): its stored file is read afresh. A failed run wrote nothing (each run
    commits in one transaction), and rows already in the ledger are not written twice (the unique key)."""
    if not jobs_visible_to(user).filter(pk=job.pk).exists() or not may_upload_for(user, job.institution):
        raise PermissionDenied(_("您沒有處理此批次上傳的權限"))
    with transaction.atomic():
        claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.FAILED).update(
            status=ImportJob.QUEUED,
            progress=0,
            message="",
            started_at=None,
            heartbeat_at=None,
            finished_at=None,
            language=core_jobs.job_language(),
        )
        if not claimed:
            raise ValidationError({"job": [_("只有處理失敗的批次上傳可以重新執行")]})
        audit_record(
            actor=user, action="hours.import_job_retry", subject=job, changes={"status": [job.status, ImportJob.QUEUED]}
        )
        _enqueue(job.pk)
    job.refresh_from_db()
    return job


def import_job_run(job_id: int) -> None:
    """Do one queued job. Safe to call twice: only the call that moves it from queued to running does the work.

    While it runs, a Heartbeat stamps the row; a run whose row was meanwhile reclaimed (its heartbeat looked dead)
    or claimed again writes nothing (the writes check that the row is still this run's, `_still_ours`).
    """
    started = core_jobs.job_claim(ImportJob, job_id)
    if started is None:
        return
    job = ImportJob.objects.select_related("institution", "created_by").get(pk=job_id)
    with core_jobs.speaking(job):
        _run_claimed(job, started)


def _run_claimed(job: ImportJob, started: dt.datetime) -> None:
    job_id = job.pk
    try:
        with core_jobs.Heartbeat(model=ImportJob, job_id=job_id, started_at=started):
            _run(job)
    except JobLost:
        logger.warning("hours import job %s was reclaimed while it ran; its rows were rolled back", job_id)
    except Exception as exc:
        logger.exception("hours import job %s failed", job_id)
        _still_ours(job).update(
            status=ImportJob.FAILED,
            finished_at=clock.now(),
            message=mask_in_text(core_jobs.FAILED_MESSAGE.format(error=type(exc).__name__)),
        )


# ---- workers that died --------------------------------------------------------------------------------------


def import_jobs_reclaim() -> list[int]:
    """Mark failed every running upload whose worker is gone (core/jobs.py `jobs_reclaim`); return their ids.

    Called by the job pages (so a person watching sees it at once) and by `hours_jobs reclaim` (cron or Celery beat,
    every minute). Each reclaimed job is audited.
    """
    return core_jobs.jobs_reclaim(ImportJob, action="hours.import_job_reclaim")


_still_ours = core_jobs.still_ours
JobLost = core_jobs.JobLost


def _progress(job_id: int, share: float) -> None:
    ImportJob.objects.filter(pk=job_id).update(progress=max(0, min(99, int(share * 100))))


def _run(job: ImportJob) -> None:
    with job.file.open("rb") as handle:
        data = handle.read()
    book = rules.book()
    # Streaming needs a second connection that sees what this one sees: only outside an outer transaction (a
    # Celery worker, or an in-process task run on commit), never inside one (where the side would see nothing).
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        try:
            _run_streamed(job, data, book)
            return
        except ledger_copy.CONFLICTS:
            logger.info("hours import job %s met a concurrent upload of the same rows; retrying", job.pk)
            ImportJob.objects.filter(pk=job.pk).update(progress=0)
    _run_in_memory(job, data, book)


def _counts(result: batch.ParseResult) -> dict:
    return {
        "encoding": result.encoding,
        "total_rows": result.total_rows,
        "valid_rows": result.valid_count,
        "invalid_rows": result.invalid_count,
        "error_count": len(result.errors),
        "errors": [error.as_dict() for error in result.errors[:MAX_STORED_ERRORS]],
    }


def _finish(job: ImportJob, result: batch.ParseResult, created: int) -> None:
    """Mark the job done and audit it, in the transaction that wrote its rows."""
    duplicates = result.valid_count - created
    ours = _still_ours(job).update(
        status=ImportJob.DONE,
        progress=100,
        finished_at=clock.now(),
        created_rows=created,
        duplicate_rows=duplicates,
        **_counts(result),
    )
    if not ours:
        # Reclaimed while it ran (its heartbeat was late): the person was told nothing was written, so nothing is.
        raise JobLost
    audit_record(
        actor=job.created_by,
        action="hours.import_job_commit",
        subject=job,
        changes={
            "status": [job.status, ImportJob.DONE],
            "created_rows": [0, created],
            "duplicate_rows": [0, duplicates],
            "invalid_rows_left_out": [0, result.invalid_count],
        },
    )


def _to_review(job: ImportJob, result: batch.ParseResult) -> None:
    # Nothing is committed from a file with errors until the person chooses to commit its valid rows.
    _still_ours(job).update(status=ImportJob.REVIEW, progress=100, finished_at=clock.now(), **_counts(result))


def _run_streamed(job: ImportJob, data: bytes, book: rules.RuleBook) -> None:
    """PostgreSQL: read, check and COPY the rows in one pass (ledger_copy.py). Raises one of
    ledger_copy.CONFLICTS, with everything rolled back, when a concurrent upload wrote some of the same rows."""
    result = batch.ParseResult()
    lines = ledger_copy.CopyLines(
        book=book, institution_code=job.institution.code, source_kind=LedgerEntry.SOURCE_UPLOAD, created_at=clock.now()
    )
    side = ledger_copy.SideConnection()

    def write(chunk: list[batch.UploadRow]) -> int:
        present = side.present([row.source_reference for row in chunk], INSTITUTION_KINDS)
        fresh = [row for row in chunk if row.source_reference not in present]
        copy.write(lines.lines(fresh))
        return len(fresh)

    try:
        with transaction.atomic():
            with (
                connection.cursor() as cursor,
                ledger_copy.copy(cursor, lines) as copy,
                # One thread asks which references are new and sends the chunk while this one reads the next: the
                # question waits on the index's pages, which the COPY's own unique check then finds in memory.
                ThreadPoolExecutor(max_workers=1) as writer,
            ):
                written = []
                for chunk in batch.iter_upload(
                    data,
                    result=result,
                    institution_code=job.institution.code,
                    category_codes_for=codes_lookup(book),
                    people_for=side.people,
                    today=clock.today(),
                    progress=lambda done, expected: side.progress(job.pk, int(95 * done / expected)),
                ):
                    result.rows.extend(chunk)
                    if result.errors and not job.commit_valid_only:
                        continue  # the file goes to review and this transaction is rolled back: write no more
                    written.append(writer.submit(write, chunk))
                created = sum(future.result() for future in written)
            review = bool(result.errors) and not job.commit_valid_only
            if review:
                transaction.set_rollback(True)
            else:
                _finish(job, result, created)
    finally:
        side.close()
    if review:
        _to_review(job, result)


def _run_in_memory(job: ImportJob, data: bytes, book: rules.RuleBook) -> None:
    """Parse the whole file, then write its rows with commit_rows, which tolerates rows written concurrently."""
    result = batch.parse_upload(
        data,
        institution_code=job.institution.code,
        category_codes_for=codes_lookup(book),
        people_for=people_lookup,
        today=clock.today(),
        # Parsing is most of the time: it takes the first 80 % of the bar.
        progress=lambda done, expected: _progress(job.pk, 0.8 * done / expected),
    )
    if result.errors and not job.commit_valid_only:
        _to_review(job, result)
        return
    _progress(job.pk, 0.8)
    with transaction.atomic():
        created = len(commit_rows(result.rows, institution_code=job.institution.code, book=book))
        _finish(job, result, created)


# ---- helpers shared with the API ----------------------------------------------------------------------------


def codes_lookup(book: rules.RuleBook):
    """`category_codes_for(day)`: the codes of the table in force on that day (empty when none is)."""
    cached: dict[dt.date, object] = {}

    def codes_for(day: dt.date):
        if day not in cached:
            table = book.table_for(day)
            cached[day] = book.codes.get(table[0], {}) if table else {}
        return cached[day]

    return codes_for


def people_lookup(ids: Iterable[str]) -> dict[str, int]:
    ids = list(ids)
    found: dict[str, int] = {}
    for start in range(0, len(ids), _CHUNK):
        found.update(
            Person.objects.filter(national_id__in=ids[start : start + _CHUNK]).values_list("national_id", "pk")
        )
    return found


# An institution's record is the same learning whether it came in a file or through the API: both channels use
# the same reference, and each checks the other's rows before writing.
INSTITUTION_KINDS = (LedgerEntry.SOURCE_UPLOAD, LedgerEntry.SOURCE_API)


def existing_references(references: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(references), _CHUNK):
        found.update(
            LedgerEntry.objects.filter(
                source_kind__in=INSTITUTION_KINDS, source_reference__in=references[start : start + _CHUNK]
            ).values_list("source_reference", flat=True)
        )
    return found


def commit_rows(
    rows: Sequence[batch.UploadRow],
    *,
    institution_code: str,
    book: rules.RuleBook,
    source_kind: str = LedgerEntry.SOURCE_UPLOAD,
    actor: AbstractBaseUser | None = None,
) -> set[str]:
    """Write checked rows to the ledger in bulk; return the references written. Call inside a transaction.

    Rows are the parser's output, so they hold the same checks `ledger_entry_record` makes. A row whose reference
    is already in the ledger is left as it is (the ledger is append-only; a correction is a reversal).
    """
    if not rows:
        return set()
    if connection.vendor == "postgresql":
        # The database checks both channels' keys itself, in the INSERT (no round trips per chunk).
        fresh = list(rows)
    else:
        present = existing_references([row.source_reference for row in rows])
        fresh = [row for row in rows if row.source_reference not in present]
    now = clock.now()
    zone = batch.local_zone()
    tables: dict[dt.date, int] = {}
    values = []
    for row in fresh:
        day = row.actual_end.astimezone(zone).date()
        if day not in tables:
            table = book.table_for(day)
            assert table is not None, "the parser only passes codes of a table in force"
            tables[day] = table[0]
        values.append(
            (
                row.person_id, day.year, row.course_name, row.course_code, row.period, institution_code,
                tables[day], row.category_code, row.mode, row.digital_hours, row.physical_hours,
                row.certified_hours, row.hours_unit, row.course_start, row.course_end, row.actual_start,
                row.actual_end, row.score[:20], row.certificate_no[:100], row.attendance_note[:200], row.job_related,
                row.self_applied_leave, row.county_code, row.degree_credit, source_kind, row.source_reference, "",
                actor.pk if actor is not None else None, now,
            )
        )  # fmt: skip
    if connection.vendor == "postgresql":
        return _insert_by_copy(values)
    # ignore_conflicts: a concurrent upload of the same rows may have won the race since the lookup above; the
    # unique key keeps one copy and this job's "created" count is then one too high.
    LedgerEntry.objects.bulk_create(
        [LedgerEntry(**dict(zip(_LEDGER_COLUMNS, row, strict=True))) for row in values],
        batch_size=500,
        ignore_conflicts=True,
    )
    return {row[25] for row in values}


_LEDGER_COLUMNS = (
    "person_id", "year", "course_name", "course_code", "period", "institution_code", "category_table_id",
    "category_code", "mode", "digital_hours", "physical_hours", "certified_hours", "hours_unit", "course_start",
    "course_end", "actual_start", "actual_end", "score", "certificate_no", "attendance_note", "job_related",
    "self_applied_leave", "county_code", "degree_credit", "source_kind", "source_reference", "reason",
    "created_by_id", "created_at",
)  # fmt: skip


def _insert_by_copy(values: list[tuple]) -> set[str]:
    """PostgreSQL: COPY into a scratch table, then one INSERT … ON CONFLICT DO NOTHING RETURNING, which says
    exactly which references this call wrote (a concurrent upload's rows are left out, not double counted)."""
    # The SQL below is built from the constant column list only; the values travel through COPY.
    columns = ", ".join(_LEDGER_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS hours_upload_stage ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {columns} FROM hours_ledgerentry WITH NO DATA"
        )
        cursor.execute("TRUNCATE hours_upload_stage")
        with cursor.connection.cursor().copy(f"COPY hours_upload_stage ({columns}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO hours_ledgerentry ({columns}) SELECT {columns} FROM hours_upload_stage s "  # noqa: S608
            "WHERE NOT EXISTS (SELECT 1 FROM hours_ledgerentry l WHERE l.source_kind = ANY(%s) "
            "AND l.source_reference = s.source_reference) "
            "ON CONFLICT (source_kind, source_reference) DO NOTHING RETURNING source_reference",
            [list(INSTITUTION_KINDS)],
        )
        return {reference for (reference,) in cursor.fetchall()}
