"""Measure the hours portal on the data sets bench/hours_generate.py builds. Prints figures; asserts nothing.

    .venv/bin/python bench/hours_measure.py                     # civlearn_hours_bench and civlearn_hours_bench_small
    .venv/bin/python bench/hours_measure.py --upload-rows 100000
    .venv/bin/python bench/hours_measure.py --only upload --rounds 6     # the upload part alone, 3 rounds

1. A person's yearly summary (selectors.year_summary: the query and the arithmetic), server time, median and p95
   of 300 distinct random people, on the full database and on the 10,000-record one, in `--rounds` rounds (5) that
   take turns between the two; the ratio of the medians of the rounds' medians; the
   CPU per summary of the measuring process and of its PostgreSQL backend (from /proc), which a busy machine moves
   less than wall-clock times; and the plans of the same queries (index-only scan, heap fetches, buffers).
2. The HR report (hr.agency_report) of the 5,000-staff agency: median of 10 runs.
3. The batch upload: a 25-column CSV of new records for existing people, run as an import job
   (jobs.import_job_run: parse, check, commit, progress, audit), in rows/s and CPU seconds; then PostgreSQL COPY of
   the same rows into the same table, and the ratio, in `--rounds` / 2 rounds (2). Both sets of rows (and the job)
   are deleted after each round. BENCH_PER_ROW_CHECKS=1 runs the job with the foreign keys checked row by row (as
   before docs/adr/0010-hours-upload-set-based-reference-check.md). WAL per row is the server's WAL position moved during each (every database's
   writes count, so run it on an otherwise idle server), with the full-page images among them (pg_stat_wal).
4. A 100,000-row .xlsx export: the rows read and laid out as the institution export (exports.institution_rows) and
   written by xlsx_stream (docs/adr/0004-hours-streamed-xlsx-for-large-exports.md), wall-clock and CPU; openpyxl's
   time for the same rows too with BENCH_OPENPYXL=1.

Each database part runs in its own process (Django reads DATABASE_URL once); results come back as JSON lines.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from proc_cpu import cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_SERVER_URL", "postgres://postgres@127.0.0.1:5432")


def setup(database: str) -> None:
    os.environ["DATABASE_URL"] = f"{SERVER}/{database}"
    os.environ.setdefault("CIVLEARN_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civlearn.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def part_summary(samples: int) -> dict:
    import random

    from civlearn.hours import rules, selectors
    from civlearn.registry.models import Person

    ids = list(Person.objects.values_list("pk", flat=True))
    rng = random.Random(7)
    # Distinct people on both databases (the small one has 350): each summary reads a person's rows afresh, as
    # the next request of a running server would. 20 others warm the connection first.
    picked = rng.sample(ids, min(samples + 20, len(ids)))
    warm, chosen = picked[:20], picked[20:]
    people = Person.objects.in_bulk(picked)
    book = rules.book()
    for person in people.values():
        # A running server has the rules of every agency worked out; the full data set spreads the people over
        # 501 agencies and the small one has them all in one, so without this only the full one would pay for it.
        book.rules_for(year=2024, agency_id=person.agency_id)
    for person_id in warm:
        selectors.year_summary(person=people[person_id], year=2024)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    timings = []
    cpu_before = time.process_time(), cpu_seconds([backend])
    for person_id in chosen:
        started = time.perf_counter()
        summary = selectors.year_summary(person=people[person_id], year=2024)
        timings.append(time.perf_counter() - started)
    app_cpu, backend_cpu = time.process_time() - cpu_before[0], cpu_seconds([backend]) - cpu_before[1]
    from civlearn.hours.models import LedgerEntry

    # How the same queries were answered: an index-only scan with no heap fetches is what the covering index and a
    # vacuumed ledger give; heap fetches mean pages not yet marked all-visible (VACUUM the ledger).
    plans, heap_fetches, buffers = set(), 0, 0
    with connection.cursor() as cursor:
        for person_id in chosen:
            sql, params = selectors._fact_rows(person_id=person_id, year=2024).query.sql_with_params()
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0][0]["Plan"]
            plans.add(plan["Node Type"])
            heap_fetches += plan.get("Heap Fetches", 0)
            buffers += plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0)
    return {
        "plans": sorted(plans),
        "heap_fetches": heap_fetches,
        "buffers_per_summary": round(buffers / len(chosen), 1),
        "records": LedgerEntry.objects.count(),
        "median_ms": ms(statistics.median(timings)),
        "p95_ms": ms(statistics.quantiles(timings, n=20)[-1]),
        # CPU per summary, whatever else runs: this process (query building, rows, arithmetic) and its PostgreSQL
        # backend (the scan; reading a page from the OS cache is system time there).
        "app_cpu_ms": ms(app_cpu / len(chosen)),
        "db_cpu_ms": ms(backend_cpu / len(chosen)),
        "rows_in_last_summary": len(summary.rows),
    }


def _bench_hr_user():
    from civlearn.identity.models import AgencyRole, User
    from civlearn.registry.models import Agency

    agency = Agency.objects.get(code="BENCH00000")
    user = User.objects.filter(username="benchhr").first() or User.objects.create_user("benchhr", None)
    AgencyRole.objects.get_or_create(user=user, agency=agency, role=AgencyRole.HR_OFFICER)
    return user, agency


def part_report(runs: int) -> dict:
    from civlearn.hours import hr

    user, _agency = _bench_hr_user()
    hr.agency_report(user=user, year=2024)
    timings = []
    for _ in range(runs):
        user = type(user).objects.get(pk=user.pk)  # a fresh request's user: no cached agency list
        started = time.perf_counter()
        report = hr.agency_report(user=user, year=2024)
        timings.append(time.perf_counter() - started)
    short = sum(1 for row in report.rows if not row.all_met)
    return {"staff": len(report.rows), "short": short, "median_ms": ms(statistics.median(timings)),
            "max_ms": ms(max(timings))}  # fmt: skip


def _upload_file(rows: int, tag: str) -> bytes:
    from civlearn.registry.models import Person

    people = list(Person.objects.order_by("pk").values_list("national_id", "name")[:50_000])
    return upload_csv(people, rows, tag)


def upload_csv(people: list[tuple[str, str]], rows: int, tag: str) -> bytes:
    """An institution's 25-column upload of `rows` rows over `people` (national ID, name), as exporters write it."""
    from civlearn.hours import batch

    lines = [",".join(batch.header_row())]
    for index in range(rows):
        national, name = people[index % len(people)]
        day = 1 + index % 28
        values = {
            "national_id": national, "course_name": f"上傳測試課程{index % 100}", "course_start_date": "113-03-01",
            "course_start_time": "09:00:00", "course_end_date": "113-03-31", "course_end_time": "17:00:00",
            "name": name, "degree_credit": "6", "category_code": "339", "county_code": "40",
            "period": f"{tag}-{index // len(people)}", "certified_hours": "2", "hours_unit": "1", "score": "90",
            "certificate_no": "", "attendance_note": "", "birthday": "", "mode": "1", "digital_hours": "2",
            "physical_hours": "0", "course_code": f"U{index % 100:03d}", "actual_start_date": f"113-04-{day:02d}",
            "actual_start_time": "09:00:00", "actual_end_date": f"113-04-{day:02d}", "actual_end_time": "11:00:00",
        }  # fmt: skip
        lines.append(",".join(values[c.key] for c in batch.COLUMNS))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _wal() -> tuple[int, int]:
    """The server's WAL insert position (bytes) and how many full-page images it has written so far (pg_stat_wal,
    which a backend updates when its transaction ends)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint, (SELECT wal_fpi FROM pg_stat_wal)"
        )
        return cursor.fetchone()


def _backend_cpu() -> float:
    """User + system CPU seconds of this process's PostgreSQL backend so far (from /proc, same machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    return cpu_seconds([pid])


COPY_SQL = (
    "COPY hours_ledgerentry (person_id, year, course_name, course_code, period, institution_code, category_table_id, "
    "category_code, mode, digital_hours, physical_hours, certified_hours, hours_unit, course_start, course_end, "
    "actual_start, actual_end, score, certificate_no, attendance_note, job_related, self_applied_leave, county_code, "
    "degree_credit, source_kind, source_reference, reason, created_at) FROM STDIN"
)


def _copy_tuples(data: bytes, institution, book, prefix: str) -> list[tuple]:
    """The file's rows as COPY_SQL's values, with references of their own: the SHA-256 of `prefix` + the upload's,
    so that they are as random as an upload's (a common prefix would put them side by side in the unique index,
    the cheap case, where an upload's own keys land all over it)."""
    import hashlib

    from civlearn.core import clock
    from civlearn.hours import batch, jobs

    def own(reference: str) -> str:
        return hashlib.sha256((prefix + reference).encode()).hexdigest()

    result = batch.parse_upload(
        data,
        institution_code=institution.code,
        category_codes_for=jobs.codes_lookup(book),
        people_for=jobs.people_lookup,
        today=clock.today(),
    )
    table_id = book.table_for(result.rows[0].actual_end.date())[0]
    now = clock.now()
    return [
        (r.person_id, r.actual_end.year, r.course_name, r.course_code, r.period, institution.code, table_id,
         r.category_code, r.mode, r.digital_hours, r.physical_hours, r.certified_hours, r.hours_unit, r.course_start,
         r.course_end, r.actual_start, r.actual_end, r.score, r.certificate_no, r.attendance_note, r.job_related,
         r.self_applied_leave, r.county_code, r.degree_credit, "upload", own(r.source_reference), "", now)
        for r in result.rows
    ]  # fmt: skip


def part_upload(rows: int) -> dict:
    """An import job of `rows` new rows, run as the task runs it (jobs.import_job_run: parse, check, commit, audit),
    then COPY of the same rows. CPU seconds are this process's and its PostgreSQL backend's (the job's own
    connection, and apart that of its second connection, which answers the look-ups)."""
    from django.conf import settings
    from django.core.files.base import ContentFile
    from django.db import connection, transaction

    if os.environ.get("BENCH_PER_ROW_CHECKS"):  # the ledger's foreign keys checked row by row, as before ADR 0010
        settings.HOURS_UPLOAD_SET_BASED_CHECKS = False

    from civlearn.core import clock
    from civlearn.hours import jobs, ledger_copy, rules
    from civlearn.hours.models import ImportJob, LedgerEntry
    from civlearn.identity.models import User
    from civlearn.registry.models import Agency

    tag = f"b{int(time.time())}"
    data = _upload_file(rows, tag)
    book = rules.book()
    institution = Agency.objects.filter(code="BENCH00001").first() or Agency.objects.order_by("pk").first()
    user = User.objects.filter(username="benchupload").first() or User.objects.create_user("benchupload", None)
    job = ImportJob(institution=institution, created_by=user, file_name="bench.csv", created_at=clock.now())
    job.file.save("bench.csv", ContentFile(data), save=False)
    job.save()

    # The same rows are first COPYed and rolled back: an earlier run's deleted rows left free space (VACUUM), and
    # whichever write came first would refill it, page by page, at ≈ 1 s more CPU per 100,000 rows. The aborted
    # rows use it up, so that the job and the COPY below both append to the table's end.
    warm = _copy_tuples(data, institution, book, "warm-")
    with transaction.atomic(), connection.cursor() as cursor, cursor.connection.cursor().copy(COPY_SQL) as copy:
        for row in warm:
            copy.write_row(row)
        transaction.set_rollback(True)

    # The job's second connection (ledger_copy.SideConnection: people, references already present, progress) has a
    # backend of its own: its CPU is read just before the job closes it.
    side_cpu = []
    close = ledger_copy.SideConnection.close

    def close_and_count(side) -> None:
        side_cpu.append(cpu_seconds([side._connection.info.backend_pid]))
        close(side)

    ledger_copy.SideConnection.close = close_and_count
    wal = _wal()
    cpu, backend, started = time.process_time(), _backend_cpu(), time.perf_counter()
    try:
        jobs.import_job_run(job.pk)
    finally:
        ledger_copy.SideConnection.close = close
    done = time.perf_counter()
    job_cpu, job_backend = time.process_time() - cpu, _backend_cpu() - backend
    job_wal = [after - before for after, before in zip(_wal(), wal, strict=True)]
    job.refresh_from_db()
    assert (job.status, job.error_count, job.created_rows) == (ImportJob.DONE, 0, rows), (job.status, job.message)

    # The same rows through COPY, into the same table, with their own references.
    tuples = _copy_tuples(data, institution, book, "copy-")
    wal = _wal()
    cpu, backend, copy_started = time.process_time(), _backend_cpu(), time.perf_counter()
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.connection.cursor().copy(COPY_SQL) as copy,
    ):
        for row in tuples:
            copy.write_row(row)
    copy_done = time.perf_counter()
    copy_cpu, copy_backend = time.process_time() - cpu, _backend_cpu() - backend
    copy_wal = [after - before for after, before in zip(_wal(), wal, strict=True)]

    deleted, _ = LedgerEntry.objects.filter(period__startswith=tag).delete()
    job.file.delete(save=False)
    job.delete()
    # The summary part reads the ledger by index-only scans, which need an up-to-date visibility map
    # (docs/adr/0005-hours-summary-from-a-covering-index.md): leave the table as the generator left it.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM hours_ledgerentry")
    upload_seconds = done - started
    copy_seconds = copy_done - copy_started
    return {
        "rows": rows,
        "job_s": round(upload_seconds, 3),
        "job_cpu_python_s": round(job_cpu, 2),
        "job_cpu_backend_s": round(job_backend, 2),
        "job_cpu_side_backend_s": round(sum(side_cpu), 2),
        "upload_rows_per_s": round(rows / upload_seconds),
        "job_wal_bytes_per_row": round(job_wal[0] / rows),
        "job_wal_fpi": job_wal[1],
        "copy_s": round(copy_seconds, 3),
        "copy_cpu_python_s": round(copy_cpu, 2),
        "copy_cpu_backend_s": round(copy_backend, 2),
        "copy_rows_per_s": round(rows / copy_seconds),
        "copy_wal_bytes_per_row": round(copy_wal[0] / rows),
        "copy_wal_fpi": copy_wal[1],
        "upload_vs_copy": round(upload_seconds / copy_seconds, 2),
        "deleted": deleted,
    }


def part_xlsx(rows: int) -> dict:
    """The institution export (exports.institution_rows: 25 columns, ROC dates) of `rows` records, written by the
    streamed writer the app uses (xlsx_stream); with BENCH_OPENPYXL=1 also openpyxl's write-only mode for the same
    rows (exports.to_xlsx; ≈ 0.3–0.5 ms a row, so it is left out by default)."""
    from django.db import connection

    from civlearn.hours import batch, exports, xlsx_stream
    from civlearn.hours.models import LedgerEntry

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    cpu_started = time.process_time(), cpu_seconds([backend])
    started = time.perf_counter()
    # The first `rows` records by id: the layout and the writer are what is measured, not a filter's plan.
    table = [batch.header_row(), *exports.institution_rows(LedgerEntry.objects.order_by("id")[:rows])]
    laid_out = time.perf_counter()
    cpu_laid_out = time.process_time(), cpu_seconds([backend])
    data = xlsx_stream.write(table, sheet_name="學習時數")
    done = time.perf_counter()
    cpu_done = time.process_time()
    result = {"rows": len(table) - 1, "read_and_layout_s": round(laid_out - started, 2),
              "write_s": round(done - laid_out, 2), "total_s": round(done - started, 2), "bytes": len(data),
              "app_cpu_read_and_layout_s": round(cpu_laid_out[0] - cpu_started[0], 2),
              "db_cpu_read_s": round(cpu_laid_out[1] - cpu_started[1], 2),
              "app_cpu_write_s": round(cpu_done - cpu_laid_out[0], 2)}  # fmt: skip
    if os.environ.get("BENCH_OPENPYXL"):
        openpyxl_started = time.perf_counter()
        exports.to_xlsx([exports.Sheet("學習時數", table)])
        result["openpyxl_write_s"] = round(time.perf_counter() - openpyxl_started, 2)
    return result


PARTS = {"summary": part_summary, "report": part_report, "upload": part_upload, "xlsx": part_xlsx}


def run_part(part: str, database: str, size: int) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--part", part, "--database", database, "--size", str(size)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="civlearn_hours_bench")
    parser.add_argument("--small-database", default="civlearn_hours_bench_small")
    parser.add_argument("--upload-rows", type=int, default=100_000)
    parser.add_argument("--part", choices=sorted(PARTS), help="(internal) run one part in this process")
    parser.add_argument(
        "--only", choices=sorted(PARTS), action="append", help="measure only this part (repeatable); default all"
    )
    parser.add_argument("--size", type=int, default=0)
    parser.add_argument(
        "--rounds", type=int, default=5, help="summary and upload: rounds, full and small database taking turns"
    )
    args = parser.parse_args()
    if args.part:
        setup(args.database)
        print(json.dumps(PARTS[args.part](args.size)))
        return

    print(f"hours_measure on {args.database} (and {args.small_database})", flush=True)
    only = set(args.only or PARTS)
    if "summary" in only:
        measure_summary(args)
    if "report" in only:
        report = run_part("report", args.database, 10)
        print(f"2. HR report      {report['staff']:,} staff ({report['short']:,} short): median "
              f"{report['median_ms']} ms, max {report['max_ms']} ms")  # fmt: skip
    if "upload" in only:
        measure_upload(args)
    if "xlsx" in only:
        measure_xlsx(args)
    load = os.getloadavg()
    print(f"   load average during the run: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} cores")


def measure_summary(args) -> None:
    # A summary costs ≈ 1 ms, most of it Python: one process's median moves by ±20 % with where it happens to run.
    # The two databases therefore take turns, a fresh process each, and the ratio is that of the medians of the
    # rounds' medians; every round's figures are printed too.
    bigs, smalls = [], []
    for _ in range(args.rounds):
        bigs.append(run_part("summary", args.database, 300))
        smalls.append(run_part("summary", args.small_database, 300))
    big, small = bigs[-1], smalls[-1]
    big_ms = statistics.median(r["median_ms"] for r in bigs)
    small_ms = statistics.median(r["median_ms"] for r in smalls)
    print(f"1. year summary   full DB ({big['records']:,} records): median {big_ms:.2f} ms (rounds: "
          f"{', '.join(str(r['median_ms']) for r in bigs)}), p95 of the last round {big['p95_ms']} ms")  # fmt: skip
    print(f"                  small DB ({small['records']:,} records): median {small_ms:.2f} ms (rounds: "
          f"{', '.join(str(r['median_ms']) for r in smalls)}), p95 of the last round {small['p95_ms']} ms")  # fmt: skip
    round_ratios = [(b["median_ms"], s["median_ms"]) for b, s in zip(bigs, smalls, strict=True)]
    print(f"                  ratio full / small (medians of the {args.rounds} rounds): {big_ms / small_ms:.2f}; "
          f"round by round: {', '.join(f'{b / s:.2f}' for b, s in round_ratios)}")  # fmt: skip
    print(f"                  plans: full {', '.join(big['plans'])}, {big['heap_fetches']} heap fetches, "
          f"{big['buffers_per_summary']} buffers a summary; small {', '.join(small['plans'])}, "
          f"{small['heap_fetches']} heap fetches, {small['buffers_per_summary']} buffers")  # fmt: skip
    big_app = round(statistics.median(r["app_cpu_ms"] for r in bigs), 3)
    big_db = round(statistics.median(r["db_cpu_ms"] for r in bigs), 3)
    small_app = round(statistics.median(r["app_cpu_ms"] for r in smalls), 3)
    small_db = round(statistics.median(r["db_cpu_ms"] for r in smalls), 3)
    print(f"                  CPU per summary (app + PostgreSQL backend, medians of the rounds): full {big_app} + "
          f"{big_db} ms, small {small_app} + {small_db} ms; ratio {(big_app + big_db) / (small_app + small_db):.2f}")  # fmt: skip


def measure_upload(args) -> None:
    uploads = [run_part("upload", args.database, args.upload_rows) for _ in range(max(1, args.rounds // 2))]
    for number, upload in enumerate(uploads, start=1):
        print(f"3. batch upload   round {number}: {upload['rows']:,} rows, the import job: {upload['job_s']} s → "
              f"{upload['upload_rows_per_s']:,} rows/s (CPU: Python {upload['job_cpu_python_s']} s, "
              f"PostgreSQL backend {upload['job_cpu_backend_s']} s, second connection's backend "
              f"{upload['job_cpu_side_backend_s']} s)")  # fmt: skip
        print(f"                  COPY of the same rows: {upload['copy_s']} s → {upload['copy_rows_per_s']:,} rows/s "
              f"(CPU: Python {upload['copy_cpu_python_s']} s, backend {upload['copy_cpu_backend_s']} s); "
              f"upload takes {upload['upload_vs_copy']}× the COPY time")  # fmt: skip
        print(f"                  WAL per row: job {upload['job_wal_bytes_per_row']:,} B ({upload['job_wal_fpi']:,} "
              f"full-page images), COPY {upload['copy_wal_bytes_per_row']:,} B ({upload['copy_wal_fpi']:,})")  # fmt: skip
    if len(uploads) > 1:
        print(f"                  median of the rounds: {statistics.median(u['upload_rows_per_s'] for u in uploads):,.0f} "
              f"rows/s, COPY {statistics.median(u['copy_rows_per_s'] for u in uploads):,.0f} rows/s, upload / COPY "
              f"time {statistics.median(u['upload_vs_copy'] for u in uploads):.2f}; CPU per round (medians): job "
              f"Python {statistics.median(u['job_cpu_python_s'] for u in uploads):.2f} s + backend "
              f"{statistics.median(u['job_cpu_backend_s'] for u in uploads):.2f} s + second connection "
              f"{statistics.median(u['job_cpu_side_backend_s'] for u in uploads):.2f} s, COPY backend "
              f"{statistics.median(u['copy_cpu_backend_s'] for u in uploads):.2f} s")  # fmt: skip


def measure_xlsx(args) -> None:
    xlsx = run_part("xlsx", args.database, 100_000)
    print(f"4. .xlsx export   {xlsx['rows']:,} rows: read+layout {xlsx['read_and_layout_s']} s, write {xlsx['write_s']} s,"
          f" total {xlsx['total_s']} s ({xlsx['bytes'] / 1e6:.1f} MB)")  # fmt: skip
    print(f"                  CPU: read+layout {xlsx['app_cpu_read_and_layout_s']} s (+ PostgreSQL backend "
          f"{xlsx['db_cpu_read_s']} s), write {xlsx['app_cpu_write_s']} s")  # fmt: skip
    if "openpyxl_write_s" in xlsx:
        print(f"                  openpyxl would write it in {xlsx['openpyxl_write_s']} s")


if __name__ == "__main__":
    main()
