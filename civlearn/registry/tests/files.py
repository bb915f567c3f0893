"""Building import files in tests: CSV in a chosen encoding, and .xlsx through openpyxl."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

PERSON_HEADER = ["身分證字號", "姓名", "生日", "機關代碼", "任現職之實際到職日期", "人員區分", "身份別", "電子郵件"]
AGENCY_HEADER = ["機關代碼", "機關名稱", "上級機關代碼"]


def csv_file(rows: list[list], *, encoding: str = "utf-8", name: str = "persons.csv") -> io.BytesIO:
    text = io.StringIO(newline="")
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    data = io.BytesIO(text.getvalue().encode(encoding))
    data.name = name
    return data


def xlsx_file(rows: list[list], *, name: str = "persons.xlsx") -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    workbook.save(data)
    data.seek(0)
    data.name = name
    return data
