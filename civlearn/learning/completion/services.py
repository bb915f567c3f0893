"""Completion under the manual's three conditions (✔閱讀時數 / ✔測驗 / ✔問卷), and what follows it:
the certificate and, with the learner's consent, the hours in the lifelong-learning portal."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from civlearn.core import clock
from civlearn.core.services import audit_record
from civlearn.learning.completion.consent import consent_current
from civlearn.learning.models import Enrolment, Mode, QuestionnaireResponse, TestAttempt, Unit
from civlearn.learning.reading.services import reading_ms_exact

logger = logging.getLogger(__name__)

SOURCE_KIND = "elearn"


@dataclass(frozen=True)
class Condition:
    key: str
    label: str
    met: bool
    detail: str


@dataclass(frozen=True)
class Progress:
    conditions: list[Condition]
    percent: int
    reading_ms: int
    required_ms: int

    @property
    def complete(self) -> bool:
        return all(condition.met for condition in self.conditions)


def _minutes(ms: int) -> str:
    return _("%(minutes)s 分鐘") % {"minutes": ms // 60_000}


def reading_detail(*, reading_ms: int, required_ms: int) -> str:
    """The reading condition's detail as the progress box shows it, e.g. 「1 分鐘 / 2 分鐘」 (whole minutes)."""
    return f"{_minutes(reading_ms)} / {_minutes(required_ms)}"


def progress_of(*, enrolment: Enrolment, units: list[Unit] | None = None) -> Progress:
    """Where the learner stands on each condition the course sets, and a completion percentage
    (the mean of the conditions, reading time counting by its fraction). `units`: the course's units, when the
    caller has read them already (the course and unit pages)."""
    course = enrolment.course
    if units is None:
        kinds = dict(Unit.objects.filter(course=course).values_list("pk", "kind"))
    else:
        kinds = {unit.pk: unit.kind for unit in units}
    test_units = {pk for pk, kind in kinds.items() if kind == Unit.TEST}
    questionnaire_units = {pk for pk, kind in kinds.items() if kind == Unit.QUESTIONNAIRE}

    # With Redis the database lags by up to one flush interval: flush this enrolment first.
    reading = reading_ms_exact(enrolment=enrolment)
    test_passed = questionnaire_answered = scorm_done = None
    if test_units:
        passed_units = set(
            TestAttempt.objects.filter(enrolment=enrolment, unit_id__in=test_units, passed=True).values_list(
                "unit_id", flat=True
            )
        )
        test_passed = passed_units >= test_units
    if questionnaire_units:
        answered = set(
            QuestionnaireResponse.objects.filter(enrolment=enrolment, unit_id__in=questionnaire_units).values_list(
                "unit_id", flat=True
            )
        )
        questionnaire_answered = answered >= questionnaire_units
    scorm_units = {pk for pk, kind in kinds.items() if kind == Unit.SCORM}
    if scorm_units:
        from civlearn.learning.scorm.tracking import scorm_units_done

        scorm_done = scorm_units_done(enrolment=enrolment, unit_ids=scorm_units)
    return progress_from(
        reading_ms=reading,
        required_ms=course.required_reading_ms,
        test_passed=test_passed,
        questionnaire_answered=questionnaire_answered,
        scorm_done=scorm_done,
    )


def progress_from(
    *,
    reading_ms: int,
    required_ms: int,
    test_passed: bool | None,
    questionnaire_answered: bool | None,
    scorm_done: bool | None,
) -> Progress:
    """The conditions and the percentage from what the learner has done; None: the course has no such unit.
    The one rule behind progress_of() and the dashboard's cards (which fetch the facts for all cards at once)."""
    conditions = [
        Condition(
            "reading",
            _("閱讀時數"),
            reading_ms >= required_ms,
            reading_detail(reading_ms=reading_ms, required_ms=required_ms),
        )
    ]
    fractions = [min(1.0, reading_ms / required_ms) if required_ms else 1.0]
    if test_passed is not None:
        conditions.append(Condition("test", _("測驗"), test_passed, _("已通過") if test_passed else _("尚未通過")))
        fractions.append(1.0 if test_passed else 0.0)
    if questionnaire_answered is not None:
        met = questionnaire_answered
        conditions.append(Condition("questionnaire", _("問卷"), met, _("已填寫") if met else _("尚未填寫")))
        fractions.append(1.0 if met else 0.0)
    if scorm_done is not None:
        conditions.append(Condition("scorm", _("SCORM 教材"), scorm_done, _("已完成") if scorm_done else _("尚未完成")))
        fractions.append(1.0 if scorm_done else 0.0)
    # Rounded half up, as people read a share (2 of 3 conditions is 67 %, not 66 %).
    percent = math.floor(100 * sum(fractions) / len(fractions) + 0.5)
    return Progress(conditions=conditions, percent=percent, reading_ms=reading_ms, required_ms=required_ms)


def completion_evaluate(*, enrolment: Enrolment) -> bool:
    """Complete the enrolment if every condition holds. Returns True only for the call that completed it.

    The completion is claimed with a conditional UPDATE, so two concurrent calls (a heartbeat and a test
    submission) cannot both issue a certificate."""
    from civlearn.learning.completion.certificates import certificate_issue

    with transaction.atomic():
        enrolment.refresh_from_db(fields=["reading_ms", "completed_at"])
        if enrolment.completed_at is not None:
            return False
        progress = progress_of(enrolment=enrolment)
        if not progress.complete:
            return False
        now = clock.now()
        if not Enrolment.objects.filter(pk=enrolment.pk, completed_at__isnull=True).update(completed_at=now):
            return False
        enrolment.completed_at = now
        certificate = certificate_issue(enrolment=enrolment)
        audit_record(
            actor=enrolment.user,
            action="learning.completed",
            subject=enrolment,
            changes={
                "completed_at": [None, now.isoformat()],
                "reading_ms": [None, enrolment.reading_ms],
                "certificate": [None, certificate.number],
            },
        )
        hours_post(enrolment=enrolment)
    return True


def _best_score(enrolment: Enrolment) -> str:
    scores = list(TestAttempt.objects.filter(enrolment=enrolment, passed=True).values_list("score", flat=True))
    return str(max(scores)) if scores else ""


def hours_post(*, enrolment: Enrolment) -> str:
    """Send a completed enrolment's certified hours to the portal's ledger, if the learner consented.

    Idempotent: the ledger keys entries on (source_kind, source_reference) and the reference is the enrolment.
    A failure to post never undoes the completion; the status says `failed` and `learning_post_hours` retries."""
    if enrolment.completed_at is None:
        raise ValueError(_("課程尚未完成，不能上傳時數"))
    consent = consent_current(user=enrolment.user)
    now = clock.now()
    if consent is None or not consent.share_hours:
        status = Enrolment.HOURS_NO_CONSENT
    elif enrolment.user.person_id is None:
        status = Enrolment.HOURS_FAILED
        logger.warning("enrolment %s: account has no registry person, hours not posted", enrolment.pk)
    else:
        try:
            with transaction.atomic():
                _ledger_record(enrolment)
                audit_record(
                    actor=enrolment.user,
                    action="learning.hours_posted",
                    subject=enrolment,
                    changes={"hours_status": [enrolment.hours_status, Enrolment.HOURS_POSTED]},
                )
            status = Enrolment.HOURS_POSTED
        except Exception:
            logger.exception("enrolment %s: posting hours to the ledger failed", enrolment.pk)
            status = Enrolment.HOURS_FAILED
    posted_at = now if status == Enrolment.HOURS_POSTED else None
    Enrolment.objects.filter(pk=enrolment.pk).update(hours_status=status, hours_posted_at=posted_at)
    enrolment.hours_status, enrolment.hours_posted_at = status, posted_at
    return status


def _ledger_record(enrolment: Enrolment) -> None:
    from civlearn.hours import services as hours_services

    course = enrolment.course
    hours = Decimal(course.certified_hours)
    digital = hours if course.mode in (Mode.DIGITAL, Mode.REMOTE) else Decimal(0)
    record = hours_services.LedgerRecord(
        source_kind=SOURCE_KIND,
        source_reference=f"enrolment:{enrolment.pk}",
        course_name=course.title,
        category_code=course.category_code,
        mode=course.mode,
        certified_hours=hours,
        digital_hours=digital,
        physical_hours=hours - digital,
        actual_start=enrolment.enrolled_at,
        actual_end=enrolment.completed_at,
        institution_code=course.provider_agency.code,
        course_code=course.code,
        course_start=course.class_start,
        course_end=course.class_end,
        score=_best_score(enrolment),
    )
    hours_services.ledger_entry_record(person=enrolment.user.person, record=record, actor=enrolment.user)


def hours_post_outstanding(*, user=None) -> int:
    """Post every completed enrolment not yet posted (after a consent is given, or to retry failures)."""
    pending = Enrolment.objects.filter(completed_at__isnull=False).exclude(hours_status=Enrolment.HOURS_POSTED)
    if user is not None:
        pending = pending.filter(user=user)
    posted = 0
    for enrolment in pending.select_related("course__provider_agency", "user__person"):
        with transaction.atomic():
            if hours_post(enrolment=enrolment) == Enrolment.HOURS_POSTED:
                posted += 1
    return posted
