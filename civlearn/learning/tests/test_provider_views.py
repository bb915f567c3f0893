"""我教的課: a provider builds, publishes and follows its agency's courses; another agency's provider gets 404
on every page and changes nothing; exports carry masked national IDs."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from civlearn.core.models import AuditEvent
from civlearn.identity.models import AgencyRole
from civlearn.learning.assessment.services import questionnaire_submit
from civlearn.learning.catalogue.services import enrol
from civlearn.learning.completion.services import completion_evaluate
from civlearn.learning.models import Certificate, Course, Enrolment, Question, Unit
from civlearn.learning.provide import services as providers
from conftest import make_account, make_person

from .conftest import add_questionnaire, approved_partner, make_course


@pytest.fixture
def provider(agency):
    user = make_account(make_person(agency, "C123456788", "陳教材"))
    AgencyRole.objects.create(user=user, agency=agency, role=AgencyRole.PROVIDER)
    # Its agency is a 加盟機關, so its providers may publish.
    approved_partner(agency)
    return user


@pytest.fixture
def other_provider(other_agency):
    user = make_account(make_person(other_agency, "D123456785", "林別人"))
    AgencyRole.objects.create(user=user, agency=other_agency, role=AgencyRole.PROVIDER)
    return user


COURSE = {
    "title": "資通安全基礎",
    "category_code": "522",
    "certified_hours": "3",
    "required_reading_minutes": "30",
    "mode": "1",
    "summary": "",
}


def test_a_provider_creates_a_course_with_a_test_and_a_questionnaire_and_publishes_it(client, provider, agency):
    client.force_login(provider)
    response = client.post("/elearn/home/teach/", {**COURSE, "code": "sec-101", "agency": str(agency.pk)})
    assert response["Location"] == "/elearn/home/teach/SEC-101/"
    course = Course.objects.get(code="SEC-101")
    assert (course.title, course.certified_hours, course.is_published, course.provider_agency) == (
        "資通安全基礎",
        Decimal("3.0"),
        False,
        agency,
    )
    # publishing an empty course is refused
    client.post("/elearn/home/teach/SEC-101/publish", {"publish": "1"})
    assert not Course.objects.get(code="SEC-101").is_published
    client.post("/elearn/home/teach/SEC-101/units/add", {"kind": "page", "unit_title": "第一章", "body": "密碼"})
    response = client.post(
        "/elearn/home/teach/SEC-101/units/add", {"kind": "test", "unit_title": "測驗", "pass_mark": "80"}
    )
    test_unit = Unit.objects.get(course=course, kind="test")
    assert response["Location"] == f"/elearn/home/teach/SEC-101/units/{test_unit.pk}/"
    client.post(
        f"/elearn/home/teach/SEC-101/units/{test_unit.pk}/",
        {"kind": "single", "text": "密碼應多久更換？", "choices": "*定期\n永不"},
    )
    client.post("/elearn/home/teach/SEC-101/units/add", {"kind": "questionnaire", "unit_title": "問卷"})
    survey = Unit.objects.get(course=course, kind="questionnaire")
    client.post(f"/elearn/home/teach/SEC-101/units/{survey.pk}/", {"kind": "scale", "text": "滿意度"})
    client.post("/elearn/home/teach/SEC-101/publish", {"publish": "1"})
    course.refresh_from_db()
    assert course.is_published and test_unit.pass_mark == 80
    question = Question.objects.get(unit=test_unit)
    assert [(c.text, c.is_correct) for c in question.choices.all()] == [("定期", True), ("永不", False)]
    actions = list(AuditEvent.objects.filter(actor=provider).order_by("pk").values_list("action", flat=True))
    assert actions == [
        "learning.course_created",
        "learning.unit_added",
        "learning.unit_added",
        "learning.question_added",
        "learning.unit_added",
        "learning.question_added",
        "learning.course_published",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"choices": "定期\n永不"}, "選項：請在正確答案前加上 *"),
        ({"choices": "*定期"}, "選項：至少需要兩個選項（每行一個）"),
        ({"choices": "*定期\n*永不"}, "選項：單選與是非題只能有一個正確答案"),
        ({"kind": "scale"}, "題型：此單元不能使用這個題型"),
        ({"text": " "}, "題目：請填寫"),
    ],
)
def test_a_bad_test_question_is_named_and_nothing_is_added(client, provider, agency, data, message):
    course = make_course(agency, code="Q-1")
    unit = Unit.objects.create(course=course, kind=Unit.TEST, title="測驗")
    client.force_login(provider)
    response = client.post(
        f"/elearn/home/teach/Q-1/units/{unit.pk}/", {"kind": "single", "text": "題目", "choices": "", **data}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Question.objects.filter(unit=unit).exists()


def test_a_bad_course_field_is_named_and_nothing_is_created(client, provider, agency):
    client.force_login(provider)
    response = client.post(
        "/elearn/home/teach/", {**COURSE, "certified_hours": "三", "code": "X-1", "agency": str(agency.pk)}
    )
    assert response.status_code == 400
    assert "認證時數：請輸入數字" in response.content.decode()
    assert not Course.objects.filter(code="X-1").exists()


def completed_with_answers(user, course, text: str):
    from civlearn.learning.completion.consent import consent_record

    consent_record(user=user, share_hours=True)
    enrolment = enrol(user=user, course=course)
    Enrolment.objects.filter(pk=enrolment.pk).update(reading_ms=course.required_reading_ms)
    unit = course.units.get(kind=Unit.QUESTIONNAIRE)
    scale, free = unit.questions.order_by("order")
    questionnaire_submit(
        user=user, enrolment=enrolment, unit=unit, answers={str(scale.pk): ["4"], str(free.pk): [text]}
    )
    completion_evaluate(enrolment=enrolment)


def test_the_results_page_and_exports_show_completions_and_aggregated_answers(client, provider, agency, learner):
    course = make_course(agency, code="R-9", title="人權")
    add_questionnaire(course)
    completed_with_answers(learner, course, "很實用")
    client.force_login(provider)
    page = client.get("/elearn/home/teach/R-9/results/").content.decode()
    assert "選課 1 人，完成 1 人" in page
    assert "王小明" in page and "A123456789" not in page
    assert "平均 4.00（1 人作答）" in page and "很實用" in page
    rows = list(csv.reader(io.StringIO(client.get("/elearn/home/teach/R-9/results.csv").content.decode("utf-8-sig"))))
    assert rows[0] == providers.EXPORT_HEADER
    assert rows[1][:3] == ["王小明", "A12345****", "國立臺中科技大學"]
    assert rows[1][6] == Certificate.objects.get().number
    book = load_workbook(io.BytesIO(client.get("/elearn/home/teach/R-9/results.xlsx").content))
    assert [c.value for c in next(book.active.iter_rows(min_row=2, max_row=2))][:2] == ["王小明", "A12345****"]
    assert client.get("/elearn/home/teach/R-9/results.pdf").status_code == 404


def test_another_agencys_provider_gets_404_everywhere_and_changes_nothing(client, other_provider, agency):
    course = make_course(agency, code="MINE-1", is_published=False)
    unit = Unit.objects.create(course=course, kind=Unit.TEST, title="測驗")
    client.force_login(other_provider)
    base = "/elearn/home/teach/MINE-1"
    for url in [
        f"{base}/",
        f"{base}/units/{unit.pk}/",
        f"{base}/results/",
        f"{base}/results.csv",
        f"{base}/results.xlsx",
    ]:
        assert client.get(url).status_code == 404, url
    for url, data in [
        (f"{base}/", {**COURSE, "title": "改掉"}),
        (f"{base}/publish", {"publish": "1"}),
        (f"{base}/units/add", {"kind": "page", "unit_title": "偷加"}),
        (f"{base}/units/{unit.pk}/", {"kind": "single", "text": "偷加", "choices": "*a\nb"}),
    ]:
        assert client.post(url, data).status_code == 404, url
    course.refresh_from_db()
    assert (course.title, course.is_published, course.units.count(), Question.objects.count()) == (
        "環境教育：氣候變遷與調適",
        False,
        2,
        0,
    )
    assert not AuditEvent.objects.filter(actor=other_provider).exists()
    # nor can it create a course for the other agency by posting its id
    response = client.post("/elearn/home/teach/", {**COURSE, "code": "SNEAK-1", "agency": str(agency.pk)})
    assert response.status_code == 400 and "提供機關：請選擇" in response.content.decode()
    assert not Course.objects.filter(code="SNEAK-1").exists()


def test_someone_without_a_provider_role_is_refused(client, learner):
    client.force_login(learner)
    assert client.get("/elearn/home/teach/").status_code == 403


def test_the_permission_check_lives_in_the_services(other_provider, agency):
    course = make_course(agency, code="SVC-1", is_published=False)
    with pytest.raises(providers.ProviderDenied):
        providers.course_publish(actor=other_provider, course=course, published=True)
    with pytest.raises(providers.ProviderDenied):
        providers.course_create(actor=other_provider, agency=agency, code="SVC-2", values=COURSE)
    with pytest.raises(providers.ProviderDenied):
        providers.results_enrolments(actor=other_provider, course=course)
    assert not Course.objects.get(code="SVC-1").is_published and not Course.objects.filter(code="SVC-2").exists()
