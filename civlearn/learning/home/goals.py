"""學習目標: weekly, monthly and yearly goals as "x / y 小時" of credited hours.

Credited hours = the certified hours (認證時數) of courses completed within the period, counted in local time
(Asia/Taipei); a week starts on Monday. Reading time is not split by period (an enrolment keeps one running
total), so a course counts in full in the period where it was completed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civlearn.core import clock
from civlearn.core.services import audit_record
from civlearn.learning.models import Enrolment, LearningGoal

MAX_GOAL_HOURS = {
    LearningGoal.WEEK: Decimal("168"),
    LearningGoal.MONTH: Decimal("744"),
    LearningGoal.YEAR: Decimal("8784"),
}


class GoalError(ValueError):
    """The message names the field and is shown as is."""


@dataclass(frozen=True)
class GoalProgress:
    period: str
    label: str
    done: Decimal
    target: Decimal | None

    @property
    def met(self) -> bool:
        return self.target is not None and self.done >= self.target

    @property
    def percent(self) -> int:
        if not self.target:
            return 0
        return min(100, int(self.done * 100 / self.target))


def period_bounds(period: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """[first day, day after the last) of the week (Monday first), month or year containing `today`."""
    if period == LearningGoal.WEEK:
        start = today - dt.timedelta(days=today.weekday())
        return start, start + dt.timedelta(days=7)
    if period == LearningGoal.MONTH:
        start = today.replace(day=1)
        following = (start + dt.timedelta(days=32)).replace(day=1)
        return start, following
    if period == LearningGoal.YEAR:
        return today.replace(month=1, day=1), today.replace(year=today.year + 1, month=1, day=1)
    raise ValueError(period)


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())


def completed_hours(*, user) -> list[tuple[dt.datetime, Decimal]]:
    """(completed at, certified hours) of each course the learner completed: what the goals count."""
    return list(
        Enrolment.objects.filter(user=user, completed_at__isnull=False).values_list(
            "completed_at", "course__certified_hours"
        )
    )


def goals_progress(*, user, completed: list[tuple[dt.datetime, Decimal]] | None = None) -> list[GoalProgress]:
    """Per period (week, month, year): the certified hours of the courses the learner completed from the period's
    local first day up to (not including) the day after its last, and the learner's goal. `completed` is
    completed_hours(user=user) when the caller has read it already (個人專區 reads the enrolments once)."""
    today = clock.today()
    targets = dict(LearningGoal.objects.filter(user=user).values_list("period", "hours"))
    rows = completed_hours(user=user) if completed is None else completed
    result = []
    for period, label in LearningGoal.PERIOD_CHOICES:
        start, end = (_local_midnight(day) for day in period_bounds(period, today))
        done = sum((Decimal(hours) for at, hours in rows if start <= at < end), Decimal(0))
        result.append(GoalProgress(period, label, done, targets.get(period)))
    return result


def parse_goal_hours(text: str, *, label: str) -> Decimal | None:
    """A goal typed by the learner: empty = no goal; otherwise 0.5 or more, in steps of 0.1."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise GoalError(_("%(label)s：請輸入數字（小時）") % {"label": label}) from exc
    if not value.is_finite() or value < Decimal("0.5"):
        raise GoalError(_("%(label)s：至少 0.5 小時") % {"label": label})
    if value != value.quantize(Decimal("0.1")):
        raise GoalError(_("%(label)s：最多一位小數") % {"label": label})
    return value


def goals_set(*, user, actor, goals: dict[str, Decimal | None]) -> None:
    """Set (or, with None, remove) the learner's goals, all or nothing; audited with old and new values."""
    if actor.pk != user.pk:
        raise GoalError(_("只能設定自己的學習目標"))
    labels = dict(LearningGoal.PERIOD_CHOICES)
    for period, hours in goals.items():
        if period not in labels:
            raise GoalError(_("未知的目標期間：%(period)s") % {"period": period})
        if hours is not None and hours > MAX_GOAL_HOURS[period]:
            raise GoalError(
                _("%(label)s：不可超過 %(max)s 小時") % {"label": labels[period], "max": MAX_GOAL_HOURS[period]}
            )
    with transaction.atomic():
        current = {goal.period: goal for goal in LearningGoal.objects.select_for_update().filter(user=user)}
        changes = {}
        for period, hours in goals.items():
            old = current.get(period)
            old_hours = old.hours if old else None
            if old_hours == hours:
                continue
            if hours is None:
                old.delete()
            elif old is None:
                LearningGoal.objects.create(user=user, period=period, hours=hours)
            else:
                LearningGoal.objects.filter(pk=old.pk).update(hours=hours)
            changes[period] = [str(old_hours) if old_hours is not None else None, str(hours) if hours else None]
        if changes:
            audit_record(actor=actor, action="learning.goals_set", subject=user, changes=changes)
