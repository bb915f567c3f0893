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

Physical classes of 學習資訊中心 join through `hours.gaps.classes_toward` (open for registration now, ending by the
person's deadline, eligible, not registered): a class adds to each gap only the hours of its portions (category codes)
that count there, and is ranked by the same key (its sitting time in place of reading time).
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass, field, replace
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
    # "course" (e等公務園+, `course_id`/`code`) or "class" (學習資訊中心, `course_id` is the ClassOffering id).
    kind: str = "course"
    # (gap key, hours it adds there): a course adds all its hours; a class only its portions that count there.
    toward_hours: tuple[tuple[str, Decimal], ...] = ()
    # Classes: who runs it and when.
    institution: str = ""
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None

    def hours_for(self, key: str) -> Decimal:
        return dict(self.toward_hours).get(key, self.hours if key in self.counts_toward else ZERO)


@dataclass(frozen=True)
class GapSuggestions:
    gap: hours_gaps.Gap
    suggestions: tuple[Suggestion, ...]

    @property
    def listed_hours(self) -> Decimal:
        return sum((s.hours_for(self.gap.key) for s in self.suggestions), ZERO)

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
    candidates += _classes(person=person, report=report, gaps=open_gaps)
    items = []
    for gap in open_gaps:
        under = sorted((s for s in candidates if gap.key in s.counts_toward), key=partial(_rank, gap=gap))
        items.append(GapSuggestions(gap, tuple(_listed(under, gap, per_gap))))
    return GapPanel(report=report, items=tuple(items), shares_hours=shares)


def _rank(s: Suggestion, *, gap: hours_gaps.Gap) -> tuple:
    return (gap.key not in s.closes, -len(s.closes), -len(s.counts_toward), s.reading_minutes, s.hours, s.kind, s.code)


def _listed(ranked: list[Suggestion], gap: hours_gaps.Gap, per_gap: int) -> list[Suggestion]:
    """The first `per_gap` suggestions, extended in rank order until their hours close the gap (at most
    MAX_LISTED)."""
    listed: list[Suggestion] = []
    total = ZERO
    for suggestion in ranked:
        if len(listed) >= max(per_gap, 1) and total >= gap.missing:
            break
        if len(listed) >= MAX_LISTED:
            break
        listed.append(suggestion)
        total += suggestion.hours_for(gap.key)
    return listed


def _candidates(*, user, person, year: int, gaps: tuple[hours_gaps.Gap, ...]) -> list[Suggestion]:
    """Courses that count toward any of `gaps`, at most MAX_LISTED per gap in rank order (no gap lists more).

    Two reads: the few columns the rules and the ranking need, of every course open to the person today (a catalogue
    holds a few thousand; sending the hundreds of codes that count as an IN list cost more than reading them all),
    then titles and providers of the courses that made some gap's list."""
    today = clock.today()
    chain = hours_gaps.agency_chain(person.agency_id)
    allowed = Course.allowed_agencies.through.objects.filter(agency_id__in=chain).values("course_id")
    rows = list(
        Course.objects.filter(is_published=True)
        .filter(Q(enrol_start__isnull=True) | Q(enrol_start__lte=today))
        .filter(Q(enrol_end__isnull=True) | Q(enrol_end__gte=today))
        .filter(Q(open_to_all=True) | Q(pk__in=allowed))
        .order_by()
        .values_list(
            "pk", "code", "category_code", "mode", "certified_hours", "required_reading_minutes", "recertifiable"
        )
    )  # fmt: skip
    if not rows:
        return []
    mine: dict[int, list[tuple[int, bool, int]]] = {}
    # All the learner's enrolments (a few dozen, by the user index) rather than an IN list of every candidate.
    for course_id, enrol_year, completed_at, reading_ms in (
        Enrolment.objects.filter(user=user).order_by().values_list("course_id", "year", "completed_at", "reading_ms")
    ):
        mine.setdefault(course_id, []).append((enrol_year, completed_at is not None, reading_ms))
    counting = hours_gaps.rules_counting_courses(
        person=person, year=year, courses=((row[0], row[2], row[3]) for row in rows)
    )
    # Plain tuples for the hundreds of courses that count somewhere; Suggestions only for those that make a list.
    # (rank key without the gap's own term, course id, hours, mode, reading left, in progress, counts, closes)
    drafts = []
    this_year = today.year
    for pk, code, _category, mode, hours, minutes, recertifiable in rows:
        hits = counting.get(pk)
        if not hits:
            continue
        toward = [gap for gap in gaps if gap.rule_id in hits]
        if not toward:
            continue
        enrolments = mine.get(pk)
        state = _state(enrolments, this_year=this_year, recertifiable=recertifiable) if enrolments else (False, 0)
        if state is None:
            continue
        left = max(0, minutes - state[1] // 60_000)
        keys = tuple(gap.key for gap in toward)
        closes = tuple(gap.key for gap in toward if hours >= gap.missing)
        drafts.append(
            ((-len(closes), -len(keys), left, hours, "course", code), pk, hours, mode, left, state[0], keys, closes)
        )
    kept: dict[int, Suggestion] = {}
    for gap in gaps:
        under = (d for d in drafts if gap.key in d[6])
        for d in heapq.nsmallest(MAX_LISTED, under, key=partial(_draft_rank, key=gap.key)):
            _rank_key, pk, hours, mode, left, in_progress, keys, closes = d
            kept[pk] = Suggestion(
                course_id=pk, code=_rank_key[-1], title="", hours=hours, mode=mode, provider="",
                reading_minutes=left, counts_toward=keys, closes=closes, in_progress=in_progress,
            )  # fmt: skip
    names = {
        pk: (title, provider)
        for pk, title, provider in Course.objects.filter(pk__in=kept).values_list(
            "pk", "title", "provider_agency__name"
        )
    }
    return [replace(s, title=names[pk][0], provider=names[pk][1]) for pk, s in kept.items()]


def _draft_rank(draft: tuple, *, key: str) -> tuple:
    """`_rank` of a draft tuple of `_candidates` under the gap `key`."""
    return (key not in draft[7], *draft[0])


def _classes(*, person, report: hours_gaps.GapReport, gaps: tuple[hours_gaps.Gap, ...]) -> list[Suggestion]:
    """Physical classes of 學習資訊中心 (hours.gaps.classes_toward) ending by the person's deadline. Their sitting
    time (total hours) stands in for reading time in the ranking."""
    by_rule = {gap.rule_id: gap for gap in gaps}
    found = []
    for option in hours_gaps.classes_toward(
        person=person, year=report.year, rule_ids=by_rule, deadline=report.deadline.day
    ):
        toward = [(by_rule[rule_id], hours) for rule_id, hours in option.toward.items() if rule_id in by_rule]
        toward.sort(key=lambda pair: gaps.index(pair[0]))
        found.append(
            Suggestion(
                course_id=option.offering_id,
                code=f"class-{option.offering_id}",
                title=f"{option.title}（{option.period}）",
                hours=option.hours,
                mode=option.mode,
                provider=option.institution,
                reading_minutes=int(option.hours * 60),
                counts_toward=tuple(gap.key for gap, _ in toward),
                closes=tuple(gap.key for gap, hours in toward if hours >= gap.missing),
                kind="class",
                toward_hours=tuple((gap.key, hours) for gap, hours in toward),
                institution=option.institution,
                starts_on=option.starts_on,
                ends_on=option.ends_on,
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
