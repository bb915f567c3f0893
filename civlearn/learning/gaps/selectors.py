"""Suggested courses that close a learner's gaps (時數缺口), for the dashboard, the hours portal's 摘要 and the
reminder e-mail.

Which course counts toward which requirement is the hours summary's own rule (`hours.gaps.rules_counting_courses`
→ `hours.rules.counts_in`, with the code table in force today and its subtrees): a course is listed under a gap only
when the hours it posts on completion would count there. A course is suggested when it is published and open for
enrolment today, the learner's agency may enrol in it, and the learner has not completed it — unless it may be
certified again in a later year (`Course.recertifiable`) and was completed in an earlier one. A course the learner
is already taking is suggested too, marked to continue rather than to enrol.

Ranking under one gap: courses that close it on their own first; among those, the ones that close (then count
toward) more of the learner's gaps — one course closing two gaps ranks above two courses —, then the least reading
time still needed, then the fewest hours. The list under a gap holds at least `per_gap` courses and, when the
catalogue can, enough courses in that order to close it.

Physical classes (學習資訊中心) are not suggested yet: when the hours app offers them through a selector, they join
`_candidates` as further `Suggestion`s (kind "class") ranked by the same key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.db.models import Q

from civlearn.core import clock
from civlearn.hours import gaps as hours_gaps
from civlearn.learning.completion.consent import consent_current
from civlearn.learning.models import Course, Enrolment

ZERO = Decimal("0.0")
MAX_LISTED = 10


@dataclass(frozen=True)
class Suggestion:
    course_id: int
    code: str
    title: str
    hours: Decimal
    mode: int
    provider: str
    # Reading time still needed (minutes): the course's threshold less what the learner has read in it.
    reading_minutes: int
    # Keys of the learner's open gaps the course counts toward, and of those it closes on its own.
    counts_toward: tuple[str, ...]
    closes: tuple[str, ...]
    in_progress: bool = False
    kind: str = "course"


@dataclass(frozen=True)
class GapSuggestions:
    gap: hours_gaps.Gap
    suggestions: tuple[Suggestion, ...]

    @property
    def listed_hours(self) -> Decimal:
        return sum((s.hours for s in self.suggestions), ZERO)

    @property
    def enough(self) -> bool:
        """Whether completing every listed course closes the gap."""
        return self.listed_hours >= self.gap.missing


@dataclass(frozen=True)
class GapPanel:
    report: hours_gaps.GapReport | None
    items: tuple[GapSuggestions, ...] = field(default_factory=tuple)
    # False when completed courses would not reach the portal (no consent to share hours).
    shares_hours: bool = True

    @property
    def has_person(self) -> bool:
        return self.report is not None


def gap_panel(*, user, per_gap: int = 3, year: int | None = None) -> GapPanel:
    """The learner's gaps of `year` (this year by default) with suggested courses under each. An account with no
    registry person (人事資料) has no requirements to show: `report` is None."""
    person = getattr(user, "person", None)
    if person is None:
        return GapPanel(report=None)
    report = hours_gaps.person_gaps(person=person, year=year)
    consent = consent_current(user=user)
    shares = consent is None or consent.share_hours  # no decision yet: enrolment asks for it first
    open_gaps = report.gaps
    if not open_gaps:
        return GapPanel(report=report, shares_hours=shares)
    candidates = _candidates(user=user, person=person, year=report.year, gaps=open_gaps)
    items = []
    for gap in open_gaps:
        under = sorted((s for s in candidates if gap.key in s.counts_toward), key=partial(_rank, gap=gap))
        items.append(GapSuggestions(gap, tuple(_listed(under, gap.missing, per_gap))))
    return GapPanel(report=report, items=tuple(items), shares_hours=shares)


def _rank(s: Suggestion, *, gap: hours_gaps.Gap) -> tuple:
    return (gap.key not in s.closes, -len(s.closes), -len(s.counts_toward), s.reading_minutes, s.hours, s.code)


def _listed(ranked: list[Suggestion], missing: Decimal, per_gap: int) -> list[Suggestion]:
    """The first `per_gap` courses, extended in rank order until their hours close the gap (at most MAX_LISTED)."""
    listed: list[Suggestion] = []
    total = ZERO
    for suggestion in ranked:
        if len(listed) >= max(per_gap, 1) and total >= missing:
            break
        if len(listed) >= MAX_LISTED:
            break
        listed.append(suggestion)
        total += suggestion.hours
    return listed


def _candidates(*, user, person, year: int, gaps: tuple[hours_gaps.Gap, ...]) -> list[Suggestion]:
    today = clock.today()
    by_rule = {gap.rule_id: gap for gap in gaps}
    courses = Course.objects.filter(is_published=True).filter(
        Q(enrol_start__isnull=True) | Q(enrol_start__lte=today), Q(enrol_end__isnull=True) | Q(enrol_end__gte=today)
    )
    # Narrowed by code first (an index on category_code); rules_counting_courses below decides exactly.
    codes = hours_gaps.codes_counting(person=person, year=year, rule_ids=by_rule)
    if codes is not None:
        courses = courses.filter(category_code__in=codes)
    chain = hours_gaps.agency_chain(person.agency_id)
    allowed = Course.allowed_agencies.through.objects.filter(agency_id__in=chain).values("course_id")
    courses = courses.filter(Q(open_to_all=True) | Q(pk__in=allowed))
    rows = list(
        courses.order_by().values_list(
            "pk", "code", "title", "category_code", "mode", "certified_hours", "required_reading_minutes",
            "recertifiable", "provider_agency__name",
        )
    )  # fmt: skip
    if not rows:
        return []
    mine: dict[int, list[tuple[int, bool, int]]] = {}
    for course_id, enrol_year, completed_at, reading_ms in Enrolment.objects.filter(
        user=user, course_id__in=[row[0] for row in rows]
    ).values_list("course_id", "year", "completed_at", "reading_ms"):
        mine.setdefault(course_id, []).append((enrol_year, completed_at is not None, reading_ms))
    counting = hours_gaps.rules_counting_courses(
        person=person, year=year, courses=((row[0], row[3], row[4]) for row in rows)
    )
    found: list[Suggestion] = []
    for pk, code, title, _category, mode, hours, minutes, recertifiable, provider in rows:
        toward = [by_rule[rule_id] for rule_id in counting.get(pk, ()) if rule_id in by_rule]
        if not toward:
            continue
        state = _state(mine.get(pk, []), this_year=today.year, recertifiable=recertifiable)
        if state is None:
            continue
        in_progress, read_ms = state
        found.append(
            Suggestion(
                course_id=pk,
                code=code,
                title=title,
                hours=hours,
                mode=mode,
                provider=provider,
                reading_minutes=max(0, minutes - read_ms // 60_000),
                counts_toward=tuple(gap.key for gap in toward),
                closes=tuple(gap.key for gap in toward if hours >= gap.missing),
                in_progress=in_progress,
            )
        )
    return found


def _state(enrolments: list[tuple[int, bool, int]], *, this_year: int, recertifiable: bool) -> tuple[bool, int] | None:
    """(in progress, reading done in ms) for a course the learner may take now toward this year's hours; None when
    it cannot count again: completed this year, or completed before and not certifiable again. Mirrors
    catalogue.selectors.enrolment_refusal (a test holds them together)."""
    for year, completed, read in enrolments:
        if year == this_year:
            return None if completed else (True, read)
    if any(completed for _, completed, _ in enrolments) and not recertifiable:
        return None
    unfinished = [read for _, completed, read in enrolments if not completed]
    if unfinished:
        return True, max(unfinished)
    return False, 0
