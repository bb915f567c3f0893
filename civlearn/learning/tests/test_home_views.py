"""個人專區 pages through Django's test client: dashboard, profile, photo, goals, records, charts, history."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from civlearn.core.models import AuditEvent
from civlearn.identity.models import SigninRecord
from civlearn.learning.catalogue.services import enrol
from civlearn.learning.completion.services import completion_evaluate
from civlearn.learning.home.packages import package_save
from civlearn.learning.models import Enrolment, LearningGoal, MemberProfile

from .conftest import add_questionnaire, add_test, make_course


@pytest.fixture
def member(client, consenting_learner):
    client.force_login(consenting_learner)
    return consenting_learner


def complete(user, course) -> Enrolment:
    enrolment = enrol(user=user, course=course)
    Enrolment.objects.filter(pk=enrolment.pk).update(reading_ms=course.required_reading_ms)
    assert completion_evaluate(enrolment=enrolment)
    return enrolment


def test_pages_need_a_signed_in_member(client, learner):
    assert client.get("/elearn/home/")["Location"].startswith("/ecpa/")
    client.force_login(learner)
    assert client.get("/elearn/home/")["Location"] == "/elearn/terms/?next=%2Felearn%2Fhome%2F"


def test_the_dashboard_shows_counts_conditions_goals_packages_and_the_header_badge(member, client, agency, operator):
    done = make_course(agency, code="D-1", title="廉政與服務倫理", certified_hours=Decimal("1.5"))
    pending = make_course(agency, code="D-2", title="人權教育")
    add_test(pending)
    add_questionnaire(pending)
    complete(member, done)
    enrol(user=member, course=pending)
    LearningGoal.objects.create(user=member, period="week", hours=Decimal("1"))
    package_save(actor=operator, agency=None, title="公務人員10小時課程", course_codes=["D-1", "D-2"])
    response = client.get("/elearn/home/")
    page = response.content.decode()
    board = response.context["board"]
    assert (len(board.unfinished), len(board.finished), len(board.all), board.finished_percent) == (1, 1, 2, 50)
    assert "Hi 王小明 您好" in page
    assert "1.5 / 1 小時" in page
    assert "公務人員10小時課程" in page and "50%" in page and "課程「人權教育」" in page
    assert "✔閱讀時數" in page and "○測驗" in page and "○問卷" in page and "待填寫" in page
    # 10 minutes read + 20 for the completion = 30 points: LV.1
    assert 'Hi 王小明 <span class="level">LV.1</span> <span class="points" title="學習點數">30' in page


def test_the_profile_page_shows_registry_fields_read_only_and_masked(member, client):
    page = client.get("/elearn/home/profile/").content.decode()
    platform_id = MemberProfile.objects.get(user=member).platform_id
    assert platform_id in page
    assert "A12345****" in page and "A123456789" not in page
    assert "11-一般人員" in page and "國立臺中科技大學" in page
    assert "※如果您是學校行政人員，但也必須取得全國教師進修網學習時數，請勾選是。" in page
    assert "以下資料來自人事資料庫，無法在此修改" in page


def profile_post(**extra) -> dict:
    data = {
        "nickname": "枚枚",
        "contact_email": "mei@example.org",
        "newsletter": "True",
        "backup_email": "",
        "website": "https://www.facebook.com/mei",
        "bio": "喜歡學習",
        "show_hours_on_signin": "True",
        "teacher_network": "False",
        "part_time_code": "",
        "avatar": "leaf",
    }
    data.update(extra)
    return data


def test_saving_the_profile_and_the_nickname_greets_the_learner(member, client):
    response = client.post("/elearn/home/profile/", profile_post())
    assert response["Location"] == "/elearn/home/profile/"
    saved = MemberProfile.objects.get(user=member)
    assert (saved.nickname, saved.newsletter, saved.teacher_network, saved.avatar) == ("枚枚", True, False, "leaf")
    assert "Hi 枚枚 您好" in client.get("/elearn/home/").content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("contact_email", "", "請填寫電子郵件"),
        ("contact_email", "not-an-address", "請輸入有效的電子郵件地址。"),
        ("website", "javascript:alert(1)", "請輸入有效的URL。"),
    ],
)
def test_a_bad_profile_field_is_named_and_nothing_changes(member, client, field, value, message):
    client.get("/elearn/home/profile/")
    response = client.post("/elearn/home/profile/", profile_post(**{field: value}))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert f'aria-describedby="id_{field}' in page and 'aria-invalid="true"' in page
    assert MemberProfile.objects.get(user=member).nickname == ""
    assert not AuditEvent.objects.filter(action="learning.profile_updated").exists()


def test_a_photo_upload_is_served_back_as_png_to_its_owner_only(member, client, hr_officer):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), (0, 90, 0)).save(buffer, format="JPEG")
    response = client.post(
        "/elearn/home/profile/photo/upload", {"photo": SimpleUploadedFile("me.jpg", buffer.getvalue())}
    )
    assert response["Location"] == "/elearn/home/profile/"
    photo = client.get("/elearn/home/profile/photo")
    assert (photo.status_code, photo["Content-Type"], photo.content[:8]) == (200, "image/png", b"\x89PNG\r\n\x1a\n")
    client.force_login(hr_officer)
    from civlearn.learning.completion.consent import consent_record

    consent_record(user=hr_officer, share_hours=True)
    assert client.get("/elearn/home/profile/photo").status_code == 404


def test_a_non_image_upload_is_refused_with_a_message(member, client):
    response = client.post(
        "/elearn/home/profile/photo/upload", {"photo": SimpleUploadedFile("me.png", b"GIF89a-not-really")}, follow=True
    )
    assert "個人照片：無法辨識的圖片檔" in response.content.decode()
    assert MemberProfile.objects.get(user=member).photo_png is None


def test_goals_are_saved_and_a_bad_one_is_named_without_saving_any(member, client):
    response = client.post("/elearn/home/goals/", {"week": "1", "month": "4", "year": "20"})
    assert response["Location"] == "/elearn/home/goals/"
    response = client.post("/elearn/home/goals/", {"week": "2", "month": "四", "year": ""})
    assert response.status_code == 400
    assert "月目標：請輸入數字（小時）" in response.content.decode()
    assert dict(LearningGoal.objects.filter(user=member).values_list("period", "hours")) == {
        "week": Decimal("1.0"),
        "month": Decimal("4.0"),
        "year": Decimal("20.0"),
    }


def test_the_records_page_shows_login_course_and_upload_figures(member, client, agency):
    SigninRecord.objects.create(user=member, ip_address="163.17.138.208", method="password", success=True)
    SigninRecord.objects.create(user=member, ip_address="10.0.0.9", method="password", success=True)
    type(member).objects.filter(pk=member.pk).update(signin_count=186)
    done = make_course(agency, code="R-1", certified_hours=Decimal("2"))
    pending = make_course(agency, code="R-2")
    add_test(pending)
    add_questionnaire(pending)
    enrolment = complete(member, done)
    enrol(user=member, course=pending)
    response = client.get("/elearn/home/records/")
    page = response.content.decode()
    records = response.context["records"]
    assert f"{records.platform_id}, 這是您第186次進入這裡" in page
    assert "上次來自於: 163.17.138.208" in page
    assert "今年已取得的認證時數: 2小時" in page
    assert "未完成課程數: 1" in page and "待填問卷數: 1" in page and "待完成測驗數: 1" in page
    enrolment.refresh_from_db()
    assert records.uploads[0].at == enrolment.hours_posted_at is not None
    assert "終身學習入口網站(點此連結可直接登入)" in page


def test_charts_are_svg_with_a_table_of_the_same_figures(member, client, agency):
    complete(member, make_course(agency, code="C-1", category_code="339", certified_hours=Decimal("2.5")))
    page = client.get("/elearn/home/records/charts/").content.decode()
    assert page.count('role="img"') == 2 and "<pattern" in page
    assert "年各月份認證時數" in page and "年各類別認證時數" in page
    assert '<td class="num">2.5</td>' in page


def test_the_history_lists_each_completion_with_its_certificate(member, client, agency):
    enrolment = complete(member, make_course(agency, code="H-1", title="性別平等"))
    page = client.get("/elearn/home/records/history/").content.decode()
    assert "性別平等" in page
    assert f"/elearn/certificates/{enrolment.certificate.number}.pdf" in page and "列印證書" in page


def test_an_hr_officer_defines_a_package_for_their_agency_and_staff_see_it(client, hr_officer, agency, learner):
    from civlearn.learning.completion.consent import consent_record

    make_course(agency, code="PK-1", title="行政程序法")
    client.force_login(hr_officer)
    response = client.post(
        "/elearn/home/packages/", {"agency": str(agency.pk), "title": "行政人員套裝課程", "courses": "PK-1"}
    )
    assert response["Location"] == "/elearn/home/packages/"
    consent_record(user=learner, share_hours=True)
    client.force_login(learner)
    assert "行政人員套裝課程" in client.get("/elearn/home/").content.decode()


def test_a_package_for_another_agency_or_with_an_unknown_course_is_refused(
    client, other_hr_officer, hr_officer, agency
):
    from civlearn.learning.models import CoursePackage

    client.force_login(other_hr_officer)
    response = client.post("/elearn/home/packages/", {"agency": str(agency.pk), "title": "偷渡", "courses": ""})
    assert response.status_code == 400 and "適用機關：請選擇" in response.content.decode()
    client.force_login(hr_officer)
    response = client.post("/elearn/home/packages/", {"agency": str(agency.pk), "title": "套裝", "courses": "NOPE"})
    assert response.status_code == 400 and "課程代碼：找不到 NOPE" in response.content.decode()
    assert not CoursePackage.objects.exists()


def test_a_learner_without_an_hr_role_cannot_manage_packages(client, learner):
    client.force_login(learner)
    assert client.get("/elearn/home/packages/").status_code == 403


def test_dashboard_and_records_queries_do_not_grow_with_enrolments(member, client, agency):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    def add(n):
        course = make_course(agency, code=f"QC-{n}")
        add_test(course)
        add_questionnaire(course)
        enrol(user=member, course=course)

    add(0)
    complete(member, make_course(agency, code="QC-DONE"))
    client.get("/elearn/home/")
    before = (queries("/elearn/home/"), queries("/elearn/home/records/"))
    for n in range(1, 6):
        add(n)
    # New courses renew the cached packages' and the gap panel's stamps: warm them again, as before the first count.
    client.get("/elearn/home/")
    assert (queries("/elearn/home/"), queries("/elearn/home/records/")) == before


def test_the_cards_progress_matches_the_completion_rules(member, agency):
    from civlearn.learning.assessment.services import attempt_start, attempt_submit
    from civlearn.learning.completion.services import progress_of
    from civlearn.learning.home.dashboard import course_cards

    from .conftest import correct_answers

    course = make_course(agency, code="PM-1")
    test_unit = add_test(course)
    add_questionnaire(course)
    enrolment = enrol(user=member, course=course)
    Enrolment.objects.filter(pk=enrolment.pk).update(reading_ms=5 * 60_000)
    enrolment.refresh_from_db()
    assert course_cards(user=member)[0].progress == progress_of(enrolment=enrolment)
    attempt = attempt_start(user=member, enrolment=enrolment, unit=test_unit)
    attempt_submit(user=member, attempt=attempt, answers=correct_answers(test_unit))
    [card] = course_cards(user=member)
    assert card.progress == progress_of(enrolment=enrolment)
    assert (card.progress.percent, card.test_passed, card.best_score) == (50, True, 100)


def test_the_show_on_card_setting_is_saved_and_audited(member, client):
    from civlearn.core.models import AuditEvent

    assert "顯示於名片" in client.get("/elearn/home/profile/").content.decode()

    client.post("/elearn/home/profile/", profile_post(show_on_card="True"))

    assert MemberProfile.objects.get(user=member).show_on_card is True
    event = AuditEvent.objects.filter(subject_type="learning.memberprofile").latest("pk")
    assert event.changes["show_on_card"] == [False, True]
