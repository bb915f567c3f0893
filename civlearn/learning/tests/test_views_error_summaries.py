"""Every refused learning form says so first: the page title starts with 「錯誤：」 and an error summary
(#error-summary, focused by site.js) lists what to fix; nothing is saved. A page without errors has neither."""

from __future__ import annotations

import re

import pytest

from civlearn.identity.models import AgencyRole
from civlearn.learning.catalogue.services import enrol
from civlearn.learning.models import Course, LearningGoal, QuestionnaireResponse, TestAttempt, Unit

pytestmark = pytest.mark.django_db


def title(body: str) -> str:
    match = re.search(r"<title>(.*?)</title>", body, re.S)
    assert match
    return match.group(1).strip()


def summary(body: str) -> str:
    match = re.search(
        r'<div class="error-summary" role="alert" id="error-summary" tabindex="-1">(.*?)</div>', body, re.S
    )
    assert match, "no error summary"
    return re.sub(r"<[^>]+>", " ", match.group(1))


@pytest.fixture
def member(client, consenting_learner):
    client.force_login(consenting_learner)
    return consenting_learner


def test_a_clean_page_has_no_error_title_or_summary(client, member):
    body = client.get("/elearn/").content.decode()
    assert title(body).startswith("課程中心")
    assert 'id="error-summary"' not in body


def test_the_catalogue_filter(client, member):
    body = client.get("/elearn/?hours_min=abc").content.decode()
    assert title(body).startswith("錯誤：課程中心")
    assert "認證時數下限請輸入 0 以上的數字" in summary(body)


def test_the_member_terms(client, learner):
    client.force_login(learner)
    response = client.post("/elearn/terms/", {})
    body = response.content.decode()
    assert title(body).startswith("錯誤：")
    assert "請選擇「同意」或「不同意」" in summary(body)
    assert not learner.learning_consents.exists()


def test_the_goals(client, member):
    response = client.post("/elearn/home/goals/", {"week": "x", "month": "四", "year": ""})
    body = response.content.decode()
    assert title(body).startswith("錯誤：學習目標")
    assert "週目標：請輸入數字（小時）" in summary(body)
    assert "月目標：請輸入數字（小時）" in summary(body)
    assert not LearningGoal.objects.filter(user=member).exists()


def test_the_certificate_check(client, db):
    response = client.get("/elearn/verify/NOPE/")
    assert response.status_code == 404
    body = response.content.decode()
    assert title(body).startswith("錯誤：證書查驗")
    assert "查無此驗證碼" in summary(body)


def test_a_provider_form(client, member, agency):
    AgencyRole.objects.create(user=member, agency=agency, role=AgencyRole.PROVIDER)
    response = client.post("/elearn/home/teach/", {"agency": str(agency.pk), "code": "有 空白", "title": "x"})
    assert response.status_code == 400
    body = response.content.decode()
    assert title(body).startswith("錯誤：我教的課")
    assert "課程代碼：請用英數字與連字號，30 字以內" in summary(body)
    assert not Course.objects.exists()


def test_a_questionnaire_names_each_unanswered_question(client, member, full_course):
    enrolment = enrol(user=member, course=full_course)
    unit = full_course.units.get(kind=Unit.QUESTIONNAIRE)
    scale = unit.questions.get(kind="scale")
    response = client.post(f"/elearn/courses/{full_course.code}/learn/{unit.pk}/questionnaire", {})
    assert response.status_code == 400
    body = response.content.decode()
    assert title(body).startswith("錯誤：課程問卷")
    assert "有 1 題需要修正，請檢查後再送出" in summary(body)
    assert f'<a href="#question-{scale.pk}">第 1 題尚未填答</a>' in body
    assert f'id="question-{scale.pk}" aria-invalid="true" aria-describedby="question-{scale.pk}-error"' in body
    assert f'<p class="errorlist" id="question-{scale.pk}-error">第 1 題尚未填答</p>' in body
    assert not QuestionnaireResponse.objects.filter(enrolment=enrolment).exists()


def test_a_refused_test_keeps_the_answers_given(client, member, full_course):
    enrolment = enrol(user=member, course=full_course)
    unit = full_course.units.get(kind=Unit.TEST)
    base = f"/elearn/courses/{full_course.code}/learn/{unit.pk}/"
    client.post(base + "test/start")
    attempt = TestAttempt.objects.get(enrolment=enrolment)
    first = unit.questions.get(pk=attempt.question_order[0])
    chosen = first.choices.first()
    response = client.post(base + f"test/{attempt.pk}/submit", {f"q-{first.pk}": [str(chosen.pk)]})
    assert response.status_code == 400
    body = response.content.decode()
    assert f'name="q-{first.pk}" value="{chosen.pk}" checked' in body
    assert f'id="question-{first.pk}" aria-invalid' not in body
    assert body.count('aria-invalid="true"') == unit.questions.count() - 1
