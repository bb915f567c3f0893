"""Helpers for the upload, API and HR tests: 25-column rows and files (fixtures are in conftest.py)."""

from __future__ import annotations

from civlearn.hours import batch

ROW = {
    "national_id": "A123456789",
    "course_name": "環境教育：氣候變遷與調適",
    "course_start_date": "113-03-01",
    "course_start_time": "09:00:00",
    "course_end_date": "113-03-31",
    "course_end_time": "17:00:00",
    "name": "王小明",
    "degree_credit": "6",
    "category_code": "339",
    "county_code": "40",
    "period": "1",
    "certified_hours": "2",
    "hours_unit": "1",
    "score": "90",
    "certificate_no": "",
    "attendance_note": "",
    "birthday": "061-01-01",
    "mode": "1",
    "digital_hours": "2",
    "physical_hours": "0",
    "course_code": "C-339-01",
    "actual_start_date": "113-03-21",
    "actual_start_time": "09:00:00",
    "actual_end_date": "113-03-21",
    "actual_end_time": "11:00:00",
}
SECOND_ID = "B220000000"


def csv_line(**changes) -> str:
    values = {**ROW, **changes}
    return ",".join(values[c.key] for c in batch.COLUMNS)


def csv_file(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join([",".join(batch.header_row()), *lines]) + "\r\n").encode(encoding)
