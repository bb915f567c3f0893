"""Points (學習點) and levels (LV.n). The rules are in docs/points-and-levels.md; keep the two in step.

Points are computed from the learner's enrolments every time, never stored, so they cannot drift from the
record they come from: one point per full minute of credited reading time in each enrolment, plus
POINTS_PER_COMPLETION for each completed course."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache

from civlearn.core.generations import cache_forget
from civlearn.learning.models import Enrolment

POINTS_PER_COMPLETION = 20
# LEVEL_THRESHOLDS[n - 1] = the points at which LV.n starts.
LEVEL_THRESHOLDS = (0, 60, 150, 300, 500, 800, 1200, 1700, 2300, 3000)


@dataclass(frozen=True)
class Standing:
    points: int
    level: int
    next_level_at: int | None

    @property
    def to_next_level(self) -> int | None:
        return None if self.next_level_at is None else self.next_level_at - self.points


def level_for(points: int) -> int:
    level = 1
    for number, threshold in enumerate(LEVEL_THRESHOLDS, start=1):
        if points >= threshold:
            level = number
    return level


def points_for(*, reading_minutes_per_enrolment: list[int], completions: int) -> int:
    return sum(reading_minutes_per_enrolment) + POINTS_PER_COMPLETION * completions


def standing_from(rows) -> Standing:
    """Points and level from the learner's enrolments as (reading_ms, completed_at) pairs."""
    rows = list(rows)
    # Full minutes count per enrolment: the sum of floors, not the floor of the sum.
    minutes = [reading_ms // 60_000 for reading_ms, _ in rows]
    completions = sum(1 for _, completed_at in rows if completed_at is not None)
    points = points_for(reading_minutes_per_enrolment=minutes, completions=completions)
    level = level_for(points)
    next_at = LEVEL_THRESHOLDS[level] if level < len(LEVEL_THRESHOLDS) else None
    return Standing(points=points, level=level, next_level_at=next_at)


def standing_of(*, user) -> Standing:
    """The learner's points and level (one query)."""
    return standing_from(Enrolment.objects.filter(user=user).values_list("reading_ms", "completed_at"))


def badge_of(*, user) -> tuple[str, Standing]:
    """The header badge's nickname and standing in one query (it is on every learning page).

    Integer division of the integer column floors per row on both SQLite and PostgreSQL, so the sum is the sum
    of full minutes per enrolment, as in standing_of."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count, F, Q, Sum, Value

    row = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            minutes=Sum(F("enrolments__reading_ms") / Value(60_000)),
            completions=Count("enrolments", filter=Q(enrolments__completed_at__isnull=False)),
        )
        .values_list("learning_profile__nickname", "minutes", "completions")
        .first()
    )
    nickname, minutes, completions = row or ("", 0, 0)
    total = int(minutes or 0) + POINTS_PER_COMPLETION * completions
    level = level_for(total)
    next_at = LEVEL_THRESHOLDS[level] if level < len(LEVEL_THRESHOLDS) else None
    return nickname or "", Standing(points=total, level=level, next_level_at=next_at)


# The header's badge is on every e等公務園+ page; it is kept in the shared cache for BADGE_SECONDS. A completion, an
# enrolment added or removed and a nickname changed forget it at once (badge_forget, on their saves and deletes);
# credited reading minutes reach the enrolments in the reading flush's bulk updates, without signals, so the points
# they add show within BADGE_SECONDS (個人專區 itself computes the standing afresh).
BADGE_SECONDS = 60


def _badge_key(user_id: int) -> str:
    return f"learning:badge:{user_id}"


def badge_cached(*, user) -> tuple[str, Standing]:
    key = _badge_key(user.pk)
    badge = cache.get(key)
    if badge is None:
        badge = badge_of(user=user)
        cache.set(key, badge, BADGE_SECONDS)
    return badge


def badge_forget(sender, instance, **kwargs) -> None:
    """post_save / post_delete of an Enrolment or a MemberProfile: that learner's badge is computed afresh next."""
    cache_forget(_badge_key(instance.user_id))
