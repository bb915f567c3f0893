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
