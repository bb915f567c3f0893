"""進入管理介面: an HR office's staff report, filters, downloads — and refusals for everyone else."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civlearn.hours import hr, rules, selectors
from civlearn.hours.models import RequirementRule
from civlearn.hours.tests.factories import record, taipei
from conftest import make_person

URL = "/lifelong/manage/"
REQUIREMENT_KEYS = ["required-total", "policy", "environment", "values"]


def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def staff(agency, sub_agency, other_agency, learner_person):
    """王小明 meets everything; 李大華 (sub-agency) lacks 環境教育; 陳他機關 works elsewhere."""
    record(learner_person, hours="1", code="510")
    record(learner_person, hours="4", code="339")
    record(learner_person, hours="5", code="550")
    record(learner_person, hours="3", code="54", end=taipei(2023, 12, 31, 17))
    short = make_person(sub_agency, "B220000000", "李大華", email="dahua@example.tw")
    record(short, hours="1", code="510")
    record(short, hours="2", code="339")
    record(short, hours="6", code="550")
    outsider = make_person(other_agency, "C220000001", "陳他機關", email="x@example.tw")
    record(outsider, hours="9", code="339")
    return {"met": learner_person, "short": short, "outsider": outsider}


def test_the_report_agrees_with_each_persons_own_summary(hr_officer, staff):
    report = hr.agency_report(user=hr_officer, year=2024)

    assert [row.name for row in report.rows] == ["林人事", "王小明", "李大華"]
    assert [column.key for column in report.columns] == REQUIREMENT_KEYS
    for row in report.rows:
        person = {p.pk: p for p in staff.values()}.get(row.person_id)
        if person is None:
            continue
        summary = selectors.year_summary(person=person, year=2024)
        assert row.total == summary.total
        for column, cell in zip(report.columns, row.cells, strict=True):
            expected = summary.row(column.key)
            assert (cell.hours, cell.met, cell.missing) == (expected.hours, expected.met, expected.missing)
    short = next(row for row in report.rows if row.name == "李大華")
    assert short.masked_id == "B22000****"
    assert [(c.hours, c.missing) for c in short.cells] == [
        (Decimal("9.0"), Decimal("1.0")),
        (Decimal("1.0"), Decimal("0.0")),
        (Decimal("2.0"), Decimal("2.0")),
        (Decimal("6.0"), Decimal("0.0")),
    ]


def test_an_agency_rule_is_a_column_for_its_staff_only(hr_officer, agency, sub_agency, staff):
    RequirementRule.objects.create(
        key="digital-10", label="本校數位課程(10小時)", year_from=2024, agency=sub_agency, minimum_hours=10,
        scope="all", mode=1,
    )  # fmt: skip
    rules.invalidate()

    report = hr.agency_report(user=hr_officer, year=2024)

    assert [c.key for c in report.columns] == [*REQUIREMENT_KEYS, "digital-10"]
    by_name = {row.name: row for row in report.rows}
    assert by_name["王小明"].cells[-1].applies is False
    assert (by_name["李大華"].cells[-1].hours, by_name["李大華"].cells[-1].missing) == (Decimal("9.0"), Decimal("1.0"))


def test_the_page_lists_staff_with_masked_ids_and_status(client, hr_officer, staff):
    signed_in(client, hr_officer)

    page = client.get(URL, {"year": 113}).content.decode()

    assert "113 年度，共 3 人；其中 2 人尚有規定時數未達成。" in page
    assert "A12345****" in page and "A123456789" not in page
    assert "陳他機關" not in page
    assert "尚差 2" in page
    assert "環境教育(4小時)" in page


def test_filters(client, hr_officer, sub_agency, staff):
    signed_in(client, hr_officer)

    short_env = client.get(URL, {"year": 113, "short": "environment"}).content.decode()
    by_name = client.get(URL, {"year": 113, "name": "王"}).content.decode()
    sub = client.get(URL, {"year": 113, "agency": sub_agency.pk}).content.decode()
    last_year = client.get(URL, {"year": 112}).content.decode()
    bad_year = client.get(URL, {"year": "abc"}).content.decode()

    assert "李大華" in short_env and "王小明" not in short_env
    assert "王小明" in by_name and "李大華" not in by_name
    assert "李大華" in sub and "王小明" not in sub
    assert "112 年度，共 3 人" in last_year
    assert "年度應為數字，例如 113" in bad_year


def test_the_report_page_makes_a_fixed_number_of_queries(client, hr_officer, agency, staff):
    signed_in(client, hr_officer)
    client.get(URL, {"year": 113})
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL, {"year": 113}).status_code == 200
    for index in range(20):
        person = make_person(agency, f"D1{index:07d}0", f"員工{index:02d}")
        record(person, hours="1", code="339")

    with CaptureQueriesContext(connection) as many:
        assert client.get(URL, {"year": 113}).status_code == 200

    assert len(many.captured_queries) <= len(few.captured_queries)
    assert len(many.captured_queries) <= 16


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_downloads_hold_the_same_figures(client, hr_officer, staff, fmt):
    signed_in(client, hr_officer)

    response = client.get(f"/lifelong/manage/download.{fmt}", {"year": 113})

    assert response["Content-Disposition"] == f'attachment; filename="hours-staff-113.{fmt}"'
    rows = read_sheet(response.content, fmt)
    assert rows[0][:5] == ["姓名", "身分證字號", "機關代碼", "機關名稱", "通過總學習時數"]
    assert rows[0][5:7] == ["每年必須完成之課程總學習時數(10小時)", "每年必須完成之課程總學習時數(10小時) 尚缺時數"]
    short = next(row for row in rows if row[0] == "李大華")
    assert short[1:5] == ["B22000****", "A09600001Q", "國立臺中科技大學附設進修部", 9]
    assert short[9:11] == [2, 2]  # 環境教育: done, missing
    assert short[-1] == "否"


def test_an_officer_who_chose_english_downloads_english_headers(client, hr_officer, staff, settings):
    signed_in(client, hr_officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get("/lifelong/manage/download.xlsx", {"year": 113})

    rows = read_sheet(response.content, "xlsx")
    assert rows[0][:5] == ["Name", "National ID", "Agency code", "Agency name", "Total hours passed"]
    # The requirement's label is the operator's data; the words around it are translated.
    assert rows[0][6] == "每年必須完成之課程總學習時數(10小時) hours short"
    assert rows[0][-1] == "All met"
    assert next(row for row in rows if row[0] == "李大華")[-1] == "No"


def read_sheet(data: bytes, fmt: str) -> list[list]:
    def number(value):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    if fmt == "xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(data)).active
        return [[number(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    from odf import teletype
    from odf.opendocument import load
    from odf.table import Table, TableCell, TableRow

    document = load(io.BytesIO(data))
    table = document.spreadsheet.getElementsByType(Table)[0]
    rows = []
    for table_row in table.getElementsByType(TableRow):
        cells = []
        for cell in table_row.getElementsByType(TableCell):
            if cell.getAttribute("valuetype") == "float":
                cells.append(number(float(cell.getAttribute("value"))))
            else:
                text = teletype.extractText(cell)
                cells.append(text if text else None)
        rows.append(cells)
    return rows


PAGES = [
    ("get", URL, {}),
    ("get", URL, {"year": 113}),
    ("get", "/lifelong/manage/download.xlsx", {}),
    ("get", "/lifelong/manage/download.ods", {}),
    ("get", "/lifelong/manage/reminders", {}),
    ("post", "/lifelong/manage/reminders", {}),
]


@pytest.mark.parametrize(("method", "url", "data"), PAGES)
def test_a_learner_is_refused_every_hr_page(client, learner, staff, method, url, data, smtp_server):
    from civlearn.hours.models import ReminderRecord

    signed_in(client, learner)
    payload = {"person": [staff["short"].pk]} if method == "post" else data

    response = getattr(client, method)(url, payload)

    assert response.status_code == 403
    assert ReminderRecord.objects.count() == 0
    assert smtp_server.messages == []


@pytest.mark.parametrize(("method", "url", "data"), PAGES)
def test_another_agencys_hr_officer_cannot_reach_this_agency(
    client, other_hr_officer, agency, staff, method, url, data, smtp_server
):
    from civlearn.hours.models import ReminderRecord

    signed_in(client, other_hr_officer)

    # naming this agency outright is refused
    query = {**data, "agency": agency.pk, "year": 113}
    response = getattr(client, method)(url + "?" + "&".join(f"{k}={v}" for k, v in query.items()),
                                       {"person": [staff["short"].pk]} if method == "post" else None)  # fmt: skip
    assert response.status_code == 403
    # and their own view never shows this agency's staff
    own = client.get(URL, {"year": 113}).content.decode()
    assert "陳他機關" in own and "李大華" not in own and "王小明" not in own
    assert ReminderRecord.objects.count() == 0
    assert smtp_server.messages == []


def test_anonymous_people_are_sent_to_sign_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert "/ecpa/" in response["Location"]


def test_an_operator_picks_an_agency_first(client, operator, agency, staff):
    signed_in(client, operator)

    first = client.get(URL).content.decode()
    chosen = client.get(URL, {"agency": agency.pk, "year": 113}).content.decode()

    assert "請選擇機關後查詢" in first
    assert "王小明" in chosen and "李大華" in chosen and "陳他機關" not in chosen
