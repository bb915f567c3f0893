import io
import zipfile

import pytest
from odf.opendocument import load as load_ods
from odf.table import Table, TableCell, TableRow
from odf.text import P
from openpyxl import load_workbook

from civlearn.core import clock
from civlearn.hours.tests.factories import MANUAL_113_FIGURES, record_manual_113, taipei

pytestmark = pytest.mark.django_db

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
FIRST_RECORD = [
    "手冊課程01",
    "1",
    None,
    "國立臺中科技大學",
    "366",
    "性別平等進階課程",
    "數位",
    "113/03/01",
    "113/03/01",
    4,
    0,
    4,
    "*",
]
REQUIREMENTS = [
    ["規定", "應完成時數", "已完成時數", "尚缺時數", "達成情形"],
    ["每年必須完成之課程總學習時數(10小時)", 10, 19, 0, "已達成"],
    ["當前政府重大政策(1小時)", 1, 1, 0, "已達成"],
    ["環境教育(4小時)", 4, 2, 2, "未達成"],
    ["性別平等、廉政與服務倫理、人權教育、轉型正義、行政中立、多元族群文化、公民參與(5小時)", 5, 16, 0, "已達成"],
]


@pytest.fixture
def manual_learner(client, learner):
    clock.advance(taipei(2024, 3, 21, 10) - clock.now())
    record_manual_113(learner.person)
    client.force_login(learner)
    return learner


def xlsx_rows(content):
    workbook = load_workbook(io.BytesIO(content))
    return {sheet.title: [trim(list(row)) for row in sheet.iter_rows(values_only=True)] for sheet in workbook}


def trim(row):
    """Rows as written: openpyxl pads each row to the sheet's widest one."""
    while row and row[-1] is None:
        row.pop()
    return row


def ods_rows(content):
    """Every sheet as rows of typed values: floats for numeric cells, text otherwise, None for empty cells."""
    document = load_ods(io.BytesIO(content))
    sheets = {}
    for table in document.spreadsheet.getElementsByType(Table):
        rows = []
        for row in table.getElementsByType(TableRow):
            cells = []
            for cell in row.getElementsByType(TableCell):
                kind = cell.getAttribute("valuetype")
                if kind == "float":
                    cells.append(float(cell.getAttribute("value")))
                elif kind == "string":
                    cells.append("".join(str(p) for p in cell.getElementsByType(P)))
                else:
                    cells.append(None)
            rows.append(trim(cells))
        sheets[table.getAttribute("name")] = rows
    return sheets


def test_xlsx_has_the_manual_summary_cell_by_cell_and_numbers_as_numbers(client, manual_learner):
    response = client.get("/lifelong/folder/hours/export.xlsx?year=113")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="learning-hours-113.xlsx"'
    sheets = xlsx_rows(response.content)
    assert list(sheets) == ["學習紀錄", "時數統計"]
    records = sheets["學習紀錄"]
    assert records[0] == RECORD_HEADERS
    assert records[1] == FIRST_RECORD
    assert len(records) == 10
    summary = sheets["時數統計"]
    assert summary[0] == ["項目", "時數"]
    assert summary[1:19] == [[label, int(hours)] for label, hours in MANUAL_113_FIGURES]
    assert all(isinstance(row[1], int) for row in summary[1:19])
    assert summary[20:] == REQUIREMENTS


def test_ods_has_the_same_cells(client, manual_learner):
    response = client.get("/lifelong/folder/hours/export.ods?year=113")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oasis.opendocument.spreadsheet"
    assert (
        zipfile.ZipFile(io.BytesIO(response.content)).read("mimetype")
        == b"application/vnd.oasis.opendocument.spreadsheet"
    )
    sheets = ods_rows(response.content)
    assert list(sheets) == ["學習紀錄", "時數統計"]
    assert sheets["學習紀錄"][0] == RECORD_HEADERS
    assert sheets["學習紀錄"][1] == [float(v) if isinstance(v, int) else v for v in FIRST_RECORD]
    summary = sheets["時數統計"]
    assert summary[1:19] == [[label, float(hours)] for label, hours in MANUAL_113_FIGURES]
    assert summary[20:] == [[float(v) if isinstance(v, int) else v for v in row] for row in REQUIREMENTS]


def test_download_of_a_year_without_records_has_headers_and_zero_totals(client, manual_learner):
    sheets = xlsx_rows(client.get("/lifelong/folder/hours/export.xlsx?year=110").content)

    assert sheets["學習紀錄"] == [RECORD_HEADERS]
    assert sheets["時數統計"][1] == ["通過總學習時數", 0]
    assert len(sheets["時數統計"]) == 1 + 14  # no 2021 rules


_REFERENCE_FIELDS = (
    "course_name", "course_code", "period", "category_code", "county_code", "degree_credit", "certified_hours",
    "hours_unit", "score", "certificate_no", "attendance_note", "mode", "digital_hours", "physical_hours",
    "course_start", "course_end", "actual_start", "actual_end",
)  # fmt: skip


def _reference_records(entries):
    """The records as model values, keyed as batch.row_values reads them: the plain (slow) reading of the same rows."""
    for row in entries.values(*_REFERENCE_FIELDS, "person__national_id", "person__name", "person__birthday"):
        row["national_id"] = row.pop("person__national_id")
        row["name"] = row.pop("person__name")
        row["birthday"] = row.pop("person__birthday")
        yield row


def test_institution_rows_are_the_rows_batch_row_values_makes(learner_person, second_person):
    import datetime as dt

    from civlearn.hours import batch, exports, selectors
    from civlearn.hours.tests.factories import record
    from civlearn.registry.models import Person

    Person.objects.filter(pk=second_person.pk).update(birthday=dt.date(1990, 12, 31))
    # 07:30 in Taipei is the day before in UTC: the date must come out in local time.
    early = taipei(2024, 3, 1, 7, 30)
    record(learner_person, hours="1.5", code="339", end=taipei(2024, 3, 1, 9, 0), actual_start=early,
           course_start=early, course_end=taipei(2024, 3, 31, 17), course_code="C01", period="2", score="90",
           certificate_no="證-1", attendance_note="全勤", county_code="40")  # fmt: skip
    record(second_person, hours="20", mode=2, code="510", end=taipei(2024, 5, 2, 16, 45))
    record(learner_person, hours="2", code="510", end=taipei(2024, 3, 1, 9, 0), actual_start=early,
           reference="shares-the-moments")  # fmt: skip
    record(learner_person, hours="3", code="510", end=taipei(2025, 1, 1, 0, 30))  # 2024 in UTC, 2025 here
    entries = selectors.institution_export_entries(institution_code="A09600000Q", year=2024)

    rows = list(exports.institution_rows(entries))

    # batch.row_values' layout of the same records, read as model values, is the reference.
    assert rows == [batch.row_values(row) for row in _reference_records(entries)]
    assert rows[0] == [
        learner_person.national_id, "課程 339", "113-03-01", "07:30:00", "113-03-31", "17:00:00", learner_person.name,
        "6", "339", "40", "2", "1.5", "1", "90", "證-1", "全勤", "061-01-01", "1", "1.5", "0", "C01",
        "113-03-01", "07:30:00", "113-03-01", "09:00:00",
    ]  # fmt: skip
    assert rows[1][2:6] == ["", "", "", ""]  # no course dates
    assert rows[1][21:] == rows[0][21:]  # the same moments, formatted once
    assert rows[2][16] == "079-12-31"
    assert (rows[2][11], rows[2][17], rows[2][18], rows[2][19]) == ("20", "2", "0", "20")
    assert len(rows) == 3


def test_institution_rows_refuse_to_run_when_the_exchange_columns_change(monkeypatch, learner_person):
    from civlearn.hours import batch, exports
    from civlearn.hours.models import LedgerEntry

    monkeypatch.setattr(batch, "COLUMNS", batch.COLUMNS[1:])

    with pytest.raises(RuntimeError, match=r"batch\.COLUMNS changed"):
        next(exports.institution_rows(LedgerEntry.objects.all()))


def test_the_streamed_writer_keeps_numbers_booleans_and_texts_that_compare_equal_apart():
    from decimal import Decimal

    from civlearn.hours import xlsx_stream

    # 1 == 1.0 == True == Decimal("1.0"): each is still written as what it is, in any order, on every row.
    rows = [[True, 1, Decimal("1.0"), "1", None, ""], ["1", Decimal("1.0"), 1, True, "", None]] * 2

    data = xlsx_stream.write(rows, sheet_name="s")

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        shared = archive.read("xl/sharedStrings.xml").decode()
    body = sheet.split("<sheetData>")[1].split("</sheetData>")[0]
    yes = '<c t="inlineStr"><is><t>是</t></is></c>'
    one = '<c t="s"><v>0</v></c>'  # the first (and only) shared text
    first = f"<row>{yes}<c><v>1</v></c><c><v>1.0</v></c>{one}<c/><c/></row>"
    second = f"<row>{one}<c><v>1.0</v></c><c><v>1</v></c>{yes}<c/><c/></row>"
    assert body == (first + second) * 2
    assert shared.endswith('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="1">'
                           '<si><t xml:space="preserve">1</t></si></sst>')  # fmt: skip
    values = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert [[(type(v).__name__, v) for v in row] for row in values[:2]] == [
        [("str", "是"), ("int", 1), ("float", 1.0), ("str", "1"), ("NoneType", None), ("NoneType", None)],
        [("str", "1"), ("float", 1.0), ("int", 1), ("str", "是"), ("NoneType", None), ("NoneType", None)],
    ]


def test_the_streamed_writer_writes_texts_inline_past_the_shared_table_bound(monkeypatch):
    from civlearn.hours import xlsx_stream

    monkeypatch.setattr(xlsx_stream, "_SHARED_LIMIT", 2)
    rows = [["甲", "乙"], ["丙 ", "甲"], ["A&B <c>", "乙"]]

    data = xlsx_stream.write(rows, sheet_name="s")

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        body = archive.read("xl/worksheets/sheet1.xml").decode().split("<sheetData>")[1]
    assert body.startswith(
        '<row><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row>'
        '<row><c t="inlineStr"><is><t xml:space="preserve">丙 </t></is></c><c t="s"><v>0</v></c></row>'
        '<row><c t="inlineStr"><is><t>A&amp;B &lt;c&gt;</t></is></c><c t="s"><v>1</v></c></row>'
    )
    assert list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)) == [
        ("甲", "乙"),
        ("丙 ", "甲"),
        ("A&B <c>", "乙"),
    ]


def test_the_streamed_writer_keeps_the_shared_table_aligned_when_a_text_holds_a_nul():
    from civlearn.hours import xlsx_stream

    shared = xlsx_stream._shared_strings_xml(["a\0b", "<c>", " d "])

    assert shared.decode().split('uniqueCount="3">')[1] == (
        '<si><t xml:space="preserve">a\0b</t></si><si><t xml:space="preserve">&lt;c&gt;</t></si>'
        '<si><t xml:space="preserve"> d </t></si></sst>'
    )


def test_a_learner_who_chose_english_downloads_english_headers_and_the_official_ones_stay_the_default(
    client, manual_learner, settings
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    sheets = xlsx_rows(client.get("/lifelong/folder/hours/export.xlsx?year=113").content)

    assert list(sheets) == ["Learning records", "Hours by category"]
    records = sheets["Learning records"]
    assert records[0][:4] == ["Course title", "Class", "Course code", "Learning institution"]
    assert records[0][-4:] == ["Related to duties", "Self-applied official leave", "Score", "Certificate number"]
    assert records[1][6] == "Online"
    summary = sheets["Hours by category"]
    assert summary[0] == ["Item", "Hours"]
    assert summary[20][:3] == ["Requirement", "Required hours", "Hours completed"]

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hant"
    sheets = xlsx_rows(client.get("/lifelong/folder/hours/export.xlsx?year=113").content)
    assert list(sheets) == ["學習紀錄", "時數統計"]
    assert sheets["學習紀錄"][0] == RECORD_HEADERS
