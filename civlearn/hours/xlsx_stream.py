"""A one-sheet .xlsx written as a stream of rows, for exports of tens of thousands of rows.

openpyxl (write-only) spends ≈ 0.1 ms per row of 16 cells here, so 100,000 rows take over 10 s; this writer emits
the sheet's XML directly (texts in a shared-string table, numbers as numbers) into a zip stream and takes a
fraction of that.
It writes only what a data export needs: one sheet of text and numeric cells, no styles.
docs/adr/0004-hours-streamed-xlsx-for-large-exports.md records why; small exports keep using openpyxl.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from xml.sax.saxutils import escape

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>'
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = "</sheetData></worksheet>"


def _workbook(sheet_name: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{escape(sheet_name[:31], {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    )


def _text(value: str) -> str:
    """`value` escaped for XML text, marked to keep its spaces where it has leading or trailing ones."""
    if "&" in value or "<" in value or ">" in value:
        value = escape(value)
    if value[:1].isspace() or value[-1:].isspace():
        return f'<t xml:space="preserve">{value}</t>'
    return f"<t>{value}</t>"


def _cell(value: object) -> str:
    if value is None or value == "":
        return "<c/>"
    if isinstance(value, bool):
        return f'<c t="inlineStr"><is><t>{"是" if value else "否"}</t></is></c>'
    if isinstance(value, (int, float, Decimal)):
        return f"<c><v>{value}</v></c>"
    return f'<c t="inlineStr"><is>{_text(str(value))}</is></c>'


# How many distinct texts go to the shared-string table. A shared text is written once and each of its cells is a
# 20-byte reference, where an inline cell repeats the text and 40 bytes of markup: 100,000 rows of 25 columns
# came to 143 MB of sheet XML inline, and that XML's joining, encoding and compression were most of the write's
# CPU. The table must be held until the sheet is done, so it is bounded; texts past the bound are written inline.
_SHARED_LIMIT = 500_000


class _SharedStrings(dict):
    """text → its cell XML, filled on first use; `texts` in order are the shared-string table. Only str values
    are kept: numbers and booleans that compare equal (1, 1.0, True, Decimal("1.0")) are written differently
    and must not share an entry."""

    def __init__(self) -> None:
        # The empty cells are seeded: they are the commonest and need no call at all.
        super().__init__({None: "<c/>", "": "<c/>"})
        self.texts: list[str] = []

    def __missing__(self, value: object) -> str:
        if value.__class__ is not str or len(self.texts) >= _SHARED_LIMIT:
            return _cell(value)
        cell = self[value] = f'<c t="s"><v>{len(self.texts)}</v></c>'
        self.texts.append(value)
        return cell


def _shared_strings_xml(texts: list[str]) -> bytes:
    # Escaped in one pass over all texts joined by NUL, which XML text cannot hold; every entry keeps its spaces,
    # so no text needs looking at on its own. A text that does hold a NUL (an invalid file either way) must not
    # shift the entries after it, so then each is escaped alone.
    joined = "\0".join(texts)
    if joined.count("\0") == len(texts) - 1:
        body = escape(joined).replace("\0", '</t></si><si><t xml:space="preserve">')
    else:
        body = '</t></si><si><t xml:space="preserve">'.join(map(escape, texts))
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'uniqueCount="{len(texts)}">' + (f'<si><t xml:space="preserve">{body}</t></si>' if texts else "") + "</sst>"
    ).encode("utf-8")


def write(rows: Iterable[Sequence[object]], *, sheet_name: str = "Sheet1") -> bytes:
    """The whole file as bytes. Cells: str (text), int/float/Decimal (numbers), None/"" (empty)."""
    shared = _SharedStrings()
    cell_of = shared.__getitem__
    buffer = io.BytesIO()
    # Level 1 compresses a text-heavy sheet almost as well as the default, several times faster.
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _workbook(sheet_name))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_HEAD.encode())
            chunk: list[str] = []
            for row in rows:
                chunk.append("<row>" + "".join(map(cell_of, row)) + "</row>")
                if len(chunk) >= 2000:
                    sheet.write("".join(chunk).encode("utf-8"))
                    chunk = []
            sheet.write(("".join(chunk) + _SHEET_TAIL).encode("utf-8"))
        # After the sheet, when every text is known; a zip's members may come in any order.
        archive.writestr("xl/sharedStrings.xml", _shared_strings_xml(shared.texts))
    return buffer.getvalue()
