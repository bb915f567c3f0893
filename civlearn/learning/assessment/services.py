"""Tests (測驗: single / multiple choice and true/false, pass mark, attempts, shuffled order) and
questionnaires (問卷: scales, choices and free text)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from civlearn.core import clock
from civlearn.core.services import audit_record
from civlearn.learning.models import Enrolment, Question, QuestionnaireResponse, TestAttempt, Unit

TEXT_ANSWER_MAX = 2000


class AssessmentError(ValueError):
    """A refused submission; the message is shown to the learner as is. `problems` maps the id of each question
    that needs the learner's attention to what is wrong with it (every such question, not only the first)."""

    def __init__(self, message: str, *, problems: dict[int, str] | None = None) -> None:
        super().__init__(message)
        self.problems: dict[int, str] = problems or {}


def _refuse_answers(problems: dict[int, str]) -> None:
    """Raise one AssessmentError listing every question with a problem, when there is any."""
    if problems:
        raise AssessmentError(
            ngettext("有 %(n)s 題需要修正，請檢查後再送出", "有 %(n)s 題需要修正，請檢查後再送出", len(problems))
            % {"n": len(problems)},
            problems=problems,
        )


@dataclass(frozen=True)
class ShownQuestion:
    number: int
    question: Question
    choices: list


def _check_unit(*, user, enrolment: Enrolment, unit: Unit, kind: str) -> None:
    if enrolment.user_id != user.pk:
        raise AssessmentError(_("這不是您的選課紀錄"))
    if unit.course_id != enrolment.course_id or unit.kind != kind:
        raise AssessmentError(_("此單元不屬於這門課程"))


def attempts_left(*, enrolment: Enrolment, unit: Unit) -> int | None:
    """None when the test allows unlimited attempts."""
    if not unit.max_attempts:
        return None
    used = TestAttempt.objects.filter(enrolment=enrolment, unit=unit, submitted_at__isnull=False).count()
    return max(0, unit.max_attempts - used)


def attempt_start(*, user, enrolment: Enrolment, unit: Unit) -> TestAttempt:
    """Open an attempt with its own shuffled question and choice order, or return the one still open."""
    _check_unit(user=user, enrolment=enrolment, unit=unit, kind=Unit.TEST)
    with transaction.atomic():
        attempts = TestAttempt.objects.select_for_update().filter(enrolment=enrolment, unit=unit)
        existing = list(attempts)
        open_attempt = next((a for a in existing if a.submitted_at is None), None)
        if open_attempt is not None:
            return open_attempt
        if any(a.passed for a in existing):
            raise AssessmentError(_("您已通過本測驗，不需再次作答"))
        if unit.max_attempts and len(existing) >= unit.max_attempts:
            raise AssessmentError(_("已達測驗次數上限（%(n)s 次）") % {"n": unit.max_attempts})
        questions = list(unit.questions.prefetch_related("choices"))
        if not questions:
            raise AssessmentError(_("本測驗尚無題目"))
        rng = random.SystemRandom()
        order = [q.pk for q in questions]
        rng.shuffle(order)
        choice_order = {}
        for question in questions:
            ids = [c.pk for c in question.choices.all()]
            rng.shuffle(ids)
            choice_order[str(question.pk)] = ids
        try:
            attempt = TestAttempt.objects.create(
                enrolment=enrolment,
                unit=unit,
                number=len(existing) + 1,
                question_order=order,
                choice_order=choice_order,
            )
        except IntegrityError as exc:
            raise AssessmentError(_("測驗已在另一個視窗開啟，請重新整理頁面")) from exc
        audit_record(
            actor=user, action="learning.test_started", subject=attempt, changes={"number": [None, attempt.number]}
        )
    return attempt


def attempt_questions(*, attempt: TestAttempt) -> list[ShownQuestion]:
    """The attempt's questions and choices in the order this attempt shows them."""
    questions = {q.pk: q for q in Question.objects.filter(unit_id=attempt.unit_id).prefetch_related("choices")}
    shown = []
    for number, question_id in enumerate((pk for pk in attempt.question_order if pk in questions), start=1):
        question = questions[question_id]
        by_id = {c.pk: c for c in question.choices.all()}
        order = attempt.choice_order.get(str(question_id), list(by_id))
        shown.append(ShownQuestion(number, question, [by_id[pk] for pk in order if pk in by_id]))
    return shown


def attempt_submit(*, user, attempt: TestAttempt, answers: dict[str, list[str]]) -> TestAttempt:
    """Grade an attempt. `answers` maps question id → chosen choice ids. Every question must be answered;
    a question scores when the chosen set equals the correct set. Score is 0–100, pass at the unit's mark."""
    enrolment = attempt.enrolment
    unit = attempt.unit
    _check_unit(user=user, enrolment=enrolment, unit=unit, kind=Unit.TEST)
    if attempt.submitted_at is not None:
        raise AssessmentError(_("此次測驗已交卷"))
    shown = attempt_questions(attempt=attempt)
    total = earned = 0
    recorded: dict[str, list[int]] = {}
    problems: dict[int, str] = {}
    for item in shown:
        question = item.question
        valid = {str(c.pk): c for c in item.choices}
        chosen = [value for value in answers.get(str(question.pk), []) if value]
        if not chosen:
            problems[question.pk] = _("第 %(n)s 題尚未作答") % {"n": item.number}
            continue
        if any(value not in valid for value in chosen):
            problems[question.pk] = _("第 %(n)s 題的答案不是本題的選項") % {"n": item.number}
            continue
        if question.kind != Question.MULTIPLE and len(chosen) > 1:
            problems[question.pk] = _("第 %(n)s 題只能選一個答案") % {"n": item.number}
            continue
        recorded[str(question.pk)] = sorted(int(value) for value in chosen)
        correct = {str(c.pk) for c in item.choices if c.is_correct}
        total += question.points
        if set(chosen) == correct:
            earned += question.points
    _refuse_answers(problems)
    score = round(100 * earned / total) if total else 0
    passed = score >= unit.pass_mark
    with transaction.atomic():
        # Conditional: a double-clicked 交卷 grades once.
        claimed = TestAttempt.objects.filter(pk=attempt.pk, submitted_at__isnull=True).update(
            submitted_at=clock.now(), answers=recorded, score=score, passed=passed
        )
        if not claimed:
            raise AssessmentError(_("此次測驗已交卷"))
        attempt.refresh_from_db()
        audit_record(
            actor=user,
            action="learning.test_submitted",
            subject=attempt,
            changes={"score": [None, score], "passed": [None, passed]},
        )
    if passed:
        from civlearn.learning.completion.services import completion_evaluate

        completion_evaluate(enrolment=enrolment)
    return attempt


def _questionnaire_problem(*, question: Question, number: int, answers: dict[str, list[str]], recorded: dict) -> str:
    """What is wrong with one question's answer ("" when nothing); a valid answer is put in `recorded`."""
    values = [value.strip() for value in answers.get(str(question.pk), []) if value and value.strip()]
    if not values:
        if question.required:
            return _("第 %(n)s 題尚未填答") % {"n": number}
        return ""
    if question.kind == Question.SCALE:
        if len(values) != 1 or not values[0].isdigit() or not 1 <= int(values[0]) <= question.scale_max:
            return _("第 %(n)s 題請選擇 1 到 %(max)s 之間的分數") % {"n": number, "max": question.scale_max}
        recorded[str(question.pk)] = int(values[0])
    elif question.kind == Question.TEXT:
        text = "\n".join(values)
        if len(text) > TEXT_ANSWER_MAX:
            return _("第 %(n)s 題的文字請在 %(max)s 字以內") % {"n": number, "max": TEXT_ANSWER_MAX}
        recorded[str(question.pk)] = text
    else:
        valid = {str(c.pk) for c in question.choices.all()}
        if any(value not in valid for value in values):
            return _("第 %(n)s 題的答案不是本題的選項") % {"n": number}
        if question.kind != Question.MULTIPLE and len(values) > 1:
            return _("第 %(n)s 題只能選一個答案") % {"n": number}
        recorded[str(question.pk)] = sorted(int(value) for value in values)
    return ""


def questionnaire_submit(
    *, user, enrolment: Enrolment, unit: Unit, answers: dict[str, list[str]]
) -> QuestionnaireResponse:
    """Record a questionnaire. Scale answers are 1..scale_max; text answers at most 2,000 characters."""
    _check_unit(user=user, enrolment=enrolment, unit=unit, kind=Unit.QUESTIONNAIRE)
    recorded: dict[str, object] = {}
    problems: dict[int, str] = {}
    for number, question in enumerate(unit.questions.prefetch_related("choices"), start=1):
        problem = _questionnaire_problem(question=question, number=number, answers=answers, recorded=recorded)
        if problem:
            problems[question.pk] = problem
    _refuse_answers(problems)
    try:
        with transaction.atomic():
            response = QuestionnaireResponse.objects.create(enrolment=enrolment, unit=unit, answers=recorded)
            audit_record(actor=user, action="learning.questionnaire_submitted", subject=response)
    except IntegrityError as exc:
        raise AssessmentError(_("您已填寫過此問卷")) from exc
    from civlearn.learning.completion.services import completion_evaluate

    completion_evaluate(enrolment=enrolment)
    return response
