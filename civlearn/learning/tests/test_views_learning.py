"""The learning pages through Django's test client: terms gate, catalogue search, course page, enrolment,
tests and questionnaires, heartbeat endpoint, video ranges, certificate download and public verification."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.urls import reverse

from civlearn.demo.learning import seed
from civlearn.identity.models import AgencyRole
from civlearn.learning.catalogue.services import enrol
from civlearn.learning.models import Certificate, Course, Enrolment, MemberConsent, TestAttempt, Unit
from civlearn.learning.provide import services as providers
from civlearn.learning.reading.services import reading_stream_open
from conftest import make_account, make_person

from .conftest import correct_answers, make_course


@pytest.fixture
def demo(db):
    return seed()


@pytest.fixture
def member(client, consenting_learner):
    client.force_login(consenting_learner)
    return consenting_learner


def titles(response) -> list[str]:
    return [course.title for course in response.context["page"]]


def test_first_entry_asks_for_the_terms_and_records_the_decision(client, learner, demo):
    client.force_login(learner)
    response = client.get("/elearn/")
    assert response.status_code == 302
    assert response["Location"] == "/elearn/terms/?next=%2Felearn%2F"
    page = client.get(response["Location"]).content.decode()
    assert "「e等公務園+學習平臺」會員規範條款" in page
    assert "公務人員終身學習入口網站" in page and "全國教師在職進修資訊網" in page
    assert "不同意時，您仍可使用本平臺選課與學習" in page
    response = client.post("/elearn/terms/", {"share_hours": "no", "next": "/elearn/"})
    assert response["Location"] == "/elearn/"
    decision = MemberConsent.objects.get(user=learner)
    assert (decision.share_hours, decision.ip_address) == (False, "127.0.0.1")


def test_a_terms_post_without_a_choice_is_refused_and_records_nothing(client, learner):
    client.force_login(learner)
    response = client.post("/elearn/terms/", {"next": "/elearn/"})
    assert response.status_code == 400
    assert "請選擇「同意」或「不同意」" in response.content.decode()
    assert not MemberConsent.objects.exists()


def test_the_terms_page_ignores_an_outside_next_address(client, learner):
    client.force_login(learner)
    response = client.post("/elearn/terms/", {"share_hours": "yes", "next": "https://evil.example/"})
    assert response["Location"] == reverse("learning:catalogue")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("人權", ["人權教育：兩公約與公務執行"]),
        ("資安", ["資通安全(通識)：社交工程與密碼安全"]),
        ("環境 教育", ["環境教育：自然保育與生物多樣性", "環境教育：氣候變遷與調適"]),
        ("氣候調適", ["環境教育：氣候變遷與調適"]),
        ("ＣＥＤＡＷ", ["性別平等：CEDAW 與性別主流化入門"]),
        ("火星", []),
    ],
)
def test_catalogue_search_finds_chinese_text(client, member, demo, query, expected):
    response = client.get("/elearn/", {"q": query})
    assert sorted(titles(response)) == sorted(expected)


def test_catalogue_search_treats_tai_variants_alike(client, member, demo):
    course = Course.objects.get(title="人權教育：兩公約與公務執行")
    course.title = "臺北市人權教育：兩公約與公務執行"
    course.save()
    other = Course.objects.get(title="環境教育：氣候變遷與調適")
    other.keywords = "台中 濕地"
    other.save()
    found = titles(client.get("/elearn/", {"q": "台北"}))
    assert "臺北市人權教育：兩公約與公務執行" in found
    assert titles(client.get("/elearn/", {"q": "臺北"})) == found
    assert titles(client.get("/elearn/", {"q": "臺中"})) == ["環境教育：氣候變遷與調適"]


def test_catalogue_filters_by_category_subtree_zone_mode_and_hours(client, member, demo):
    # 337 環境教育 includes 339 and 341 below it
    assert len(titles(client.get("/elearn/", {"category": "337"}))) == 2
    # the 10-hour zone includes its sub-zones
    assert len(titles(client.get("/elearn/", {"zone": "ten-hours"}))) == 6
    assert titles(client.get("/elearn/", {"zone": "cybersecurity"})) == ["資通安全(通識)：社交工程與密碼安全"]
    assert len(titles(client.get("/elearn/", {"hours_min": "2", "hours_max": "2"}))) == 3
    assert len(titles(client.get("/elearn/", {"provider": "A01000000E"}))) == 2
    assert titles(client.get("/elearn/", {"mode": "2"})) == []


def test_bad_hours_filter_is_named_not_a_500(client, member, demo):
    response = client.get("/elearn/", {"hours_min": "abc"})
    assert response.status_code == 200
    assert "認證時數下限請輸入 0 以上的數字" in response.content.decode()


def test_catalogue_query_count_does_not_grow_with_courses(client, member, demo, django_assert_max_num_queries):
    # The first request builds the shared rule book (the category tree comes from it); every later one reads it.
    client.get("/elearn/")
    with django_assert_max_num_queries(12):
        client.get("/elearn/")


def test_course_page_shows_the_manuals_facts_and_enrols(client, member, demo):
    page = client.get("/elearn/courses/DEMO-ENV-01/").content.decode()
    for label in [
        "報名期間",
        "上課期間",
        "認證時數",
        "報名身分",
        "教材提供機關",
        "製作年度",
        "課程簡介",
        "114 年",
        "✔閱讀時數",
    ]:
        assert label in page
    response = client.post("/elearn/courses/DEMO-ENV-01/enrol")
    assert response["Location"] == "/elearn/courses/DEMO-ENV-01/learn/"
    assert Enrolment.objects.filter(user=member, course__code="DEMO-ENV-01").count() == 1


def test_a_refused_enrolment_shows_the_reason_and_changes_nothing(client, member, agency, other_agency):
    course = make_course(agency, code="EL-CLOSED", open_to_all=False)
    course.allowed_agencies.set([other_agency])
    page = client.get("/elearn/courses/EL-CLOSED/").content.decode()
    assert "無法報名：本課程限定特定機關人員報名，您的服務機關不在開放名單內" in page
    response = client.post("/elearn/courses/EL-CLOSED/enrol", follow=True)
    assert "無法報名：本課程限定特定機關人員報名" in response.content.decode()
    assert not Enrolment.objects.exists()


def test_heartbeat_endpoint_needs_no_csrf_token_but_a_valid_reading_token(member, course):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    enrolment = enrol(user=member, course=course)
    token = reading_stream_open(enrolment=enrolment)
    from civlearn.core import clock

    # The next token names this beat's instant: a beat in the same millisecond would get the same token back.
    clock.advance(dt.timedelta(seconds=1))
    response = strict.post("/elearn/heartbeat", {"token": token})
    assert response.status_code == 200
    assert response.json()["ok"] is True and response.json()["token"] != token
    refused = strict.post("/elearn/heartbeat", {"token": token + "x"})
    assert refused.status_code == 403
    assert refused.json() == {"ok": False, "error": "無效的閱讀計時憑證"}


def test_a_test_failed_then_passed_through_the_pages(client, member, full_course):
    enrolment = enrol(user=member, course=full_course)
    unit = full_course.units.get(kind=Unit.TEST)
    base = f"/elearn/courses/{full_course.code}/learn/{unit.pk}/"
    client.post(base + "test/start")
    attempt = TestAttempt.objects.get(enrolment=enrolment)
    # an incomplete submission names the question and keeps the attempt open
    response = client.post(base + f"test/{attempt.pk}/submit", {})
    assert response.status_code == 400
    assert "第 1 題尚未作答" in response.content.decode()
    wrong = {f"q-{q.pk}": [str(q.choices.filter(is_correct=False).first().pk)] for q in unit.questions.all()}
    response = client.post(base + f"test/{attempt.pk}/submit", wrong, follow=True)
    assert "測驗未通過：0 分（及格 60 分），請再試一次。" in response.content.decode()
    client.post(base + "test/start")
    second = TestAttempt.objects.get(enrolment=enrolment, number=2)
    right = {f"q-{key}": value for key, value in correct_answers(unit).items()}
    response = client.post(base + f"test/{second.pk}/submit", right, follow=True)
    assert "測驗通過：100 分（及格 60 分）。" in response.content.decode()


def test_another_learners_attempt_is_not_found(client, member, hr_officer, full_course):
    enrolment = enrol(user=member, course=full_course)
    unit = full_course.units.get(kind=Unit.TEST)
    client.post(f"/elearn/courses/{full_course.code}/learn/{unit.pk}/test/start")
    attempt = TestAttempt.objects.get(enrolment=enrolment)
    client.force_login(hr_officer)
    MemberConsent.objects.create(user=hr_officer, terms_version=MemberConsent.objects.first().terms_version)
    response = client.post(f"/elearn/courses/{full_course.code}/learn/{unit.pk}/test/{attempt.pk}/submit", {})
    assert response.status_code == 404
    attempt.refresh_from_db()
    assert attempt.submitted_at is None


def test_video_is_served_with_range_requests(client, member, course, media_root):
    enrolment = enrol(user=member, course=course)
    unit = Unit.objects.create(course=course, order=5, kind=Unit.VIDEO, title="影片")
    unit.video_file.save("clip.mp4", ContentFile(bytes(range(256)) * 4))
    url = f"/elearn/units/{unit.pk}/video"
    partial = client.get(url, HTTP_RANGE="bytes=10-19")
    assert partial.status_code == 206
    assert partial["Content-Range"] == "bytes 10-19/1024"
    assert b"".join(partial.streaming_content) == bytes(range(10, 20))
    tail = client.get(url, HTTP_RANGE="bytes=-4")
    assert b"".join(tail.streaming_content) == bytes(range(252, 256))
    assert client.get(url, HTTP_RANGE="bytes=5000-").status_code == 416
    whole = client.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert len(b"".join(whole.streaming_content)) == 1024
    Enrolment.objects.filter(pk=enrolment.pk).delete()
    assert client.get(url).status_code == 404


def test_certificate_pdf_and_public_verification(client, member, course, tmp_path):
    enrolment = enrol(user=member, course=course)
    Enrolment.objects.filter(pk=enrolment.pk).update(reading_ms=course.required_reading_ms)
    from civlearn.learning.completion.services import completion_evaluate

    completion_evaluate(enrolment=enrolment)
    certificate = Certificate.objects.get()
    response = client.get(f"/elearn/certificates/{certificate.number}.pdf")
    assert response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "c.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())  # letter-spacing and line wrapping split words in the extracted text
    assert "完成證書" in flat and "王小明" in flat and "環境教育：氣候變遷與調適" in flat
    assert certificate.verify_code in flat

    client.logout()
    response = client.get("/elearn/verify/", {"code": certificate.verify_code.lower()})
    page = client.get(response["Location"]).content.decode()
    assert "此證書為本平臺核發" in page and "王小明" in page and "環境教育：氣候變遷與調適" in page
    assert "<svg" in page
    assert "A123456789" not in page and "A12345" not in page and "xiaoming@example.tw" not in page
    missing = client.get("/elearn/verify/ZZZZZZZZZZ/")
    assert missing.status_code == 404
    assert "查無此驗證碼" in missing.content.decode()


def test_someone_elses_certificate_cannot_be_downloaded(client, member, hr_officer, course):
    enrolment = enrol(user=member, course=course)
    Enrolment.objects.filter(pk=enrolment.pk).update(reading_ms=course.required_reading_ms)
    from civlearn.learning.completion.services import completion_evaluate

    completion_evaluate(enrolment=enrolment)
    client.force_login(hr_officer)
    assert client.get(f"/elearn/certificates/{Certificate.objects.get().number}.pdf").status_code == 404


def test_the_beat_that_reaches_the_reading_time_completes_a_reading_only_course(client, member, course):
    from civlearn.core import clock

    enrolment = enrol(user=member, course=course)  # 10 minutes of reading, no test, no questionnaire
    token = reading_stream_open(enrolment=enrolment)
    answers = []
    for _ in range(10):
        clock.advance(dt.timedelta(seconds=60))
        reply = client.post("/elearn/heartbeat", {"token": token}).json()
        token = reply["token"]
        answers.append(reply["completed"])
    # the tenth minute completes it, once
    assert answers == [False] * 9 + [True]
    enrolment.refresh_from_db()
    assert enrolment.completed_at is not None
    assert enrolment.hours_status == Enrolment.HOURS_POSTED
    page = client.get("/elearn/my/").content.decode()
    assert "已完成 (1)" in page and "已上傳終身學習入口網站" in page and "下載證書" in page


def test_my_courses_tells_a_learner_without_consent_why_no_hours(client, learner, course):
    from civlearn.learning.completion.consent import consent_record
    from civlearn.learning.completion.services import completion_evaluate

    consent_record(user=learner, share_hours=False)
    client.force_login(learner)
    enrolment = enrol(user=learner, course=course)
    Enrolment.objects.filter(pk=enrolment.pk).update(reading_ms=course.required_reading_ms)
    completion_evaluate(enrolment=enrolment)
    page = client.get("/elearn/my/").content.decode()
    assert "您未同意上傳學習時數：完成的課程不會列入終身學習入口網站的學習時數。" in page
    assert "未同意上傳，未上傳" in page
    learn = client.get(f"/elearn/courses/{course.code}/learn/").content.decode()
    assert "您未同意本平臺上傳學習時數，因此本課程時數沒有上傳終身學習入口網站。" in learn


# ---- the catalogue's cached fragments --------------------------------------------------------------------------


def test_a_repeated_catalogue_question_is_answered_from_the_cached_fragments(
    client, member, demo, django_assert_max_num_queries
):
    first = client.get("/elearn/", {"q": "環境"}).content.decode()

    # the same question again: no course is read (the session, the account and the consent are)
    with django_assert_max_num_queries(4) as queries:
        again = client.get("/elearn/", {"q": "環境"}).content.decode()

    assert not [q for q in queries.captured_queries if "learning_course" in q["sql"]]
    assert again.count('class="card course-card"') == first.count('class="card course-card"') > 0


def test_a_course_saved_anywhere_is_in_the_next_catalogue_page(client, member, demo):
    assert "氣候變遷調適進階" not in client.get("/elearn/", {"q": "環境"}).content.decode()

    # when a course is added (another process: the stamp lives in the shared cache)
    make_course(demo[0].provider_agency, code="EL-NEW-01", title="環境教育：氣候變遷調適進階")

    # then the cached result page is not used
    assert "氣候變遷調適進階" in client.get("/elearn/", {"q": "環境"}).content.decode()


def test_a_course_taken_down_leaves_the_cached_catalogue_at_once(client, member, demo):
    course = Course.objects.get(code="DEMO-ENV-01")
    staff = make_account(make_person(course.provider_agency, "F223456789", "課程管理員"))
    AgencyRole.objects.create(user=staff, agency=course.provider_agency, role=AgencyRole.PROVIDER)
    assert course.title in client.get("/elearn/").content.decode()

    # when its provider takes it down (an UPDATE, which sends no save signal)
    providers.course_publish(actor=staff, course=course, published=False)

    # then the next catalogue page no longer lists it
    assert course.title not in client.get("/elearn/").content.decode()


def test_the_cached_catalogue_is_kept_per_language(client, member, demo):
    chinese = client.get("/elearn/").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/elearn/").content.decode()

    assert "門課程" in chinese
    assert "門課程" not in english
