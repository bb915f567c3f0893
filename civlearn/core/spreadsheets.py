"""Reading the spreadsheets people upload (CSV, .xlsx and .ods), with the limits every importer shares.

Every importer of the platform reads its files through here, so one set of limits holds for all of them:

- a CSV must be text: a NUL byte (a binary file renamed .csv, or UTF-16 saved by mistake) is refused naming its
  line, before any row is parsed (PostgreSQL cannot store NUL in text, and Python's csv module passes it on);
- an .xlsx is a ZIP archive whose parts are inflated on reading. Before openpyxl parses anything the archive is
  checked by its directory (number of parts, declared unpacked size, compression ratio) and the worksheets by a
  byte scan that counts their rows and stops at the limit: a 350 KB "zip bomb" that unpacks to 200 MB of empty
  rows is refused in well under a second, instead of holding a worker for minutes;
- a damaged archive, or one whose worksheet XML is broken, is refused with a message fit to show, never an
  exception from the library.

Limits: SPREADSHEET_MAX_ROWS (rows per worksheet, default 500,000) and SPREADSHEET_MAX_UNPACKED_MB (the archive's
total size once inflated, default 300). Messages are in zh-Hant and name the row where there is one.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import itertools
import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO, cast
from xml.etree.ElementTree import ParseError

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

DEFAULT_MAX_ROWS = 500_000
DEFAULT_MAX_UNPACKED_MB = 300
# A real workbook compresses its XML 5–30 times; far beyond that the archive is built to inflate.
MAX_COMPRESSION_RATIO = 200
# Parts small enough that no ratio can matter (a 1 KB part is harmless whatever it inflates from).
_RATIO_FLOOR_BYTES = 1024 * 1024
MAX_PARTS = 10_000
_SNIFF_BYTES = 64 * 1024
_SCAN_CHUNK = 1024 * 1024
# A worksheet row element, with or without a namespace prefix; not <rowBreaks> or <rows…>.
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
_WORKSHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$")

CORRUPT_XLSX = gettext_lazy("檔案無法以 Excel（.xlsx）格式開啟，請確認檔案未損壞")
CORRUPT_ODS = gettext_lazy("檔案無法以 ODF 試算表（.ods）格式開啟，請確認檔案未損壞")
_NUL = gettext_lazy(
    "第 {line} 列含有空字元（NUL），這不是純文字的 CSV 檔；請以 Excel 另存為 CSV（UTF-8 或 Big5）後再上傳"
)
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


class SpreadsheetError(ValueError):
    """What is wrong with a file, fit to show; `row` is the spreadsheet's row number (1 = the header), 0 = none."""

    def __init__(self, message: str | Promise, *, row: int = 0):
        message = str(message)  # a lazy translation becomes text in the active language here
        super().__init__(message)
        self.message, self.row = message, row


def max_rows() -> int:
    return int(getattr(settings, "SPREADSHEET_MAX_ROWS", DEFAULT_MAX_ROWS))


def max_unpacked_bytes() -> int:
    return int(getattr(settings, "SPREADSHEET_MAX_UNPACKED_MB", DEFAULT_MAX_UNPACKED_MB)) * 1024 * 1024


# -- CSV ------------------------------------------------------------------------------------------------------------


def refuse_nul(data: bytes) -> None:
    """Raise SpreadsheetError naming the line of the first NUL byte, if there is one."""
    position = data.find(b"\x00")
    if position >= 0:
        line = data.count(b"\n", 0, position) + 1
        raise SpreadsheetError(
            _NUL.format(line=line),
            row=line,
        )


def sniff_encoding(head: bytes, *, complete: bool) -> str:
    """utf-8-sig, utf-8 or cp950 (Big5 as Windows writes it), judged on the first bytes of the file."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise SpreadsheetError(_("不支援 UTF-16 編碼的檔案，請另存為 CSV（UTF-8）或 .xlsx"))
    try:
        # An incremental decoder tolerates a character cut in half at the end of the sample.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
    except UnicodeDecodeError:
        return "cp950"
    return "utf-8"


def _csv_rows(raw: IO[bytes], encoding: str, limit: int) -> Iterator[tuple[int, list]]:
    number = 0
    try:
        # Lines are split as bytes and decoded one by one, so a decoding error names its own row rather than
        # somewhere in a read-ahead buffer. Splitting at b"\n" is safe: neither UTF-8 nor Big5 uses 0x0A inside a
        # multi-byte character.
        lines = (_checked_line(line, index).decode(encoding) for index, line in enumerate(raw, start=1))
        first_line = next(lines, "")
        # Spreadsheet programs' "text (tab-delimited)" export is accepted too.
        delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
        for number, cells in enumerate(csv.reader(itertools.chain([first_line], lines), delimiter=delimiter), 1):
            if number > limit + 1:
                raise SpreadsheetError(_("檔案超過 {limit:,} 列資料的上限，請分批匯入").format(limit=limit), row=number)
            yield number, cells
    except UnicodeDecodeError:
        label = "Big5" if encoding == "cp950" else "UTF-8"
        raise SpreadsheetError(
            _("含有無法以 {encoding} 解讀的字元，請將檔案另存為 UTF-8 或 Big5 編碼的 CSV").format(encoding=label),
            row=number + 1,
        ) from None
    except csv.Error as exc:
        raise SpreadsheetError(_("CSV 格式不正確（{problem}）").format(problem=exc), row=number + 1) from None


def _checked_line(line: bytes, index: int) -> bytes:
    if b"\x00" in line:
        raise SpreadsheetError(
            _NUL.format(line=index),
            row=index,
        )
    return line


# -- .xlsx ----------------------------------------------------------------------------------------------------------


def check_xlsx(raw: IO[bytes], *, rows: int | None = None, unpacked_bytes: int | None = None) -> None:
    """Refuse an .xlsx archive that is damaged, inflates too far, or has a worksheet with too many rows.

    Reads the ZIP directory, then inflates each worksheet once as a byte stream, counting row elements and
    stopping at the limit; nothing is parsed as XML. Leaves `raw` at its start.
    """
    rows = max_rows() if rows is None else rows
    unpacked_bytes = max_unpacked_bytes() if unpacked_bytes is None else unpacked_bytes
    raw.seek(0)
    try:
        with zipfile.ZipFile(raw) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_PARTS:
                raise SpreadsheetError(
                    _("檔案含有 {parts:,} 個部分，不像一般的試算表；請以 Excel 另存後再匯入").format(parts=len(parts))
                )
            total = sum(part.file_size for part in parts)
            if total > unpacked_bytes:
                megabytes, allowed = total // (1024 * 1024), unpacked_bytes // (1024 * 1024)
                raise SpreadsheetError(
                    _("檔案解壓縮後約 {megabytes:,} MB，超過 {allowed:,} MB 的上限；請分批匯入").format(
                        megabytes=megabytes, allowed=allowed
                    )
                )
            for part in parts:
                if part.file_size > _RATIO_FLOOR_BYTES and part.file_size > MAX_COMPRESSION_RATIO * max(
                    part.compress_size, 1
                ):
                    raise SpreadsheetError(
                        _("檔案的壓縮比例異常（約 {ratio:,} 倍），不像一般的試算表；請以 Excel 另存後再匯入").format(
                            ratio=part.file_size // max(part.compress_size, 1)
                        )
                    )
            for part in parts:
                if _WORKSHEET.match(part.filename):
                    _count_rows(archive, part, rows)
    except SpreadsheetError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, ValueError, NotImplementedError) as exc:
        raise SpreadsheetError(CORRUPT_XLSX) from exc
    finally:
        raw.seek(0)


def _count_rows(archive: zipfile.ZipFile, part: zipfile.ZipInfo, limit: int) -> None:
    # The header row is not data: the limit is on data rows, like the CSV reader's.
    count, tail = 0, b""
    with archive.open(part) as stream:
        while chunk := stream.read(_SCAN_CHUNK):
            # A tag cut between two chunks is found in the joined edge; the edge is short enough that no tag is
            # counted twice (a full row tag is at least 5 bytes, the edge keeps 15).
            count += len(_ROW_TAG.findall(tail + chunk)) - len(_ROW_TAG.findall(tail))
            tail = chunk[-15:]
            if count > limit + 1:
                raise SpreadsheetError(_("工作表超過 {limit:,} 列資料的上限，請分批匯入").format(limit=limit))


def _xlsx_rows(raw: IO[bytes], limit: int) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check_xlsx(raw, rows=limit)
    try:
        workbook = load_workbook(raw, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, zlib.error, KeyError, OSError, ValueError, ParseError) as exc:
        raise SpreadsheetError(CORRUPT_XLSX) from exc
    number = 0
    try:
        if not workbook.worksheets:
            raise SpreadsheetError(_("檔案沒有任何工作表"))
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        for number, cells in enumerate(rows, start=1):
            yield number, list(cells)
    except SpreadsheetError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, OSError, ValueError, TypeError, ParseError) as exc:
        raise SpreadsheetError(
            _("{problem}（第 {row} 列無法讀取）").format(problem=CORRUPT_XLSX, row=number + 1), row=number + 1
        ) from exc
    finally:
        workbook.close()


def _is_ods(head: bytes) -> bool:
    # ODF puts an uncompressed "mimetype" entry first in the archive (ODF 1.2 part 3, 3.3), so its content sits at a
    # fixed place near the start of the file.
    return head[30:38] == b"mimetype" and _ODS_MIMETYPE in head[38:120]


def _ods_rows(raw: IO[bytes], limit: int) -> Iterator[tuple[int, list]]:
    """Rows of the first sheet of an .ods (odfpy), repeated rows and cells expanded; blank rows at the end (which
    spreadsheet programs write as one row repeated a million times) are dropped."""
    from odf.opendocument import load
    from odf.table import Table, TableRow

    check_xlsx(raw, rows=limit)  # the archive's limits (parts, inflated size, ratio) hold for any ZIP-based sheet
    try:
        document = load(raw)
    except (zipfile.BadZipFile, zlib.error, KeyError, OSError, ValueError, ParseError, AttributeError) as exc:
        raise SpreadsheetError(CORRUPT_ODS) from exc
    tables = document.spreadsheet.getElementsByType(Table) if document.spreadsheet else []
    if not tables:
        raise SpreadsheetError(_("檔案沒有任何工作表"))
    number, pending_blank = 0, 0
    for row in tables[0].getElementsByType(TableRow):
        cells = _ods_cells(row)
        repeat = int(row.getAttribute("numberrowsrepeated") or 1)
        if not any(cell not in (None, "") for cell in cells):
            pending_blank += repeat
            continue
        for index in range(pending_blank + repeat):
            number += 1
            if number > limit + 1:
                message = _("工作表超過 {limit:,} 列資料的上限，請分批匯入").format(limit=limit)
                raise SpreadsheetError(message, row=number)
            yield number, (cells if index >= pending_blank else [])
        pending_blank = 0


def _ods_cells(row) -> list:
    values: list = []
    for cell in row.childNodes:
        if cell.qname[1] not in ("table-cell", "covered-table-cell"):
            continue
        kind = cell.getAttribute("valuetype")
        if kind in ("float", "percentage", "currency"):
            number = float(cell.getAttribute("value"))
            value: object = int(number) if number.is_integer() else number
        elif kind == "date":
            value = cell.getAttribute("datevalue")
        elif kind == "boolean":
            value = cell.getAttribute("booleanvalue")
        else:
            value = "\n".join(str(paragraph) for paragraph in cell.childNodes if paragraph.qname[1] == "p") or None
        repeat = int(cell.getAttribute("numbercolumnsrepeated") or 1)
        # A row's trailing empty cells come as one cell repeated to the sheet's last column.
        values.extend([value] * (repeat if value not in (None, "") else min(repeat, 1024)))
    while values and values[-1] in (None, ""):
        values.pop()
    return values


# -- either ---------------------------------------------------------------------------------------------------------


def _binary(file) -> IO[bytes]:
    # Django's UploadedFile wraps the real file object; io needs the object that has readable()/read().
    raw = getattr(file, "file", file)
    if hasattr(raw, "seek"):
        raw.seek(0)
    return raw


def read_rows(file, filename: str, *, limit: int | None = None) -> Iterator[tuple[int, list]]:
    """Yield (row number, cells) for every row of a CSV, .xlsx or .ods file, header included, streaming (an .ods
    is parsed whole: odfpy has no streaming reader).

    The type is judged by content first (an .xlsx is a ZIP archive), then by the file name. Raises
    SpreadsheetError for anything wrong with the file itself, before the first row when it can be known then.
    """
    limit = max_rows() if limit is None else limit
    raw = _binary(file)
    head = raw.read(_SNIFF_BYTES)
    raw.seek(0)
    if not head:
        raise SpreadsheetError(_("檔案是空的"))
    extension = os.path.splitext(filename or "")[1].lower()
    if head.startswith(b"PK\x03\x04") and (_is_ods(head) or extension == ".ods"):
        yield from _ods_rows(raw, limit)
    elif head.startswith(b"PK\x03\x04"):
        yield from _xlsx_rows(raw, limit)
    elif head.startswith(b"\xd0\xcf\x11\xe0") or extension == ".xls":
        raise SpreadsheetError(_("不支援舊版 Excel（.xls）檔案，請另存為 .xlsx 或 CSV"))
    elif extension in (".xlsx", ".xlsm"):
        raise SpreadsheetError(CORRUPT_XLSX)
    else:
        yield from _csv_rows(raw, sniff_encoding(head, complete=len(head) < _SNIFF_BYTES), limit)


def cell_text(value) -> str:
    """A cell as trimmed text: numbers without a needless ".0", dates as ISO, full-width spaces trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).replace("\u3000", " ").strip()


# -- writing --------------------------------------------------------------------------------------------------------

# What makes Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP "CSV Injection"): a name such as
# `=cmd|' /C calc'!A0` typed by one person would run on the computer of the officer who opens the export.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain number ("-2", "+1.5") is never a formula: it is left as it is, so a reversal's negative hours stay numbers.
_PLAIN_NUMBER = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")


# What an importer says of a name that starts like a formula (exports neutralise it anyway; this keeps it out).
# Lazy, so it reads in the language active where it is shown; typed as the text it turns into wherever it is used.
FORMULA_REFUSED = cast(str, gettext_lazy("不可以 =、+、-、@ 開頭（試算表軟體會把它當作公式執行）"))


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.match(text)


def neutralise(value):
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP's advice); anything else
    is returned unchanged."""
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


class _NeutralisingWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(handle, **options) -> _NeutralisingWriter:
    """`csv.writer(handle, **options)` whose every cell goes through `neutralise`: every CSV the platform writes
    is made with this."""
    return _NeutralisingWriter(csv.writer(handle, **options))


def xlsx_row(worksheet, row) -> list:
    """Cells for `worksheet.append` (openpyxl, write-only): text stays text. openpyxl itself stores a string that
    starts with "=" as a formula, so such a cell is written with the string type instead (the text unchanged)."""
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in row:
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(worksheet, value)
            cell.data_type = "s"
            cells.append(cell)
        else:
            cells.append(value)
    return cells
