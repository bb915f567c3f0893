"""Who the outbound hours batches (環境教育終身學習網, 全國教師在職進修資訊網) may carry: the learners' own choices,
which this app keeps. The batches themselves — what is due, the format, delivery, retries — are the hours exchange's
(civlearn/hours/outbound.py, docs/outbound-formats.md); this module gives it the audience and runs it."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

from civlearn.hours import outbound as hours_outbound
from civlearn.hours import selectors as hours_selectors
from civlearn.learning.models import MemberConsent, MemberProfile


def _consenting_user_ids() -> set[int]:
    """Learners whose latest decision agrees to sending hours on (the terms name both destinations)."""
    latest: dict[int, bool] = {}
    for user_id, share in MemberConsent.objects.order_by("user_id", "-decided_at", "-pk").values_list(
        "user_id", "share_hours"
    ):
        latest.setdefault(user_id, share)
    return {user_id for user_id, share in latest.items() if share}


def outbound_audience(selection: str) -> set[int]:
    """The registry persons whose completions may go to a destination of `selection`: learners who agreed to sending
    hours on, and for 全教網 only those who chose 「時數是否上傳全教網：是」 on 個人資料."""
    user_ids = _consenting_user_ids()
    if selection == hours_outbound.TEACHER:
        user_ids &= set(MemberProfile.objects.filter(teacher_network=True).values_list("user_id", flat=True))
    people = get_user_model().objects.filter(pk__in=user_ids, person__isnull=False)
    return set(people.values_list("person_id", flat=True))


def outbound_run() -> dict[str, dict[str, int]]:
    """Collect and deliver the outbound batches of every active destination (`manage.py learning_outbound`)."""
    return hours_outbound.outbound_run(audience=outbound_audience)


def last_uploads(*, user) -> list[tuple[str, dt.datetime | None]]:
    """(label, time of the latest delivered batch holding one of this learner's completions) per destination."""
    return hours_selectors.outbound_last_uploads(person_id=user.person_id)
