"""學習紀錄: 登入資訊, 課程資訊, 最後上傳時間 and 歷史紀錄 of one learner. Reads only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max
from django.utils.translation import gettext as _

from civlearn.core import clock
from civlearn.hours import selectors as hours_selectors
from civlearn.identity import selectors as identity_selectors
from civlearn.learning.completion.outbound import last_uploads
from civlearn.learning.home.dashboard import CourseCard, course_cards
from civlearn.learning.home.profile import profile_get_or_create
from civlearn.learning.models import Enrolment


@dataclass(frozen=True)
class Upload:
    label: str
    at: dt.datetime | None


@dataclass(frozen=True)
class Records:
    platform_id: str
    signin_count: int
    previous_at: dt.datetime | None
    previous_ip: str | None
    hours_this_year: Decimal | None
    unfinished: int
    questionnaires_to_fill: int
    tests_to_take: int
    uploads: list[Upload]
    history: list[CourseCard]


def last_portal_upload(*, user) -> dt.datetime | None:
    """終身學習時數最後上傳時間: when this learner's latest elearn ledger entry was written (the completion
    stamps hours_posted_at in the same step as it writes the entry)."""
    return Enrolment.objects.filter(user=user, hours_status=Enrolment.HOURS_POSTED).aggregate(
        at=Max("hours_posted_at")
    )["at"]


def records_of(*, user) -> Records:
    profile = profile_get_or_create(user=user)
    info = identity_selectors.signin_info(user)
    person = getattr(user, "person", None)
    hours = None
    if person is not None:
        hours = hours_selectors.year_summary(person=person, year=clock.today().year).total_hours
    cards = course_cards(user=user)
    unfinished = [c for c in cards if c.enrolment.completed_at is None]
    uploads = [Upload(_("終身學習時數最後上傳時間"), last_portal_upload(user=user))]
    uploads += [Upload(label, at) for label, at in last_uploads(user=user)]
    return Records(
        platform_id=profile.platform_id,
        signin_count=info.count,
        previous_at=info.previous_at,
        previous_ip=info.previous_ip,
        hours_this_year=hours,
        unfinished=len(unfinished),
        questionnaires_to_fill=sum(1 for c in unfinished if c.has_questionnaire and not c.questionnaire_done),
        tests_to_take=sum(1 for c in unfinished if c.has_test and not c.test_passed),
        uploads=uploads,
        history=sorted(
            (c for c in cards if c.enrolment.completed_at is not None),
            key=lambda c: c.enrolment.completed_at,
            reverse=True,
        ),
    )
