"""Reading registry import files: CSV (UTF-8 with or without BOM, Big5/CP950), .xlsx and .ods, row by row.

This module knows files and columns, not the database: it turns a file into `(row number, {field: value})`
pairs and reports what is wrong with the file itself. `services.registry_import` checks rows against the
registry and writes them. Row numbers are what a spreadsheet shows: the header is row 1, the first data row 2.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civlearn.core import spreadsheets

PERSONS = "persons"
AGENCIES = "agencies"
KINDS: dict[str, Promise] = {PERSONS: _("人員"), AGENCIES: _("機關")}

_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


@dataclass(frozen=True)
class Column:
    field: str
    # The header the documentation and template files use: the exchange format's fixed zh-Hant header, the same in
    # every language (an English page shows it as it is, marked lang="zh-Hant").
    header: str
    required: bool
    aliases: tuple[str, ...] = ()
    example: str = ""
    hint: str | Promise = ""


PERSON_COLUMNS = (
    Column("national_id", "身分證字號", True, ("身分證號", "統一證號", "居留證號", "身分證/居留證號", "national_id"),
           "A123456789", _("身分證字號或居留證統一證號（新舊式皆可），含檢查碼")),
    Column("name", "姓名", True, ("name",), "王小明"),
    Column("birthday", "生日", True, ("出生日期", "birthday"), "0610101",
           _("民國年 7 碼（0610101）、061-01-01 或西元 1972-01-01")),
    Column("agency_code", "機關代碼", True, ("服務機關代碼", "agency_code"), "A09600000Q",
           _("10 碼，須為已匯入的機關")),
    Column("post_start_date", "任現職之實際到職日期", True, ("到職日期", "任現職日期", "post_start_date"), "1040801",
           _("日期格式同生日")),
    Column("personnel_category", "人員區分", False, ("人事資料庫人員區分", "personnel_category"), "11-一般人員"),
    Column("identity_type", "身份別", False, ("身分別", "identity_type"), "公務人員", _("例如：公務人員、教師")),
    Column("email", "電子郵件", False, ("Email", "E-mail", "電子信箱", "email"), "xiaoming@example.tw",
           _("首次登入時比對的信箱，可空白")),
    Column("is_supervisor", "主管", False, ("是否主管", "主管職", "is_supervisor"), "否",
           _("是／否；空白表示未記載（限主管報名的班別會請本人洽人事單位）")),
    Column("rank_class", "官等", False, ("rank_class",), "薦任", _("委任、薦任、簡任或特任；可空白")),
    Column("rank_grade", "職等", False, ("rank_grade",), "7", _("1 至 14（例：7 或 第7職等），須與官等相符；可空白")),
)  # fmt: skip

AGENCY_COLUMNS = (
    Column("code", "機關代碼", True, ("code",), "A09600001Q", _("10 碼英數字（大寫）")),
    Column("name", "機關名稱", True, ("name",), "國立臺中科技大學附設進修部"),
    Column("parent_code", "上級機關代碼", False, ("上級機關", "parent_code"), "A09600000Q",
           _("空白表示無上級機關；上級機關可在同一檔案中")),
)  # fmt: skip

COLUMNS = {PERSONS: PERSON_COLUMNS, AGENCIES: AGENCY_COLUMNS}


class ImportFileError(Exception):
    """Something wrong with the file as a whole (or a row that cannot be read at all)."""

    def __init__(self, message: str, *, row: int = 0, column: str = ""):
        super().__init__(message)
        self.message, self.row, self.column = message, row, column


def _rows(file, filename: str) -> Iterator[tuple[int, list]]:
    try:
        yield from spreadsheets.read_rows(file, filename)
    except spreadsheets.SpreadsheetError as exc:
        raise ImportFileError(exc.message, row=exc.row) from None


clean_text = spreadsheets.cell_text


def normalize_header(value) -> str:
    # "*身分證字號" (the hours upload format marks required columns so), full-width letters, stray spaces.
    text = clean_text(value).lstrip("\ufeff").translate(_FULL_WIDTH)
    return text.lstrip("*").replace(" ", "").strip().lower()


def map_headers(kind: str, headers: list) -> tuple[dict[str, int], list[str]]:
    """{field: column index} for known headers, and the headers that matched nothing (ignored, and reported).

    Raises ImportFileError naming the first missing required column or a repeated one.
    """
    lookup: dict[str, Column] = {}
    for column in COLUMNS[kind]:
        for name in (column.header, *column.aliases):
            lookup[normalize_header(name)] = column
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for index, header in enumerate(headers):
        key = normalize_header(header)
        if not key:
            continue
        column = lookup.get(key)
        if column is None:
            unknown.append(clean_text(header))
        elif column.field in positions:
            message = gettext("欄位「{column}」重複出現").format(column=column.header)
            raise ImportFileError(message, row=1, column=column.header)
        else:
            positions[column.field] = index
    missing = [column.header for column in COLUMNS[kind] if column.required and column.field not in positions]
    if missing:
        listed = gettext("、").join(missing)
        raise ImportFileError(gettext("缺少必要欄位：{columns}").format(columns=listed), row=1, column=missing[0])
    return positions, unknown


# -- reading files: civlearn.core.spreadsheets, with the limits every importer shares ------------------------------


def iter_records(kind: str, file, filename: str) -> tuple[list[str], Iterator[tuple[int, dict[str, str | dt.date]]]]:
    """(ignored headers, iterator of (row number, {field: text or date})) for the data rows; blank rows skipped.

    Raises ImportFileError for an empty file or a bad header row before yielding anything.
    """
    rows = _rows(file, filename)
    header_row = None
    for _number, cells in rows:
        if any(clean_text(cell) for cell in cells):
            header_row = cells
            break
    if header_row is None:
        raise ImportFileError(gettext("檔案是空的"))
    positions, unknown = map_headers(kind, header_row)

    def records():
        for number, cells in rows:
            record: dict[str, str | dt.date] = {}
            for field, index in positions.items():
                cell = cells[index] if index < len(cells) else None
                # A date cell in a spreadsheet is already a date; keep it so no format guessing happens.
                if isinstance(cell, dt.datetime):
                    record[field] = cell.date()
                elif isinstance(cell, dt.date):
                    record[field] = cell
                else:
                    record[field] = clean_text(cell)
            if any(value for value in record.values()):
                yield number, record

    return unknown, records()
