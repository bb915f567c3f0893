"""Writes of e等公務園+. Enrolment lives here; the other writes live in their own modules and are re-exported
so callers outside the app (views, commands, the demo seeder) find every write in one place."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civlearn.core import clock
from civlearn.core.services import audit_record
from civlearn.learning.assessment.services import (  # noqa: F401  (re-exported)
    AssessmentError,
    attempt_start,
    attempt_submit,
    questionnaire_submit,
)
from civlearn.learning.catalogue.selectors import enrolment_refusal
from civlearn.learning.completion.consent import consent_current, consent_record  # noqa: F401
from civlearn.learning.completion.services import completion_evaluate, hours_post, hours_post_outstanding  # noqa: F401
from civlearn.learning.models import Course, Enrolment
from civlearn.learning.reading.services import HeartbeatRefused, heartbeat_credit, reading_stream_open  # noqa: F401


class EnrolmentRefused(ValueError):
    """The reason is shown to the learner as is."""


def enrol(*, user, course: Course, ip_address: str | None = None) -> Enrolment:
    """報名: enrol the learner for this year, or raise EnrolmentRefused with the reason."""
    if consent_current(user=user) is None:
        raise EnrolmentRefused(_("請先閱讀並同意會員規範"))
    reason = enrolment_refusal(user=user, course=course)
    if reason:
        raise EnrolmentRefused(reason)
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(user=user, course=course, year=clock.today().year)
            audit_record(
                actor=user,
                action="learning.enrolled",
                subject=enrolment,
                changes={"course": [None, course.code]},
                ip_address=ip_address,
            )
    except IntegrityError as exc:
        # Another tab enrolled a moment earlier.
        raise EnrolmentRefused(_("您已報名本課程")) from exc
    return enrolment
