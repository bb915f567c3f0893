"""The upload's parse and check alone (no database): rows/s of batch.parse_upload on a realistic 25-column file.
Prints figures; asserts nothing. The database part of an upload is measured by hours_measure.py --only upload.

    .venv/bin/python bench/hours_parse.py --rows 100000 --rounds 5

Rows as hours_measure.py's upload builds them (50,000 people, 100 courses, 28 days); every person is "in the
registry" (people_for answers at once), so what is timed is reading, checking and building the rows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civlearn.settings")
os.environ.setdefault("CIVLEARN_TESTING", "1")

import django

django.setup()

from hours_generate import national_id  # noqa: E402
from hours_measure import upload_csv  # noqa: E402

from civlearn.hours import batch  # noqa: E402


def upload_file(rows: int) -> bytes:
    return upload_csv([(national_id(n), f"人員{n}") for n in range(50_000)], rows, "p")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    data = upload_file(options.rows)
    codes = frozenset({"339"})
    rates, cpu = [], []
    for _ in range(options.rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = batch.parse_upload(
            data,
            institution_code="A09600000Q",
            category_codes_for=lambda day: codes,
            people_for=lambda ids: dict.fromkeys(ids, 1),
        )
        elapsed, used = time.perf_counter() - started, time.process_time() - started_cpu
        assert not result.errors and len(result.rows) == options.rows, result.errors[:3]
        rates.append(options.rows / elapsed)
        cpu.append(used / options.rows * 1e6)
    print(
        f"parse+check {options.rows:,} rows: median {statistics.median(rates):,.0f} rows/s "
        f"(best {max(rates):,.0f}), CPU {statistics.median(cpu):.1f} µs/row; load {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
