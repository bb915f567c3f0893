"""A learner's year as a spreadsheet: .xlsx (openpyxl, write-only) and .ods (odfpy), two sheets each.

Sheet 學習紀錄: one row per standing record. Sheet 時數統計: the summary table, then each requirement's status.
Hours are numbers (cells with a numeric type), dates are ROC text (`113/03/21`), as people read them.

Also the institution export's rows (`institution_rows`): the 25 columns of the exchange file, read straight from
the database for exports of 100,000 rows and more.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast
from django.http import HttpResponse
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from civlearn.core import rocdate, spreadsheets
from civlearn.hours import batch, rules, xlsx_stream
from civlearn.hours.models import LedgerEntry, mode_labels
from civlearn.hours.rules import Summary

# The official zh-Hant headers and sheet names; a learner who chose English gets them in English (a personal
# download, not an exchange format: the institution export below keeps the exchange file's fixed headers).
RECORD_HEADERS = [
    _("課程名稱"),
    _("期別"),
    _("課程代碼"),
    _("學習機關(構)"),
    _("課程類別代碼"),
    _("課程類別"),
    _("學習性質"),
    _("實際上課起始日期"),
    _("實際上課結束日期"),
    _("數位時數"),
    _("實體時數"),
    _("訓練總數"),
    _("與業務相關"),
    _("自行申請公假"),
    _("訓練成績"),
    _("證件字號"),
]
SUMMARY_HEADERS = [_("項目"), _("時數")]
REQUIREMENT_HEADERS = [_("規定"), _("應完成時數"), _("已完成時數"), _("尚缺時數"), _("達成情形")]
SHEET_RECORDS = _("學習紀錄")
SHEET_SUMMARY = _("時數統計")


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
                gettext_now("是") if entry.self_applied_leave else "",
                entry.score,
                entry.certificate_no,
            ]
        )
    return rows


def summary_rows(summary: Summary) -> list[list[object]]:
    rows: list[list[object]] = [[str(header) for header in SUMMARY_HEADERS]]
    rows += [[row.label, _number(row.hours)] for row in summary.rows]
    if summary.requirements:
        rows.append([])
        rows.append([str(header) for header in REQUIREMENT_HEADERS])
        for row in summary.requirements:
            rows.append(
                [
                    row.label,
                    _number(row.minimum),
                    _number(row.hours),
                    _number(row.missing),
                    gettext_now("已達成") if row.met else gettext_now("未達成"),
                ]
            )
    return rows


def sheets(*, entries: Iterable[LedgerEntry], institutions: dict[str, str], summary: Summary) -> list[Sheet]:
    return [
        Sheet(str(SHEET_RECORDS), [[str(header) for header in RECORD_HEADERS], *record_rows(entries, institutions)]),
        Sheet(str(SHEET_SUMMARY), summary_rows(summary)),
    ]


def to_xlsx(workbook_sheets: list[Sheet]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for sheet in workbook_sheets:
        worksheet = workbook.create_sheet(title=sheet.name)
        for row in sheet.rows:
            worksheet.append(spreadsheets.xlsx_row(worksheet, row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS_TYPE = "application/vnd.oasis.opendocument.spreadsheet"


def sheet_download(sheet: Sheet, *, fmt: str, filename: str) -> HttpResponse:
    """One sheet as an .xlsx (the streamed writer: HR reports hold thousands of staff, docs/adr/0004-…) or .ods
    attachment named `filename`.`fmt`."""
    if fmt == "xlsx":
        response = HttpResponse(xlsx_stream.write(sheet.rows, sheet_name=sheet.name), content_type=XLSX_TYPE)
    else:
        response = HttpResponse(to_ods([sheet]), content_type=ODS_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


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


# batch.COLUMNS in order, and what each is read from. institution_rows unpacks rows in exactly this order.
_INSTITUTION_KEYS = (
    "national_id",
    "course_name",
    "course_start_date",
    "course_start_time",
    "course_end_date",
    "course_end_time",
    "name",
    "degree_credit",
    "category_code",
    "county_code",
    "period",
    "certified_hours",
    "hours_unit",
    "score",
    "certificate_no",
    "attendance_note",
    "birthday",
    "mode",
    "digital_hours",
    "physical_hours",
    "course_code",
    "actual_start_date",
    "actual_start_time",
    "actual_end_date",
    "actual_end_time",
)
# The four moments are read as text: Django's timestamp loader parses each value in Python (≈ 5 µs, 2 of the
# ≈ 2.3 s CPU of reading 100,000 rows), while a text column is decoded in C and the few distinct texts of an
# export are converted once each (see _moment_texts).
_MOMENTS = ("course_start", "course_end", "actual_start", "actual_end")
_INSTITUTION_FIELDS = (
    "person__national_id",
    "course_name",
    *(Cast(name, output_field=CharField()) for name in _MOMENTS[:2]),
    "person__name",
    "degree_credit",
    "category_code",
    "county_code",
    "period",
    "certified_hours",
    "hours_unit",
    "score",
    "certificate_no",
    "attendance_note",
    "person__birthday",
    "mode",
    "digital_hours",
    "physical_hours",
    "course_code",
    *(Cast(name, output_field=CharField()) for name in _MOMENTS[2:]),
)
_EMPTY_MOMENT = ("", "")
_MEMO_LIMIT = 100_000


def _moment_texts(text: str) -> tuple[str, str]:
    """A timestamp as the database writes it as text → (ROC `YYY-MM-DD`, `HH:MM:SS`) in local time.

    PostgreSQL writes `2024-03-01 01:00:00+00` (with the session's offset), SQLite `2024-03-01 01:00:00` (UTC, as
    Django stores aware datetimes there); fromisoformat reads both and fails loudly on anything else.
    """
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(batch.local_zone())
    return rocdate.format_dashed(local.date()), local.strftime("%H:%M:%S")


def institution_rows(entries: QuerySet[LedgerEntry]) -> Iterator[list[str]]:
    """For each of `entries` (in their order), the row `batch.row_values` makes of it: the 25 exchange columns as
    text, dates and times in ROC form and local time. Read in chunks (a server-side cursor on PostgreSQL) as plain
    tuples; repeated values (times, dates, hours, birthdays) are formatted once."""
    if tuple(column.key for column in batch.COLUMNS) != _INSTITUTION_KEYS:
        raise RuntimeError("batch.COLUMNS changed: update exports._INSTITUTION_KEYS and _INSTITUTION_FIELDS")
    moments: dict[str | None, tuple[str, str]] = {None: _EMPTY_MOMENT}
    birthdays: dict[dt.date | None, str] = {None: ""}
    hours: dict[Decimal, str] = {}
    rows = entries.values_list(*_INSTITUTION_FIELDS).iterator(chunk_size=5000)
    for (
        national_id,
        course_name,
        course_start,
        course_end,
        name,
        degree_credit,
        category_code,
        county_code,
        period,
        certified_hours,
        hours_unit,
        score,
        certificate_no,
        attendance_note,
        birthday,
        mode,
        digital_hours,
        physical_hours,
        course_code,
        actual_start,
        actual_end,
    ) in rows:
        texts = []
        for moment in (course_start, course_end, actual_start, actual_end):
            pair = moments.get(moment)
            if pair is None:
                pair = _moment_texts(moment)
                if len(moments) < _MEMO_LIMIT:
                    moments[moment] = pair
            texts.append(pair)
        birthday_text = birthdays.get(birthday)
        if birthday_text is None:
            birthday_text = birthdays[birthday] = rocdate.format_dashed(birthday)
        hour_texts = []
        for value in (certified_hours, digital_hours, physical_hours):
            text = hours.get(value)
            if text is None:
                # As batch.row_values: normalize() turns 2.00 into 2, format "f" keeps 20 from becoming 2E+1.
                # Equal Decimals (2.0, 2.00) share an entry, and their texts are equal too.
                text = hours[value] = format(value.normalize(), "f")
            hour_texts.append(text)
        yield [
            national_id,
            course_name,
            *texts[0],
            *texts[1],
            name,
            degree_credit or "",
            category_code or "",
            county_code or "",
            period or "",
            hour_texts[0],
            hours_unit or "",
            score or "",
            certificate_no or "",
            attendance_note or "",
            birthday_text,
            str(mode),
            hour_texts[1],
            hour_texts[2],
            course_code or "",
            *texts[2],
            *texts[3],
        ]
