"""Completion under each combination of conditions, the certificate, idempotent posting to the hours ledger,
and what happens without consent."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest

from civlearn.core.models import AuditEvent
from civlearn.hours import selectors as hours_selectors
from civlearn.learning.assessment.services import AssessmentError, attempt_start, attempt_submit, questionnaire_submit
from civlearn.learning.catalogue.services import enrol
from civlearn.learning.completion.consent import consent_record
from civlearn.learning.completion.services import completion_evaluate, hours_post, hours_post_outstanding, progress_of
from civlearn.learning.models import Certificate, Enrolment, TestAttempt, Unit

from .conftest import add_questionnaire, add_test, correct_answers, make_course, wrong_answers


def read_enough(enrolment: Enrolment) -> None:
    Enrolment.objects.filter(pk=enrolment.pk).update(reading_ms=enrolment.course.required_reading_ms)
    enrolment.refresh_from_db()


def entries(learner):
    return list(hours_selectors.entries_for_year(person=learner.person, year=dt.date.today().year))


def pass_test(learner, enrolment, unit):
    attempt = attempt_start(user=learner, enrolment=enrolment, unit=unit)
    return attempt_submit(user=learner, attempt=attempt, answers=correct_answers(unit))


def answer_questionnaire(learner, enrolment, unit):
    first = unit.questions.first()
    return questionnaire_submit(user=learner, enrolment=enrolment, unit=unit, answers={str(first.pk): ["4"]})


@pytest.mark.parametrize(
    ("has_test", "has_questionnaire"), [(False, False), (True, False), (False, True), (True, True)]
)
def test_completion_needs_every_condition_the_course_sets(consenting_learner, agency, has_test, has_questionnaire):
    # given a course with reading time and, as parametrized, a test and a questionnaire
    course = make_course(agency)
    test = add_test(course) if has_test else None
    questionnaire = add_questionnaire(course) if has_questionnaire else None
    enrolment = enrol(user=consenting_learner, course=course)
    expected_labels = ["閱讀時數"] + (["測驗"] if has_test else []) + (["問卷"] if has_questionnaire else [])
    progress = progress_of(enrolment=enrolment)
    assert [c.label for c in progress.conditions] == expected_labels
    assert progress.percent == 0

    # when only the test and questionnaire are done, it is not complete
    if test:
        pass_test(consenting_learner, enrolment, test)
    if questionnaire:
        answer_questionnaire(consenting_learner, enrolment, questionnaire)
    enrolment.refresh_from_db()
    if has_test or has_questionnaire:
        assert enrolment.completed_at is None
        conditions = len(expected_labels)
        # 1 of 2 conditions is 50 %, 2 of 3 is 67 % (rounded half up, not cut to 66 %)
        assert progress_of(enrolment=enrolment).percent == {2: 50, 3: 67}[conditions]

    # when the reading time is reached too
    read_enough(enrolment)
    assert completion_evaluate(enrolment=enrolment) is True

    # then it is complete with a certificate and the ledger entry
    enrolment.refresh_from_db()
    assert enrolment.completed_at is not None
    assert progress_of(enrolment=enrolment).percent == 100
    assert enrolment.certificate.course_title == "環境教育：氣候變遷與調適"
    assert enrolment.certificate.learner_name == "王小明"
    assert enrolment.hours_status == Enrolment.HOURS_POSTED


def test_reading_alone_does_not_complete_a_course_with_a_test(consenting_learner, full_course):
    enrolment = enrol(user=consenting_learner, course=full_course)
    read_enough(enrolment)
    assert completion_evaluate(enrolment=enrolment) is False
    progress = progress_of(enrolment=enrolment)
    assert [(c.label, c.met, c.detail) for c in progress.conditions] == [
        ("閱讀時數", True, "10 分鐘 / 10 分鐘"),
        ("測驗", False, "尚未通過"),
        ("問卷", False, "尚未填寫"),
    ]
    assert progress.percent == 33
    assert not Certificate.objects.exists()


def test_completion_posts_the_courses_hours_once(consenting_learner, course):
    enrolment = enrol(user=consenting_learner, course=course)
    read_enough(enrolment)
    completion_evaluate(enrolment=enrolment)
    # when posting is repeated (a retry, a second evaluation)
    assert completion_evaluate(enrolment=enrolment) is False
    assert hours_post(enrolment=enrolment) == Enrolment.HOURS_POSTED
    assert hours_post_outstanding(user=consenting_learner) == 0
    # then exactly one ledger entry exists, with the course's certified hours, category and mode
    [entry] = entries(consenting_learner)
    assert (entry.course_name, entry.category_code, entry.mode) == ("環境教育：氣候變遷與調適", "339", 1)
    assert (entry.certified_hours, entry.digital_hours, entry.physical_hours) == (
        Decimal("2.0"),
        Decimal("2.0"),
        Decimal("0"),
    )
    assert (entry.source_kind, entry.source_reference) == ("elearn", f"enrolment:{enrolment.pk}")
    assert entry.institution_code == "A09600000Q"
    assert Certificate.objects.count() == 1


def test_without_consent_no_entry_and_the_status_says_why(learner, course):
    # given a learner who accepted the terms but refused sending hours
    consent_record(user=learner, share_hours=False)
    enrolment = enrol(user=learner, course=course)
    read_enough(enrolment)
    # when the course is completed
    completion_evaluate(enrolment=enrolment)
    enrolment.refresh_from_db()
    # then a certificate, but no ledger entry, and the reason is recorded
    assert enrolment.certificate.number
    assert enrolment.hours_status == Enrolment.HOURS_NO_CONSENT
    assert enrolment.get_hours_status_display() == "未同意上傳，未上傳"
    assert entries(learner) == []


def test_consenting_later_posts_completions_not_yet_sent(learner, course):
    consent_record(user=learner, share_hours=False)
    enrolment = enrol(user=learner, course=course)
    read_enough(enrolment)
    completion_evaluate(enrolment=enrolment)
    # when the learner changes their mind
    consent_record(user=learner, share_hours=True)
    # then the completed course is posted at once
    enrolment.refresh_from_db()
    assert enrolment.hours_status == Enrolment.HOURS_POSTED
    assert [e.course_name for e in entries(learner)] == ["環境教育：氣候變遷與調適"]


def test_a_failed_test_then_a_passed_one(consenting_learner, full_course):
    enrolment = enrol(user=consenting_learner, course=full_course)
    unit = full_course.units.get(kind=Unit.TEST)
    first = attempt_start(user=consenting_learner, enrolment=enrolment, unit=unit)
    failed = attempt_submit(user=consenting_learner, attempt=first, answers=wrong_answers(unit))
    assert (failed.score, failed.passed) == (0, False)
    second = attempt_start(user=consenting_learner, enrolment=enrolment, unit=unit)
    assert second.number == 2
    passed = attempt_submit(user=consenting_learner, attempt=second, answers=correct_answers(unit))
    assert (passed.score, passed.passed) == (100, True)
    with pytest.raises(AssessmentError, match="您已通過本測驗，不需再次作答"):
        attempt_start(user=consenting_learner, enrolment=enrolment, unit=unit)


def test_a_partly_right_multiple_choice_scores_nothing_for_that_question(consenting_learner, full_course):
    enrolment = enrol(user=consenting_learner, course=full_course)
    unit = full_course.units.get(kind=Unit.TEST)
    attempt = attempt_start(user=consenting_learner, enrolment=enrolment, unit=unit)
    answers = correct_answers(unit)
    multiple = unit.questions.get(kind="multiple")
    answers[str(multiple.pk)] = answers[str(multiple.pk)][:1]
    graded = attempt_submit(user=consenting_learner, attempt=attempt, answers=answers)
    assert (graded.score, graded.passed) == (67, True)


def test_attempts_are_limited(consenting_learner, agency):
    course = make_course(agency)
    unit = add_test(course, max_attempts=2)
    enrolment = enrol(user=consenting_learner, course=course)
    for _ in range(2):
        attempt = attempt_start(user=consenting_learner, enrolment=enrolment, unit=unit)
        attempt_submit(user=consenting_learner, attempt=attempt, answers=wrong_answers(unit))
    with pytest.raises(AssessmentError, match=r"已達測驗次數上限（2 次）"):
        attempt_start(user=consenting_learner, enrolment=enrolment, unit=unit)
    assert TestAttempt.objects.filter(enrolment=enrolment).count() == 2


def test_an_unanswered_question_is_named_and_nothing_is_graded(consenting_learner, full_course):
    enrolment = enrol(user=consenting_learner, course=full_course)
    unit = full_course.units.get(kind=Unit.TEST)
    attempt = attempt_start(user=consenting_learner, enrolment=enrolment, unit=unit)
    answers = correct_answers(unit)
    second_shown = attempt.question_order[1]
    del answers[str(second_shown)]
    with pytest.raises(AssessmentError) as refused:
        attempt_submit(user=consenting_learner, attempt=attempt, answers=answers)
    assert str(refused.value) == "有 1 題需要修正，請檢查後再送出"
    assert refused.value.problems == {second_shown: "第 2 題尚未作答"}
    attempt.refresh_from_db()
    assert (attempt.submitted_at, attempt.score) == (None, None)


def test_every_unanswered_or_wrongly_answered_question_is_named_at_once(consenting_learner, full_course):
    enrolment = enrol(user=consenting_learner, course=full_course)
    unit = full_course.units.get(kind=Unit.TEST)
    attempt = attempt_start(user=consenting_learner, enrolment=enrolment, unit=unit)
    first, second, third = attempt.question_order
    answers = correct_answers(unit)
    del answers[str(first)]
    del answers[str(third)]
    answers[str(second)] = ["999999"]
    with pytest.raises(AssessmentError) as refused:
        attempt_submit(user=consenting_learner, attempt=attempt, answers=answers)
    assert str(refused.value) == "有 3 題需要修正，請檢查後再送出"
    assert refused.value.problems == {
        first: "第 1 題尚未作答",
        second: "第 2 題的答案不是本題的選項",
        third: "第 3 題尚未作答",
    }
    attempt.refresh_from_db()
    assert (attempt.submitted_at, attempt.score, attempt.answers) == (None, None, {})


def test_the_question_order_is_shuffled_per_attempt(consenting_learner, agency):
    course = make_course(agency)
    unit = add_test(course, max_attempts=0)
    enrolment = enrol(user=consenting_learner, course=course)
    orders = set()
    for _ in range(12):
        attempt = attempt_start(user=consenting_learner, enrolment=enrolment, unit=unit)
        orders.add(tuple(attempt.question_order))
        attempt_submit(user=consenting_learner, attempt=attempt, answers=wrong_answers(unit))
    # 3 questions have 6 orders; 12 attempts all alike would happen with probability 6 / 6**12
    assert len(orders) > 1


def test_questionnaire_scale_out_of_range_is_refused_and_nothing_stored(consenting_learner, full_course):
    enrolment = enrol(user=consenting_learner, course=full_course)
    unit = full_course.units.get(kind=Unit.QUESTIONNAIRE)
    scale = unit.questions.get(kind="scale")
    with pytest.raises(AssessmentError) as refused:
        questionnaire_submit(user=consenting_learner, enrolment=enrolment, unit=unit, answers={str(scale.pk): ["9"]})
    assert refused.value.problems[scale.pk] == "第 1 題請選擇 1 到 5 之間的分數"
    with pytest.raises(AssessmentError) as refused:
        questionnaire_submit(user=consenting_learner, enrolment=enrolment, unit=unit, answers={})
    assert refused.value.problems[scale.pk] == "第 1 題尚未填答"
    assert not enrolment.questionnaire_responses.exists()
    answer_questionnaire(consenting_learner, enrolment, unit)
    with pytest.raises(AssessmentError, match="您已填寫過此問卷"):
        answer_questionnaire(consenting_learner, enrolment, unit)


def test_someone_else_cannot_submit_on_an_enrolment(consenting_learner, hr_officer, full_course):
    enrolment = enrol(user=consenting_learner, course=full_course)
    unit = full_course.units.get(kind=Unit.TEST)
    with pytest.raises(AssessmentError, match="這不是您的選課紀錄"):
        attempt_start(user=hr_officer, enrolment=enrolment, unit=unit)
    assert not TestAttempt.objects.exists()


def test_completion_is_audited(consenting_learner, course):
    enrolment = enrol(user=consenting_learner, course=course)
    read_enough(enrolment)
    completion_evaluate(enrolment=enrolment)
    actions = list(
        AuditEvent.objects.filter(subject_type="learning.enrolment", subject_id=str(enrolment.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == ["learning.enrolled", "learning.completed", "learning.hours_posted"]


def test_a_ledger_refusal_never_undoes_the_completion_and_is_retried(consenting_learner, agency):
    from django.core.management import call_command

    from civlearn.learning.models import Course

    # given a course whose category code the portal's code table does not know
    course = make_course(agency, code="EL-BADCODE", category_code="99999")
    enrolment = enrol(user=consenting_learner, course=course)
    read_enough(enrolment)
    # when it is completed
    assert completion_evaluate(enrolment=enrolment) is True
    enrolment.refresh_from_db()
    # then the completion and certificate stand, the posting is marked failed and nothing reached the ledger
    assert enrolment.completed_at is not None and enrolment.certificate.number
    assert enrolment.hours_status == Enrolment.HOURS_FAILED
    assert entries(consenting_learner) == []
    # and once the operator fixes the code, the periodic command posts it
    Course.objects.filter(pk=course.pk).update(category_code="339")
    call_command("learning_post_hours", stdout=io.StringIO())
    enrolment.refresh_from_db()
    assert enrolment.hours_status == Enrolment.HOURS_POSTED
    assert [e.category_code for e in entries(consenting_learner)] == ["339"]
