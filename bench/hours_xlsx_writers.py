"""The 100,000-row .xlsx export written three ways: xlsx_stream (what the app uses, ADR 0004), XlsxWriter in
`constant_memory` mode and openpyxl in write-only mode. Prints CPU and wall-clock seconds and the file size of
each; asserts nothing. No database: the rows are laid out as the institution export lays them (25 columns, texts
and hour figures).

    .venv/bin/python bench/hours_xlsx_writers.py --rows 100000

The goal (issue #14): a maintained writer replaces xlsx_stream if it keeps the 100,000-row export under 5 s.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civlearn.settings")
os.environ.setdefault("CIVLEARN_TESTING", "1")

import django

django.setup()

from civlearn.hours import xlsx_stream  # noqa: E402


def rows(count: int) -> list[list[object]]:
    return [
        ["A1234****", f"環境教育課程{i % 100}", "113-03-01", "09:00:00", "113-03-31", "17:00:00", f"人員{i % 5000}",
         "6", "339", "40", str(i // 1000), Decimal("2"), "1", "90", "", "", "", "1", Decimal("2"), Decimal("0"),
         f"U{i % 100:03d}", f"113-04-{1 + i % 28:02d}", "09:00:00", f"113-04-{1 + i % 28:02d}", "11:00:00"]
        for i in range(count)
    ]  # fmt: skip


def with_xlsx_stream(table) -> bytes:
    return xlsx_stream.write(table, sheet_name="學習時數")


def with_xlsxwriter(table) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    # Text stays text: XlsxWriter would otherwise turn "=…" into a formula and "90" into a number.
    options = {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
               "strings_to_urls": False}  # fmt: skip
    workbook = xlsxwriter.Workbook(buffer, options)
    sheet = workbook.add_worksheet("學習時數")
    for number, row in enumerate(table):
        sheet.write_row(number, 0, row)
    workbook.close()
    return buffer.getvalue()


def with_openpyxl(table) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("學習時數")
    for row in table:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    options = parser.parse_args()
    table = rows(options.rows)
    for name, write in (("xlsx_stream", with_xlsx_stream), ("XlsxWriter constant_memory", with_xlsxwriter),
                        ("openpyxl write-only", with_openpyxl)):  # fmt: skip
        started, started_cpu = time.perf_counter(), time.process_time()
        data = write(table)
        wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
        print(f"{name:28} {options.rows:,} rows: CPU {cpu:.2f} s, wall {wall:.2f} s, {len(data) / 1e6:.1f} MB; "
              f"load {os.getloadavg()[0]:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
