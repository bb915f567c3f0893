"""Hostile and broken import files: refused with a message naming the problem, nothing written, no 500.

The limits live in civlearn.core.spreadsheets and hold for every importer; these tests go through the registry
import, the service the HR pages, the admin and the command share.
"""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from civlearn.core import spreadsheets
from civlearn.registry.services import registry_import
from civlearn.registry.tests.files import PERSON_HEADER, csv_file, xlsx_file
from civlearn.registry.tests.test_services_import import ROWS, errors_of, snapshot

CORRUPT = "檔案無法以 Excel（.xlsx）格式開啟，請確認檔案未損壞"


def import_persons(file, name):
    return registry_import(kind="persons", file=file, filename=name, actor=None)


def bomb(*, empty_rows: int, level: int = 9) -> io.BytesIO:
    """A real workbook whose first worksheet then carries `empty_rows` empty row elements: what a hostile user
    makes by hand, deflated to a few hundred KB."""
    good = xlsx_file(ROWS)
    out = io.BytesIO()
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                head, tail = data.split(b"</sheetData>")
                with z.open(item.filename, "w", force_zip64=True) as sheet:
                    sheet.write(head)
                    block = b"<row/>" * 100_000
                    for _ in range(empty_rows // 100_000):
                        sheet.write(block)
                    sheet.write(b"</sheetData>" + tail)
            else:
                z.writestr(item, data)
    out.seek(0)
    return out


@pytest.fixture(scope="module")
def big_bomb():
    return bomb(empty_rows=35_000_000).getvalue()


def test_a_small_xlsx_that_unpacks_to_200_mb_is_refused_before_parsing(agency, big_bomb):
    before = snapshot()
    assert len(big_bomb) < 400 * 1024

    started = time.monotonic()
    result = import_persons(io.BytesIO(big_bomb), "persons.xlsx")
    elapsed = time.monotonic() - started

    with zipfile.ZipFile(io.BytesIO(big_bomb)) as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    assert sheet.file_size > 200 * 1024 * 1024
    ratio = sheet.file_size // sheet.compress_size
    assert errors_of(result) == [
        (0, "", f"檔案的壓縮比例異常（約 {ratio:,} 倍），不像一般的試算表；請以 Excel 另存後再匯入")
    ]
    assert snapshot() == before
    # Refused from the ZIP directory alone: nothing was inflated (printed, not asserted: the machine is shared).
    print(f"bomb of {len(big_bomb):,} bytes refused in {elapsed:.3f} s")


def test_the_unpacked_size_limit_holds_whatever_the_ratio(agency, big_bomb, settings):
    with zipfile.ZipFile(io.BytesIO(big_bomb)) as archive:
        unpacked = sum(part.file_size for part in archive.infolist())
    assert unpacked > 200 * 1024 * 1024
    settings.SPREADSHEET_MAX_UNPACKED_MB = 100

    result = import_persons(io.BytesIO(big_bomb), "persons.xlsx")

    assert errors_of(result) == [
        (0, "", f"檔案解壓縮後約 {unpacked // (1024 * 1024):,} MB，超過 100 MB 的上限；請分批匯入")
    ]


def test_rows_are_counted_before_parsing_even_when_the_ratio_looks_ordinary(agency, settings, monkeypatch):
    # 2,000 empty rows deflate far less than a bomb; with a 1,000-row limit the byte scan refuses the sheet.
    monkeypatch.setattr(spreadsheets, "_RATIO_FLOOR_BYTES", 10**12)
    settings.SPREADSHEET_MAX_ROWS = 1000
    before = snapshot()

    result = import_persons(bomb(empty_rows=200_000, level=1), "persons.xlsx")

    assert errors_of(result) == [(0, "", "工作表超過 1,000 列資料的上限，請分批匯入")]
    assert snapshot() == before


def test_a_csv_over_the_row_limit_is_refused_at_the_first_row_too_many(agency, settings):
    settings.SPREADSHEET_MAX_ROWS = 1
    result = import_persons(csv_file(ROWS), "persons.csv")

    assert errors_of(result) == [(3, "", "檔案超過 1 列資料的上限，請分批匯入")]


def test_a_csv_with_a_nul_byte_is_refused_naming_its_row(agency):
    data = csv_file(ROWS).getvalue().replace("王小明".encode(), "王小\x00明".encode())
    before = snapshot()

    result = import_persons(io.BytesIO(data), "persons.csv")

    assert errors_of(result) == [
        (2, "", "第 2 列含有空字元（NUL），這不是純文字的 CSV 檔；請以 Excel 另存為 CSV（UTF-8 或 Big5）後再上傳")
    ]
    assert snapshot() == before


def _damaged_sheet() -> io.BytesIO:
    good = xlsx_file(ROWS)
    out = io.BytesIO()
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # the XML stops in the middle of a row
            target.writestr(item, data)
    out.seek(0)
    return out


def _flipped_bytes() -> io.BytesIO:
    data = bytearray(xlsx_file(ROWS).getvalue())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)  # a run of compressed bytes overwritten
    return io.BytesIO(bytes(data))


@pytest.mark.parametrize(
    ("make_file", "expected"),
    [
        (lambda: io.BytesIO(xlsx_file(ROWS).getvalue()[:-200]), CORRUPT),
        (lambda: io.BytesIO(xlsx_file(ROWS).getvalue()[:1000]), CORRUPT),
        (_flipped_bytes, CORRUPT),
        (_damaged_sheet, CORRUPT),
        (lambda: io.BytesIO(b"PK\x03\x04" + b"\x00" * 100), CORRUPT),
    ],
    ids=["truncated-directory", "first-kilobyte", "overwritten-bytes", "broken-sheet-xml", "zip-signature-only"],
)
def test_a_corrupt_xlsx_is_refused_with_a_clear_message(agency, make_file, expected):
    before = snapshot()

    result = import_persons(make_file(), "persons.xlsx")

    assert len(result.errors) == 1
    assert result.errors[0].message.startswith(expected)
    assert (result.created, result.updated) == (0, 0)
    assert snapshot() == before


def test_an_ordinary_workbook_still_passes_every_check(agency):
    result = import_persons(xlsx_file([PERSON_HEADER, *ROWS[1:]]), "persons.xlsx")

    assert (result.errors, result.created) == ([], 2)


def test_names_that_start_like_a_formula_are_refused_at_import(agency):
    rows = [PERSON_HEADER, ["A123456789", "=cmd|' /C calc'!A0", "0610101", "A09600000Q", "1040801", "", "", ""]]
    before = snapshot()

    result = import_persons(csv_file(rows), "persons.csv")

    assert errors_of(result) == [(2, "姓名", "不可以 =、+、-、@ 開頭（試算表軟體會把它當作公式執行）")]
    assert snapshot() == before
