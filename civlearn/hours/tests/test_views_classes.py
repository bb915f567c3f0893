"""Pages of 學習機關(構)專區 and 學習資訊中心 through the test client: the whole path once, who may open what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from civlearn.core import clock
from civlearn.hours.classes import attendance
from civlearn.hours.models import ClassOffering, Institution, LedgerEntry, Registration
from civlearn.hours.tests.classes_fixtures import SESSION_DAY, at_today, class_row, csv_bytes, ods_bytes
from conftest import PASSWORD, make_account, make_person

pytestmark = pytest.mark.usefixtures("media_root")
PDF = b"%PDF-1.4\n%%EOF\n"


def as_user(client, user):
    client.logout()
    login = user.person.national_id if user.person_id else user.username
    assert client.login(username=login, password=PASSWORD)
    return client


@pytest.fixture
def private_admin(db, other_agency):
    return make_account(make_person(other_agency, "H123456786", "周管理", email="admin@example.org"))


@pytest.fixture
def approved(client, private_admin, operator):
    """A 民間機構 applied through the page and was approved by an operator through the page."""
    as_user(client, private_admin)
    response = client.post(
        "/lifelong/institutions/apply/",
        {"name": "台中市立人文學苑", "kind": "private", "contact_name": "周管理", "contact_email": "admin@example.org",
         "county_code": "40", "address": "臺中市西區", "class_modes": ["2"],
         "document": SimpleUploadedFile("立案.pdf", PDF, "application/pdf")},
    )  # fmt: skip
    assert response.status_code == 302
    institution = Institution.objects.get()
    as_user(client, operator)
    response = client.post(
        f"/lifelong/institutions/review/{institution.pk}", {"decision": "approve", "code": "P000000001"}
    )
    assert response.status_code == 302
    institution.refresh_from_db()
    return institution


def test_the_whole_path_through_the_pages(client, approved, private_admin, learner, hr_officer, agency):
    at_today()
    as_user(client, private_admin)
    # the administrator adds a staff member (the HR officer's account, for brevity) and publishes a class by file
    response = client.post(
        f"/lifelong/institutions/{approved.pk}/", {"member-login": "B220000019", "member-role": "staff"}
    )
    assert response.status_code == 302
    # one of the two sessions (3 of 5 hours) is enough for the hours here
    common = {"capacity": "1", "hr_approval": "是", "attendance_minimum": "60"}
    # as an .ods file, the way LibreOffice saves it
    data = ods_bytes([class_row(**common), class_row(category_code="510", physical_hours="2", **common)])  # fmt: skip
    response = client.post(
        f"/lifelong/institutions/{approved.pk}/", {"classes-file": SimpleUploadedFile("c.ods", data)}
    )
    assert response.status_code == 302, response.content.decode().split("<main")[-1][:3000]
    offering = ClassOffering.objects.get()

    # a learner finds it by 台中 and the requirement, and registers; the HR office approves
    as_user(client, learner)
    from civlearn.hours.models import RequirementRule

    environment = RequirementRule.objects.get(key="environment").pk
    page = client.get(
        "/lifelong/classes/", {"q": "台中", "requirement": environment, "open_now": "on"}
    ).content.decode()
    assert f'href="/lifelong/classes/{offering.pk}"' in page
    assert "共 1 班" in page
    client.post(f"/lifelong/classes/{offering.pk}/register")
    registration = Registration.objects.get()
    assert registration.status == "pending"
    as_user(client, hr_officer)
    assert "王小明" in client.get("/lifelong/manage/classes/").content.decode()
    client.post(f"/lifelong/manage/classes/{registration.pk}/decide", {"decision": "approve"})
    registration.refresh_from_db()
    assert registration.status == "registered"

    # on the day the learner checks in by the door's code; the institution closes the class
    clock.travel_to(SESSION_DAY + dt.timedelta(minutes=1))
    morning = offering.sessions.first()
    as_user(client, private_admin)
    door = client.get(f"/lifelong/classes/{offering.pk}/sessions/{morning.pk}/door").content.decode()
    assert "<svg" in door
    token = attendance.checkin_token(session=morning)
    as_user(client, learner)
    assert "確認簽到" in client.get(f"/lifelong/classes/checkin/{token}").content.decode()
    assert "已完成簽到" in client.post(f"/lifelong/classes/checkin/{token}").content.decode()
    second = client.post(f"/lifelong/classes/checkin/{token}")
    assert second.status_code == 400
    assert "完成本時段簽到" in second.content.decode()
    as_user(client, private_admin)
    client.post(f"/lifelong/classes/{offering.pk}/close")
    assert sorted(LedgerEntry.objects.values_list("category_code", "certified_hours")) == [
        ("339", 3), ("510", 2),
    ]  # fmt: skip
    again = client.post(f"/lifelong/classes/{offering.pk}/close", follow=True).content.decode()
    assert "本班已結訓，不能重複結訓" in again
    assert LedgerEntry.objects.count() == 2

    # the roster export neutralises a formula-looking name
    learner.person.name = "=HYPERLINK(1)"
    learner.person.save()
    csv_text = client.get(f"/lifelong/classes/{offering.pk}/roster.csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in csv_text
    for fmt in ("xlsx", "ods"):
        assert client.get(f"/lifelong/classes/{offering.pk}/roster.{fmt}").status_code == 200


def test_a_bad_class_file_is_reported_row_by_row_and_nothing_is_saved(client, approved, private_admin):
    as_user(client, private_admin)
    data = csv_bytes([class_row(capacity="x", county_code="77")])
    page = client.post(f"/lifelong/institutions/{approved.pk}/", {"classes-file": SimpleUploadedFile("c.csv", data)})
    text = page.content.decode()
    assert page.status_code == 200
    assert "檔案有 2 個錯誤，沒有任何資料被匯入" in text
    assert "不是已知的上課縣市代碼" in text and "應為 0 以上的整數" in text
    assert not ClassOffering.objects.exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", {"area": 302, "review": 302, "manage": 302, "hr": 302, "search": 200, "detail": 200}),
        ("learner", {"area": 404, "review": 403, "manage": 404, "hr": 403, "search": 200, "detail": 200}),
        ("hr", {"area": 404, "review": 403, "manage": 404, "hr": 200, "search": 200, "detail": 200}),
        ("staff", {"area": 200, "review": 403, "manage": 200, "hr": 403, "search": 200, "detail": 200}),
        ("admin", {"area": 200, "review": 403, "manage": 200, "hr": 403, "search": 200, "detail": 200}),
        ("operator", {"area": 200, "review": 200, "manage": 200, "hr": 200, "search": 200, "detail": 200}),
    ],
)
def test_permission_matrix(client, approved, private_admin, learner, hr_officer, operator, other_agency, who, expected):
    from civlearn.hours.classes import offerings
    from civlearn.hours.institutions import services

    at_today()
    staff = make_account(make_person(other_agency, "J123456787", "吳承辦"))
    services.member_add(actor=private_admin, institution=approved, login="J123456787", role="staff")
    offering = offerings.offerings_save(
        actor=private_admin, institution=approved, records=[(2, class_row())]
    ).offerings[0]
    users = {"learner": learner, "hr": hr_officer, "staff": staff, "admin": private_admin, "operator": operator}
    client.logout()
    if who in users:
        as_user(client, users[who])
    urls = {
        "area": f"/lifelong/institutions/{approved.pk}/",
        "review": "/lifelong/institutions/review/",
        "manage": f"/lifelong/classes/{offering.pk}/manage",
        "hr": "/lifelong/manage/classes/",
        "search": "/lifelong/classes/",
        "detail": f"/lifelong/classes/{offering.pk}",
    }
    assert {key: client.get(url).status_code for key, url in urls.items()} == expected
    # a learner's POST to close someone else's class changes nothing
    if who in ("learner", "hr"):
        assert client.post(f"/lifelong/classes/{offering.pk}/close").status_code == 404
        assert ClassOffering.objects.get().status == "published"


def test_related_search_of_the_front_page(client, approved):
    from civlearn.content.models import Announcement

    Announcement.objects.create(title="臺中場次實體課程開放報名", published_on=clock.today())
    assert "相關搜尋" in client.get("/lifelong/").content.decode()
    response = client.get("/lifelong/search/", {"scope": "classes", "q": "台中"})
    assert response["Location"] == "/lifelong/classes/?q=%E5%8F%B0%E4%B8%AD"
    assert (
        "臺中場次實體課程開放報名"
        in client.get("/lifelong/search/", {"scope": "announcements", "q": "台中"}).content.decode()
    )
    page = client.get("/lifelong/search/", {"scope": "institutions", "q": "臺中"}).content.decode()
    assert f"/lifelong/classes/?institution={approved.pk}" in page
