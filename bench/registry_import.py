"""Time the registry import of a generated 10,000-row persons file (CSV UTF-8, CSV Big5, .xlsx).

Run: CIVLEARN_TESTING=1 .venv/bin/python bench/registry_import.py [--rows 10000]
     (add DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres for PostgreSQL)
It creates a throw-away test database (like the test suite does), imports each file three times — first import
(all created), re-import (all unchanged), re-import with one changed column (all updated) — and prints seconds
(wall clock, and this process's CPU time, which a busy machine disturbs less) and rows per second.
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civlearn.settings")
os.environ.setdefault("CIVLEARN_TESTING", "1")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

HEADER = ["身分證字號", "姓名", "生日", "機關代碼", "任現職之實際到職日期", "人員區分", "身份別", "電子郵件"]


def rows(count: int, post_start: str) -> list[list[str]]:
    from civlearn.core.national_id import check_digit

    out = [HEADER]
    for n in range(count):
        prefix = f"{'ABDEFHMNPQ'[n % 10]}{1 + n % 2}{n:07d}"
        out.append([prefix + check_digit(prefix), f"測試人員{n}", f"0{60 + n % 30}0101", "A09600000Q", post_start,
                    "11-一般人員", "公務人員", f"p{n}@example.tw"])  # fmt: skip
    return out


def as_csv(data: list[list[str]], encoding: str) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(data)
    return text.getvalue().encode(encoding)


def as_xlsx(data: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in data:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    count = parser.parse_args().rows

    from civlearn.registry.models import Agency, Person
    from civlearn.registry.services import registry_import

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        Agency.objects.create(code="A09600000Q", name="國立臺中科技大學")
        first, changed = rows(count, "1040801"), rows(count, "1120801")
        files = {
            "csv-utf8": (lambda d: as_csv(d, "utf-8-sig"), "persons.csv"),
            "csv-big5": (lambda d: as_csv(d, "cp950"), "persons.csv"),
            "xlsx": (as_xlsx, "persons.xlsx"),
        }
        print(f"database: {connection.vendor}; rows: {count}; load average: {os.getloadavg()[0]:.1f}")
        for label, (make, filename) in files.items():
            Person.objects.all().delete()
            for step, data in (
                ("first import", first),
                ("re-import, unchanged", first),
                ("re-import, updated", changed),
            ):
                body = make(data)
                started, cpu_started = time.perf_counter(), time.process_time()
                result = registry_import(kind="persons", file=io.BytesIO(body), filename=filename, actor=None)
                seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
                assert result.ok, result.errors[:3]
                print(f"{label:9} {step:22} {seconds:6.2f} s (cpu {cpu:5.2f} s) {count / seconds:7.0f} rows/s  "
                      f"(created {result.created}, updated {result.updated}, unchanged {result.unchanged}; "
                      f"file {len(body) / 1e6:.2f} MB)")  # fmt: skip
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
