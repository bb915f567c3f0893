"""Build a national-scale hours data set on PostgreSQL: agencies, people and ledger records, loaded with COPY.

    .venv/bin/python bench/hours_generate.py                      # 350,000 people, 10,000,000 records → civlearn_hours_bench
    .venv/bin/python bench/hours_generate.py --people 350 --records 10000 --database civlearn_hours_bench_small

The database is dropped and created again, migrated with manage.py, then filled:
- one agency "BENCH00000" with `--big-agency` staff (5,000: the HR report's size) and the rest spread over 500 agencies;
- people with valid, distinct national IDs;
- records spread evenly over people and the years 2019–2024 (≈ 5 per person per year at full size), codes drawn
  from the 2015 table before 2024 and from the 2024 table in 2024, unique source references. The references look
  like an upload's (batch.source_reference: a SHA-256 in 64 hexadecimal digits; here of `bench-N`), so that the
  unique source index has the size and random key order of a real ledger's (≈ 910 MB, where `bench-N` keys made
  387 MB that new uploads' keys never landed among); `--short-references` builds the earlier `bench-N` ones.
Secondary indexes and constraints of the ledger are dropped during the load and built again afterwards (the
usual way to bulk-load PostgreSQL), then the ledger is vacuumed so index-only scans work; the script prints how
long each step took.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from civlearn.core.text import search_fold  # noqa: E402  (plain Python: no Django set-up needed)

SERVER = os.environ.get("BENCH_SERVER_URL", "postgres://postgres@127.0.0.1:5432")
LETTERS = {
    "A": 10,
    "B": 11,
    "C": 12,
    "D": 13,
    "E": 14,
    "F": 15,
    "G": 16,
    "H": 17,
    "J": 18,
    "K": 19,
    "L": 20,
    "M": 21,
    "N": 22,
    "P": 23,
    "Q": 24,
    "R": 25,
    "S": 26,
    "T": 27,
    "U": 28,
    "V": 29,
    "X": 30,
    "Y": 31,
    "W": 32,
    "Z": 33,
}
YEARS = list(range(2019, 2025))
BIG_AGENCY = "BENCH00000"


def national_id(n: int) -> str:
    """The n-th valid national ID (distinct for n < 24 × 2 × 10^7)."""
    letter = list(LETTERS)[n % len(LETTERS)]
    rest = n // len(LETTERS)
    gender = 1 + rest % 2
    digits = f"{rest // 2:07d}"
    value = LETTERS[letter]
    total = (
        value // 10
        + (value % 10) * 9
        + gender * 8
        + sum(int(d) * w for d, w in zip(digits, (7, 6, 5, 4, 3, 2, 1), strict=True))
    )
    check = (10 - total % 10) % 10
    return f"{letter}{gender}{digits}{check}"


def step(label: str, started: float) -> float:
    now = time.perf_counter()
    print(f"  {label:<44} {now - started:8.1f} s", flush=True)
    return now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=350_000)
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--big-agency", type=int, default=5_000)
    parser.add_argument("--database", default="civlearn_hours_bench")
    parser.add_argument(
        "--last-year", type=int, default=YEARS[-1], help="records over the six years up to this one (2024)"
    )
    parser.add_argument(
        "--short-references", action="store_true", help="references bench-N (the data set before ADR 0010's figures)"
    )
    args = parser.parse_args()
    big = min(args.big_agency, args.people)
    url = f"{SERVER}/{args.database}"
    print(f"hours_generate: {args.people:,} people, {args.records:,} records → {args.database}", flush=True)
    started = total_start = time.perf_counter()

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{args.database}"')
    env = {**os.environ, "DATABASE_URL": url, "CIVLEARN_DEMO": "1"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    started = step("create database and migrate", started)

    rng = random.Random(2026)
    years = list(range(args.last_year - 5, args.last_year + 1))
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '1GB'")
        # Agencies: the big one, then 500 others.
        # search_text as registry.models.agency_search_text stores it (the folded name, a space, the folded code).
        with cur.copy("COPY registry_agency (code, name, parent_id, search_text) FROM STDIN") as copy:
            agencies_rows = [(BIG_AGENCY, "基準測試大型機關")]
            agencies_rows += [(f"BENCH{index:05d}", f"基準測試機關{index:03d}") for index in range(1, 501)]
            for code, name in agencies_rows:
                copy.write_row((code, name, None, f"{search_fold(name)} {search_fold(code)}"))
        cur.execute("SELECT id, code FROM registry_agency WHERE code LIKE 'BENCH%%' ORDER BY code")
        agencies = cur.fetchall()
        big_id, others = agencies[0][0], [agency_id for agency_id, _ in agencies[1:]]

        # 官等 (rank_class) is NOT NULL with blank for "not recorded"; 主管 and 職等 stay NULL (unknown).
        buffer = io.StringIO()
        for n in range(args.people):
            agency_id = big_id if n < big else others[n % len(others)]
            buffer.write(f"{national_id(n)}\t人員{n:06d}\t1980-01-01\t{agency_id}\t2015-08-01\t11-一般人員\t公務人員\t"
                         f"p{n}@bench.example\tt\t2024-01-01 00:00:00+08\t\n")  # fmt: skip
        with cur.copy(
            "COPY registry_person (national_id, name, birthday, agency_id, post_start_date, personnel_category, "
            "identity_type, email, is_active, updated_at, rank_class) FROM STDIN"
        ) as copy:
            copy.write(buffer.getvalue())
        cur.execute("SELECT id FROM registry_person ORDER BY id")
        person_ids = [row[0] for row in cur.fetchall()]
        conn.commit()
        started = step(f"{args.people:,} people (COPY)", started)

        cur.execute("SELECT t.name, t.id, c.code FROM hours_category c JOIN hours_categorytable t ON t.id = c.table_id")
        codes: dict[str, tuple[int, list[str]]] = {}
        for name, table_id, code in cur.fetchall():
            codes.setdefault(name, (table_id, []))[1].append(code)
        old_table, old_codes = codes["2015"]
        new_table, new_codes = codes["2024"]

        # Drop what slows a bulk load; it is built again below.
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'hours_ledgerentry'::regclass AND contype IN ('u', 'f')"
        )
        constraints = cur.fetchall()
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'hours_ledgerentry' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'hours_ledgerentry'::regclass)"
        )
        indexes = cur.fetchall()
        for name, _ in constraints:
            cur.execute(f'ALTER TABLE hours_ledgerentry DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        conn.commit()

        columns = (
            "person_id, year, course_name, course_code, period, institution_code, category_table_id, category_code, "
            "mode, digital_hours, physical_hours, certified_hours, hours_unit, course_start, course_end, actual_start, "
            "actual_end, score, certificate_no, attendance_note, job_related, self_applied_leave, county_code, "
            "degree_credit, source_kind, source_reference, reason, created_at"
        )
        people = len(person_ids)
        chunk = 200_000
        written = 0
        with cur.copy(f"COPY hours_ledgerentry ({columns}) FROM STDIN") as copy:
            lines: list[str] = []
            for index in range(args.records):
                person_id = person_ids[index % people]
                year = years[(index // people) % len(years)]
                if year >= 2024:
                    table, code = new_table, new_codes[rng.randrange(len(new_codes))]
                else:
                    table, code = old_table, old_codes[rng.randrange(len(old_codes))]
                hours = 1 + index % 4
                digital = index % 3 != 0
                day = 1 + index % 28
                month = 1 + (index // 28) % 12
                when = f"{year}-{month:02d}-{day:02d}"
                institution = f"BENCH{1 + index % 500:05d}"
                reference = f"bench-{index}"
                if not args.short_references:  # 64 hexadecimal digits in random order, as an upload's
                    reference = hashlib.sha256(reference.encode()).hexdigest()
                lines.append(
                    f"{person_id}\t{year}\t基準課程{index % 5000:04d}\tC{index % 5000:04d}\t{index % 7}\t"
                    f"{institution}\t{table}\t{code}\t{1 if digital else 2}\t"
                    f"{hours if digital else 0}\t{0 if digital else hours}\t{hours}\t1\t"
                    f"{when} 09:00:00+08\t{when} 17:00:00+08\t{when} 09:00:00+08\t{when} 1{hours}:00:00+08\t"
                    f"\t\t\t{'t' if index % 2 else 'f'}\tf\t40\t6\tupload\t{reference}\t\t{when} 18:00:00+08\n"
                )
                if len(lines) == chunk:
                    copy.write("".join(lines))
                    written += len(lines)
                    lines = []
                    if written % 2_000_000 == 0:
                        step(f"  … {written:,} records", started)
            copy.write("".join(lines))
        conn.commit()
        started = step(f"{args.records:,} records (COPY, no secondary indexes)", started)

        for name, definition in constraints:
            cur.execute(f'ALTER TABLE hours_ledgerentry ADD CONSTRAINT "{name}" {definition}')
        for _, definition in indexes:
            cur.execute(definition)
        conn.commit()
        started = step("constraints and indexes built again", started)
        # VACUUM, not just ANALYZE: it sets the visibility map, without which a summary's index-only scan on the
        # covering (person, year) index still visits the heap for every row. Autovacuum does this in production,
        # but only long after a bulk load (its insert threshold is 20 % of the table).
        conn.autocommit = True
        cur.execute("VACUUM (ANALYZE) hours_ledgerentry")
        cur.execute("ANALYZE")
        started = step("VACUUM (ANALYZE)", started)
    print(f"hours_generate: done in {time.perf_counter() - total_start:.1f} s", flush=True)


if __name__ == "__main__":
    main()
