"""A learner's year as a spreadsheet: .xlsx (openpyxl, write-only) and .ods (odfpy), two sheets each.

Sheet 學習紀錄: one row per standing record. Sheet 時數統計: the summary table, then each requirement's status.
Hours are numbers (cells with a numeric type), dates are ROC text (`113/03/21`), as people read them.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from civlearn.core import rocdate
from civlearn.hours import rules
from civlearn.hours.models import LedgerEntry, mode_labels
from civlearn.hours.rules import Summary

RECORD_HEADERS = [
    "課程名稱",
    "期別",
    "課程代碼",
    "學習機關(構)",
    "課程類別代碼",
    "課程類別",
    "學習性質",
    "實際上課起始日期",
    "實際上課結束日期",
    "數位時數",
    "實體時數",
    "訓練總數",
    "與業務相關",
    "自行申請公假",
    "訓練成績",
    "證件字號",
]
SUMMARY_HEADERS = ["項目", "時數"]
REQUIREMENT_HEADERS = ["規定", "應完成時數", "已完成時數", "尚缺時數", "達成情形"]
SHEET_RECORDS = "學習紀錄"
SHEET_SUMMARY = "時數統計"


@dataclass(frozen=True)
class Sheet:
    name: str
    # Cells are str, Decimal or int; None is an empty cell.
    rows: list[Sequence[object]]


def _local_day(moment):
    from django.utils import timezone

    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


def _number(value: Decimal) -> Decimal | int:
    """Whole hours as integers, so a spreadsheet shows 20 rather than 20.0."""
    return int(value) if value == value.to_integral_value() else value


def record_rows(entries: Iterable[LedgerEntry], institutions: dict[str, str]) -> list[list[object]]:
    book = rules.book()
    modes = mode_labels()
    rows: list[list[object]] = []
    for entry in entries:
        rows.append(
            [
                entry.course_name,
                entry.period,
                entry.course_code,
                institutions.get(entry.institution_code, entry.institution_code),
                entry.category_code,
                book.category_name(entry.category_table_id, entry.category_code),
                modes.get(entry.mode, str(entry.mode)),
                rocdate.format_display(_local_day(entry.actual_start)),
                rocdate.format_display(_local_day(entry.actual_end)),
                _number(entry.digital_hours),
                _number(entry.physical_hours),
                _number(entry.certified_hours),
                "*" if entry.job_related else "",
                "是" if entry.self_applied_leave else "",
                entry.score,
                entry.certificate_no,
            ]
        )
    return rows


def summary_rows(summary: Summary) -> list[list[object]]:
    rows: list[list[object]] = [list(SUMMARY_HEADERS)]
    rows += [[row.label, _number(row.hours)] for row in summary.rows]
    if summary.requirements:
        rows.append([])
        rows.append(list(REQUIREMENT_HEADERS))
        for row in summary.requirements:
            rows.append(
                [
                    row.label,
                    _number(row.minimum),
                    _number(row.hours),
                    _number(row.missing),
                    "已達成" if row.met else "未達成",
                ]
            )
    return rows


def sheets(*, entries: Iterable[LedgerEntry], institutions: dict[str, str], summary: Summary) -> list[Sheet]:
    return [
        Sheet(SHEET_RECORDS, [list(RECORD_HEADERS), *record_rows(entries, institutions)]),
        Sheet(SHEET_SUMMARY, summary_rows(summary)),
    ]


def to_xlsx(workbook_sheets: list[Sheet]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for sheet in workbook_sheets:
        worksheet = workbook.create_sheet(title=sheet.name)
        for row in sheet.rows:
            worksheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_ods(workbook_sheets: list[Sheet]) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    for sheet in workbook_sheets:
        table = Table(name=sheet.name)
        for row in sheet.rows:
            table_row = TableRow()
            for value in row:
                if value is None or value == "":
                    table_row.addElement(TableCell())
                elif isinstance(value, (int, Decimal)):
                    cell = TableCell(valuetype="float", value=str(value))
                    cell.addElement(P(text=str(value)))
                    table_row.addElement(cell)
                else:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=str(value)))
                    table_row.addElement(cell)
            table.addElement(table_row)
        document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()
