"""Gap pages of the hours portal: the learner's 摘要, the HR office's at-risk list and downloads, cutoff settings."""

import datetime as dt
import io

import pytest
from django.urls import reverse

from civlearn.core import clock
from civlearn.hours.models import AgencyCutoff, AgencyGapPolicy
from civlearn.hours.tests.factories import record, taipei

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _autumn():
    clock.travel_to(taipei(2026, 10, 1, 9))


def test_the_summary_shows_each_gap_with_the_deadline(client, learner, learner_person, agency):
    AgencyCutoff.objects.create(agency=agency, year=2026, staff_kind="permanent", cutoff=dt.date(2026, 11, 30))
    record(learner_person, code="337", hours="2", end=taipei(2026, 3, 1))
    client.force_login(learner)

    html = client.get(reverse("hours:folder")).content.decode()

    assert "採計截止日：115/11/30（國立臺中科技大學編制內人員）" in html
    assert "剩 60 天" in html
    assert "已完成 2 / 4 小時，尚缺 <strong>2</strong> 小時" in html
    assert f'href="{reverse("learning:gaps")}#gap-environment"' in html


def test_the_at_risk_page_lists_staff_with_a_gap(client, hr_officer, learner_person):
    record(learner_person, code="337", hours="4", end=taipei(2026, 3, 1))
    client.force_login(hr_officer)

    response = client.get(reverse("hours:hr_at_risk"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "115 年度在職 2 人，其中 2 人尚有缺口，合計至少尚缺 16 小時。" in html
    assert html.index("林人事") < html.index("王小明")  # 10 hours missing before 6
    assert "A12345****" in html and "A123456789" not in html


def test_another_agencys_officer_cannot_see_the_list(client, agency, other_hr_officer):
    client.force_login(other_hr_officer)
    assert client.get(reverse("hours:hr_at_risk"), {"agency": agency.pk}).status_code == 403


def test_a_learner_without_an_hr_role_cannot_see_the_list(client, learner):
    client.force_login(learner)
    assert client.get(reverse("hours:hr_at_risk")).status_code == 403


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_the_at_risk_list_downloads(client, hr_officer, learner_person, fmt):
    record(learner_person, code="337", hours="4", end=taipei(2026, 3, 1))
    client.force_login(hr_officer)

    response = client.get(reverse("hours:hr_at_risk_download", args=[fmt]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="hours-at-risk-115.{fmt}"'
    if fmt == "xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    else:
        from odf.opendocument import load
        from odf.table import Table, TableCell, TableRow
        from odf.teletype import extractText

        table = load(io.BytesIO(response.content)).spreadsheet.getElementsByType(Table)[0]
        rows = [[extractText(c) for c in r.getElementsByType(TableCell)] for r in table.getElementsByType(TableRow)]
    headers = "姓名 身分證字號 機關代碼 機關名稱 人員類別 截止日 剩餘天數 至少尚缺時數 每日需完成時數 未達成項目"
    assert rows[0][:10] == headers.split()
    assert [str(v) for v in rows[2][:8]] == [
        "王小明", "A12345****", "A09600000Q", "國立臺中科技大學", "編制內", "115/12/31", "91", "6",
    ]  # fmt: skip


def test_a_cutoff_outside_the_year_gets_a_message_and_nothing_changes(client, hr_officer, agency):
    client.force_login(hr_officer)

    response = client.post(
        reverse("hours:hr_deadlines"),
        {"action": "cutoff", "cutoff-agency": agency.pk, "cutoff-year": "115", "cutoff-staff_kind": "contract",
         "cutoff-cutoff": "1160131"},
    )  # fmt: skip

    html = response.content.decode()
    assert response.status_code == 400
    assert "截止日 116/01/31 不在民國 115 年度內（應介於 115/01/01 至 115/12/31）" in html
    assert 'aria-invalid="true"' in html and "data-focus-on-load" in html
    assert not AgencyCutoff.objects.exists()


def test_a_bad_date_is_named(client, hr_officer, agency):
    client.force_login(hr_officer)

    response = client.post(
        reverse("hours:hr_deadlines"),
        {"action": "cutoff", "cutoff-agency": agency.pk, "cutoff-year": "115", "cutoff-staff_kind": "all",
         "cutoff-cutoff": "11/30"},
    )  # fmt: skip

    assert response.status_code == 400
    assert "時數採計截止日：日期格式不正確" in response.content.decode()
    assert not AgencyCutoff.objects.exists()


def test_cutoffs_and_reminder_settings_are_saved(client, hr_officer, agency):
    client.force_login(hr_officer)

    first = client.post(
        reverse("hours:hr_deadlines"),
        {"action": "cutoff", "cutoff-agency": agency.pk, "cutoff-year": "115", "cutoff-staff_kind": "contract",
         "cutoff-cutoff": "115-10-31"},
    )  # fmt: skip
    second = client.post(
        reverse("hours:hr_deadlines"),
        {"action": "policy", "policy-agency": agency.pk, "policy-reminder_days": "14", "policy-digest_email": ""},
    )

    assert (first.status_code, second.status_code) == (302, 302)
    assert list(AgencyCutoff.objects.values_list("staff_kind", "cutoff")) == [("contract", dt.date(2026, 10, 31))]
    assert AgencyGapPolicy.objects.get(agency=agency).reminder_days == 14
    page = client.get(reverse("hours:hr_deadlines")).content.decode()
    assert "115/10/31" in page and "國立臺中科技大學：截止日前 14 天提醒" in page


def test_another_agencys_cutoff_cannot_be_deleted(client, other_hr_officer, agency):
    row = AgencyCutoff.objects.create(agency=agency, year=2026, staff_kind="all", cutoff=dt.date(2026, 11, 30))
    client.force_login(other_hr_officer)

    assert client.post(reverse("hours:hr_cutoff_delete", args=[row.pk])).status_code == 404
    assert AgencyCutoff.objects.filter(pk=row.pk).exists()


def test_the_at_risk_list_costs_a_fixed_number_of_queries(client, hr_officer, agency, django_assert_max_num_queries):
    from conftest import make_person

    for number in range(30):
        person = make_person(agency, f"A2{number:08d}", f"員工{number:02d}")
        record(person, code="337", hours="1", end=taipei(2026, 3, 1))
    client.force_login(hr_officer)

    with django_assert_max_num_queries(15):
        assert client.get(reverse("hours:hr_at_risk")).status_code == 200


def test_the_at_risk_page_shows_one_page_of_rows_and_the_download_has_them_all(client, hr_officer, agency):
    from openpyxl import load_workbook

    from civlearn.hours.views_hr import PAGE_SIZE
    from civlearn.registry.models import Person

    # PAGE_SIZE + 5 staff with no hours (all short), besides the HR officer: two pages.
    Person.objects.bulk_create(
        [
            Person(national_id=f"C{number:09d}", name=f"員工{number:03d}", birthday=dt.date(1980, 1, 1), agency=agency,
                   post_start_date=dt.date(2015, 8, 1))
            for number in range(PAGE_SIZE + 5)
        ]
    )  # fmt: skip
    client.force_login(hr_officer)

    first = client.get(reverse("hours:hr_at_risk")).content.decode()
    second = client.get(reverse("hours:hr_at_risk"), {"page": 2}).content.decode()
    sheet = client.get(reverse("hours:hr_at_risk_download", args=["xlsx"]))

    staff = PAGE_SIZE + 6
    assert f"115 年度在職 {staff} 人，其中 {staff} 人尚有缺口" in first
    assert first.count('<th scope="row">') == PAGE_SIZE
    assert "第 1 / 2 頁" in first and "page=2" in first
    assert second.count('<th scope="row">') == 6
    assert "第 2 / 2 頁" in second
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert len(rows) == 1 + staff
