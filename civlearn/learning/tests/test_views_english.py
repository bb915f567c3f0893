"""e等公務園+ in English: every key page rendered with the language set to English carries no Han character outside
the data (course, unit, question and choice texts, zone, category, agency and people's names), and the certificate
PDF is English too. zh-Hant stays the default."""

from __future__ import annotations

import html
import re
import subprocess

import pytest
from django.conf import settings

from civlearn.demo.learning import seed
from civlearn.identity.models import AgencyRole
from civlearn.learning.assessment.services import attempt_start, questionnaire_submit
from civlearn.learning.catalogue.services import enrol
from civlearn.learning.categories import category_choices
from civlearn.learning.completion.services import completion_evaluate
from civlearn.learning.models import Choice, Course, Enrolment, Question, Unit, Zone
from civlearn.registry.models import Agency
from conftest import make_account, make_person

pytestmark = pytest.mark.django_db

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# What the learner typed into the search box is shown back as typed.
SEARCHED = "環境"
# The language switch names the other language in that language, on purpose; and the search box shows the query.
NOT_DATA_BUT_ALLOWED = ["中文", SEARCHED]


def data_strings() -> list[str]:
    """Every piece of Chinese text that comes from the data, longest first (so a title is removed before a word
    inside it)."""
    texts: set[str] = set()
    for course in Course.objects.all():
        texts.update([course.title, course.keywords, *course.summary.splitlines()])
    for unit in Unit.objects.all():
        texts.update([unit.title, *unit.body.splitlines()])
    texts.update(Question.objects.values_list("text", flat=True))
    texts.update(Choice.objects.values_list("text", flat=True))
    texts.update(Zone.objects.values_list("name", flat=True))
    texts.update(Agency.objects.values_list("name", flat=True))
    texts.update(
        label.strip("　 ") for _, label in category_choices(set(Course.objects.values_list("category_code", flat=True)))
    )
    from civlearn.learning.categories import category_path

    for code in Course.objects.values_list("category_code", flat=True):
        texts.update(node.name for node in category_path(code))
    # The hours portal's requirement rules (the gaps panel names them) are operators' data.
    from civlearn.hours.models import RequirementRule

    texts.update(RequirementRule.objects.values_list("label", flat=True))
    from django.contrib.auth import get_user_model

    for user in get_user_model().objects.select_related("person"):
        texts.add(user.display_name)
        person = getattr(user, "person", None)
        if person is not None:
            texts.update([person.personnel_category, person.identity_type])
    return sorted((t for t in texts if t and HAN.search(t)), key=len, reverse=True)


def han_outside_data(content: str, data: list[str]) -> list[str]:
    """Snippets around each Han character left once the data strings are taken out."""
    text = html.unescape(content)
    for value in [*data, *NOT_DATA_BUT_ALLOWED]:
        text = text.replace(value, "")
    return [text[max(0, m.start() - 40) : m.end() + 40].replace("\n", " ") for m in HAN.finditer(text)]


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def world(learner, agency):
    """The demo catalogue; the learner agreed to the terms, completed one course, is in the middle of another
    (a test attempt open) and may provide courses for the first course's agency."""
    from civlearn.learning.completion.consent import consent_record

    courses = {c.code: c for c in seed()}
    consent_record(user=learner, share_hours=True)
    done = courses["DEMO-POL-01"]
    enrolment = enrol(user=learner, course=done)
    Enrolment.objects.filter(pk=enrolment.pk).update(reading_ms=done.required_reading_ms)
    test_unit = done.units.get(kind=Unit.TEST)
    from civlearn.learning.assessment.services import attempt_submit
    from civlearn.learning.tests.conftest import correct_answers

    attempt = attempt_start(user=learner, enrolment=enrolment, unit=test_unit)
    attempt_submit(user=learner, attempt=attempt, answers=correct_answers(test_unit))
    questionnaire = done.units.get(kind=Unit.QUESTIONNAIRE)
    questionnaire_submit(
        user=learner,
        enrolment=enrolment,
        unit=questionnaire,
        answers={str(q.pk): ["5"] for q in questionnaire.questions.filter(kind=Question.SCALE)}
        | {
            str(q.pk): [str(q.choices.first().pk)]
            for q in questionnaire.questions.exclude(kind__in=[Question.SCALE, Question.TEXT])
        },
    )
    enrolment.refresh_from_db()
    assert completion_evaluate(enrolment=enrolment) or enrolment.completed_at is not None
    reading = courses["DEMO-ENV-01"]
    current = enrol(user=learner, course=reading)
    attempt_start(user=learner, enrolment=current, unit=reading.units.get(kind=Unit.TEST))
    AgencyRole.objects.create(user=learner, agency=done.provider_agency, role=AgencyRole.PROVIDER)
    AgencyRole.objects.create(user=learner, agency=agency, role=AgencyRole.HR_OFFICER)
    return {"done": done, "reading": reading, "enrolment": Enrolment.objects.get(pk=enrolment.pk)}


def key_pages(world) -> dict[str, str]:
    done, reading = world["done"], world["reading"]
    test_unit = reading.units.get(kind=Unit.TEST)
    questionnaire = reading.units.get(kind=Unit.QUESTIONNAIRE)
    page_unit = reading.units.filter(kind=Unit.PAGE).first()
    certificate = world["enrolment"].certificate
    return {
        "課程中心": "/elearn/",
        "課程中心 with a search": f"/elearn/?q={SEARCHED}&hours_min=1&hours_max=9&zone=ten-hours",
        "課程中心 refusing a filter": "/elearn/?hours_min=x",
        "course page (enrolled)": f"/elearn/courses/{reading.code}/",
        "course page (not enrolled)": "/elearn/courses/DEMO-SEC-01/",
        "learn page": f"/elearn/courses/{reading.code}/learn/{page_unit.pk}/",
        "test (open attempt)": f"/elearn/courses/{reading.code}/learn/{test_unit.pk}/",
        "questionnaire": f"/elearn/courses/{reading.code}/learn/{questionnaire.pk}/",
        "completed course": f"/elearn/courses/{done.code}/learn/",
        "我的課程": "/elearn/my/",
        "個人專區": "/elearn/home/",
        "學習紀錄": "/elearn/home/records/",
        "統計圖表": "/elearn/home/records/charts/",
        "歷史紀錄": "/elearn/home/records/history/",
        "學習目標": "/elearn/home/goals/",
        "個人資料": "/elearn/home/profile/",
        "套裝課程管理": "/elearn/home/packages/",
        "證書查驗": "/elearn/verify/",
        "證書查驗 (found)": f"/elearn/verify/{certificate.verify_code}/",
        "證書查驗 (unknown code)": "/elearn/verify/NOPE/",
        "我教的課": "/elearn/home/teach/",
        "我教的課: course": f"/elearn/home/teach/{done.code}/",
        "我教的課: unit": f"/elearn/home/teach/{done.code}/units/{done.units.get(kind=Unit.TEST).pk}/",
        "我教的課: results": f"/elearn/home/teach/{done.code}/results/",
        "會員規範": "/elearn/terms/",
    }


def test_every_key_learning_page_is_english_outside_the_data(english, learner, world):
    english.force_login(learner)
    data = data_strings()
    leftovers = {}
    for name, url in key_pages(world).items():
        response = english.get(url)
        assert response.status_code in (200, 404), f"{name}: {url} answered {response.status_code}"
        assert '<html lang="en">' in response.content.decode(), name
        found = han_outside_data(response.content.decode(), data)
        if found:
            leftovers[name] = found[:5]
    assert leftovers == {}, "\n".join(f"{k}: {v}" for k, v in leftovers.items())


def test_refused_forms_and_messages_are_english(english, learner, world):
    english.force_login(learner)
    data = data_strings()
    reading = world["reading"]
    test_unit = reading.units.get(kind=Unit.TEST)
    from civlearn.learning.models import TestAttempt

    attempt = TestAttempt.objects.get(unit=test_unit, submitted_at__isnull=True)
    refused = english.post(f"/elearn/courses/{reading.code}/learn/{test_unit.pk}/test/{attempt.pk}/submit", {})
    assert refused.status_code == 400
    body = refused.content.decode()
    count = test_unit.questions.count()
    assert f"{count} questions need fixing; check them and hand in again" in body
    assert "<title>Error: " in body
    assert han_outside_data(body, data) == []
    questionnaire = reading.units.get(kind=Unit.QUESTIONNAIRE)
    refused = english.post(f"/elearn/courses/{reading.code}/learn/{questionnaire.pk}/questionnaire", {})
    assert refused.status_code == 400
    assert han_outside_data(refused.content.decode(), data) == []
    terms = english.post("/elearn/terms/", {})
    assert "Choose “Agree” or “Do not agree”" in terms.content.decode()
    enrolled = english.post("/elearn/courses/DEMO-SEC-01/enrol", follow=True)
    assert "You are enrolled in “" in enrolled.content.decode()
    assert han_outside_data(enrolled.content.decode(), data) == []


def test_the_heartbeat_reports_reading_time_in_english(english, learner, world):
    from civlearn.learning.reading.services import reading_stream_open

    enrolment = Enrolment.objects.get(user=learner, course=world["reading"])
    reply = english.post("/elearn/heartbeat", {"token": reading_stream_open(enrolment=enrolment)}).json()
    required = world["reading"].required_reading_minutes
    assert reply["reading"] == f"0 min / {required} min"


def test_the_certificate_pdf_is_english(english, learner, world, tmp_path):
    english.force_login(learner)
    certificate = world["enrolment"].certificate
    response = english.get(f"/elearn/certificates/{certificate.number}.pdf")
    assert response.status_code == 200
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Certificate of Completion" in text
    assert "This is to certify that" in text
    # pdftotext breaks long lines: compare without white space.
    squeezed = [re.sub(r"\s+", "", value) for value in [*data_strings(), certificate.learner_name]]
    assert han_outside_data(re.sub(r"\s+", "", text), squeezed) == []
    from civlearn.testing.browser import artifacts_dir

    folder = artifacts_dir()
    if folder is not None:
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf), str(folder / "learning-certificate-en")],
            check=True,
        )


def test_zh_hant_stays_the_default(client, learner, world):
    client.force_login(learner)
    body = client.get("/elearn/my/").content.decode()
    assert '<html lang="zh-Hant-TW">' in body
    assert "未完成課程" in body


def test_a_person_who_does_not_provide_courses_sees_no_teach_link(client, agency):
    person = make_person(agency, "E123456780", "王學員")
    user = make_account(person)
    from civlearn.learning.completion.consent import consent_record

    consent_record(user=user, share_hours=True)
    client.force_login(user)
    body = client.get("/elearn/home/").content.decode()
    assert "我教的課" not in body
    assert client.get("/elearn/home/teach/").status_code == 403
