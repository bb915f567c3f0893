"""Courses for the learning tests: one with reading only, one with reading + test + questionnaire."""

from __future__ import annotations

from decimal import Decimal

import pytest

from civlearn.learning.models import Choice, Course, PartnerAgency, Question, Unit


def make_course(provider, code="EL-ENV-01", title="環境教育：氣候變遷與調適", **extra) -> Course:
    defaults = {
        "summary": "認識氣候變遷的成因、衝擊與調適策略。",
        "category_code": "339",
        "certified_hours": Decimal("2.0"),
        "production_year": 2025,
        "required_reading_minutes": 10,
    }
    defaults.update(extra)
    course = Course.objects.create(code=code, title=title, provider_agency=provider, **defaults)
    Unit.objects.create(course=course, order=1, kind=Unit.PAGE, title="第一章", body="氣候變遷是……")
    return course


def approved_partner(agency) -> PartnerAgency:
    """`agency` as an approved 加盟機關 (its providers may publish)."""
    from civlearn.core import clock
    from civlearn.identity.models import User

    applicant = User.objects.create_user(f"partner{agency.code}", None, email="p@example.tw")
    return PartnerAgency.objects.create(
        agency=agency, status=PartnerAgency.APPROVED, introduction="示範", contact_name="聯絡人",
        contact_email="p@example.tw", contact_phone="02-1234-5678", applied_by=applicant, applied_at=clock.now(),
    )  # fmt: skip


def add_test(course: Course, *, pass_mark=60, max_attempts=3) -> Unit:
    unit = Unit.objects.create(
        course=course, order=10, kind=Unit.TEST, title="課後測驗", pass_mark=pass_mark, max_attempts=max_attempts
    )
    q1 = Question.objects.create(unit=unit, order=1, kind=Question.SINGLE, text="溫室氣體主要來自？")
    Choice.objects.create(question=q1, order=1, text="化石燃料燃燒", is_correct=True)
    Choice.objects.create(question=q1, order=2, text="月球引力")
    q2 = Question.objects.create(unit=unit, order=2, kind=Question.TRUE_FALSE, text="調適與減緩是同一件事。")
    Choice.objects.create(question=q2, order=1, text="是")
    Choice.objects.create(question=q2, order=2, text="否", is_correct=True)
    q3 = Question.objects.create(unit=unit, order=3, kind=Question.MULTIPLE, text="下列哪些屬於調適策略？")
    Choice.objects.create(question=q3, order=1, text="建置防洪設施", is_correct=True)
    Choice.objects.create(question=q3, order=2, text="調整作物種植期", is_correct=True)
    Choice.objects.create(question=q3, order=3, text="增加燃煤發電")
    return unit


def add_questionnaire(course: Course) -> Unit:
    unit = Unit.objects.create(course=course, order=20, kind=Unit.QUESTIONNAIRE, title="課程問卷")
    Question.objects.create(unit=unit, order=1, kind=Question.SCALE, text="整體而言，我對本課程感到滿意。")
    Question.objects.create(unit=unit, order=2, kind=Question.TEXT, text="其他建議", required=False)
    return unit


def correct_answers(unit: Unit) -> dict[str, list[str]]:
    return {
        str(q.pk): [str(c.pk) for c in q.choices.all() if c.is_correct]
        for q in unit.questions.prefetch_related("choices")
    }


def wrong_answers(unit: Unit) -> dict[str, list[str]]:
    return {
        str(q.pk): [str(next(c.pk for c in q.choices.all() if not c.is_correct))]
        for q in unit.questions.prefetch_related("choices")
    }


@pytest.fixture
def course(agency):
    return make_course(agency)


@pytest.fixture
def full_course(agency):
    course = make_course(agency, code="EL-ENV-02", title="環境教育：自然保育", category_code="341")
    add_test(course)
    add_questionnaire(course)
    return course


@pytest.fixture
def consenting_learner(learner):
    from civlearn.learning.completion.consent import consent_record

    consent_record(user=learner, share_hours=True)
    return learner


@pytest.fixture
def autumn_2026():
    """The clock at 2026-10-01 09:00 Taipei: the gap tests' day, two months before their agency's cutoff."""
    from civlearn.core import clock
    from civlearn.hours.tests.factories import taipei

    clock.travel_to(taipei(2026, 10, 1, 9))


@pytest.fixture
def short_learner(consenting_learner, learner_person):
    """Short of 2 hours of 環境教育 only: policy 1, environment 2 of 4, values 7 of 5 (total 10 of 10)."""
    from civlearn.hours.tests.factories import record, taipei

    record(learner_person, code="510", hours="1", end=taipei(2026, 3, 1))
    record(learner_person, code="337", hours="2", end=taipei(2026, 3, 1))
    record(learner_person, code="560", hours="7", end=taipei(2026, 3, 1))
    return consenting_learner


def listed(panel) -> dict[str, list[str]]:
    """A gap panel as {gap key: [suggested course codes, in order]}."""
    return {item.gap.key: [s.code for s in item.suggestions] for item in panel.items}
