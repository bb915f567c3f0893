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
import functools
import hashlib
import heapq
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.core.cache import cache
from django.db.models import Q

from civlearn.core import clock
from civlearn.hours import gaps as hours_gaps
from civlearn.learning.catalogue.selectors import CATALOGUE_FRAGMENT_SECONDS, catalogue_generation
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

    @property
    def fingerprint(self) -> str:
        """A digest of everything the panel's list of these suggestions shows (the gap's label, the suggestions,
        whether they are enough): the key of that list's cached fragment, which is then the same for every learner
        with the same list and changes with anything it shows. The reprs of these frozen dataclasses (strings,
        numbers, Decimals, dates, tuples) are the same in every process."""
        shown = (self.gap.key, self.gap.label, self.suggestions, self.enough)
        return hashlib.sha256(repr(shown).encode()).hexdigest()


@dataclass(frozen=True)
class GapPanel:
    report: hours_gaps.GapReport | None
    items: tuple[GapSuggestions, ...] = field(default_factory=tuple)
    # False when completed courses would not reach the portal (no consent to share hours).
    shares_hours: bool = True

    @property
    def has_person(self) -> bool:
        return self.report is not None


def gap_panel(
    *, user, per_gap: int = 3, year: int | None = None, enrolments: Iterable[Enrolment] | None = None
) -> GapPanel:
    """The learner's gaps of `year` (this year by default) with suggested courses under each. An account with no
    registry person (人事資料) has no requirements to show: `report` is None. `enrolments`: all the learner's
    enrolments, when the caller has read them already (個人專區), else read here."""
    person = getattr(user, "person", None)
    if person is None:
        return GapPanel(report=None)
    # The rule book (and its stamp in the shared cache) once for the whole panel, passed down.
    rulebook = hours_gaps.rulebook_current(agency_id=person.agency_id)
    report = hours_gaps.person_gaps(person=person, year=year, rulebook=rulebook[0])
    consent = consent_current(user=user)
    shares = consent is None or consent.share_hours  # no decision yet: enrolment asks for it first
    open_gaps = report.gaps
    if not open_gaps:
        return GapPanel(report=report, shares_hours=shares)
    mine: Iterable[tuple[int, int, dt.datetime | None, int]]
    if enrolments is None:
        mine = (
            Enrolment.objects.filter(user=user)
            .order_by()
            .values_list("course_id", "year", "completed_at", "reading_ms")
        )
    else:
        mine = [(e.course_id, e.year, e.completed_at, e.reading_ms) for e in enrolments]
    candidates = _candidates(person=person, year=report.year, gaps=open_gaps, enrolments=mine, rulebook=rulebook)
    candidates += _classes(person=person, report=report, gaps=open_gaps, rulebook=rulebook[0])
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


# How long one agency's list of open counting courses stays in the shared cache. Its key holds the catalogue's and
# the rule book's generation stamps and the day, so course and rule changes show at once; only an agency's rename
# reaches the provider names it holds as late as this (like the catalogue's own fragments).
OPEN_COURSES_SECONDS = CATALOGUE_FRAGMENT_SECONDS


@dataclass(frozen=True)
class OpenCourses:
    """An agency's open counting courses, grouped by what decides their rank apart from reading time: the rules
    they count toward and their hours. Each group's courses are in reading-time (then code) order, so a group's
    first few are its best under any gap; `by_id` finds a learner's own courses."""

    # ((rule ids, hours), courses): a course is (course id, code, title, provider, 學習性質, hours, reading minutes,
    # recertifiable).
    groups: tuple[tuple[tuple[frozenset, Decimal], tuple[tuple, ...]], ...]
    by_id: dict[int, tuple[int, tuple]]  # course id → (group index, course)


def open_courses_counting(
    *, agency_id: int | None, year: int, rulebook: tuple[hours_gaps.RuleBook, str] | None = None
) -> OpenCourses:
    """Every course open for enrolment today to staff of `agency_id` (open to all, or to the agency or a parent)
    whose hours would count toward some rule applying to them in `year`.

    Computed once per catalogue generation, rule book generation, day and year and kept in the shared cache: the
    courses open to all once per set of applicable rules (agencies without rules of their own share the national
    set), the courses restricted to some agencies once per agency that such a course is restricted to, itself or a
    parent (usually none: the others share the courses open to all without a key of their own). A panel then costs
    a cache read here instead of reading and matching the whole open catalogue. `rulebook`:
    `hours.gaps.rulebook_current()` when the caller has read it already."""
    today = clock.today()
    book, stamp = rulebook or hours_gaps.rulebook_current()
    catalogue = catalogue_generation()
    stamps = f"{catalogue}:{stamp}:{today.isoformat()}:{year}"
    rule_ids = ",".join(
        str(rule_id) for rule_id in hours_gaps.applicable_rule_ids(agency_id=agency_id, year=year, rulebook=book)
    )
    shared_key = f"learning:gaps:open-to-all:v1:{stamps}:{rule_ids}"
    restricting = _restricting_agencies(f"learning:gaps:restricting-agencies:v1:{catalogue}")
    if restricting.isdisjoint(hours_gaps.agency_chain(agency_id, rulebook=book)):
        return _open_to_all_under(shared_key, agency_id=agency_id, year=year, today=today)
    restricted_key = f"learning:gaps:open-restricted:v1:{stamps}:{agency_id}"
    if not _restricted_under(restricted_key, agency_id=agency_id, year=year, today=today):
        return _open_to_all_under(shared_key, agency_id=agency_id, year=year, today=today)
    return _with_restricted(restricted_key, shared_key, agency_id=agency_id, year=year, today=today)


# Every key names all its inputs (the stamps, the day, the rules or the agency), so a value never changes under its
# key: the recent ones are also kept in process, sparing the cache read and unpickling of hundreds of rows per panel.
def _cached(key: str) -> object:
    """The value under `key` in the shared cache; a missing one raises, so that it is not memoized (the caller
    computes and stores it)."""
    found = cache.get(key)
    if found is None:
        raise LookupError(key)
    return found


# The lists of courses open to all (hundreds of rows) apart from the small ones per agency (restricted courses, the
# set of agencies with some), so that many agencies do not push the large ones out.
_open_to_all_memo = functools.lru_cache(maxsize=16)(_cached)
_agency_memo = functools.lru_cache(maxsize=1024)(_cached)


def _restricting_agencies(key: str) -> frozenset[int]:
    """The agencies some course not open to all is restricted to (under the catalogue's generation stamp, which a
    course's allowed agencies changing renews)."""
    try:
        return _agency_memo(key)  # type: ignore[return-value]
    except LookupError:
        found = frozenset(
            Course.allowed_agencies.through.objects.filter(course__open_to_all=False)
            .order_by()
            .values_list("agency_id", flat=True)
            .distinct()
        )
        cache.set(key, found, OPEN_COURSES_SECONDS)
        return found


def _open_to_all_under(key: str, *, agency_id: int | None, year: int, today: dt.date) -> OpenCourses:
    """Keyed by the rules that apply (not the agency): every agency with the same rules shares the value, in the
    shared cache and in process."""
    try:
        return _open_to_all_memo(key)  # type: ignore[return-value]
    except LookupError:
        found = _grouped(_counting_rows(Q(open_to_all=True), agency_id=agency_id, year=year, today=today))
        cache.set(key, found, OPEN_COURSES_SECONDS)
        return found


def _restricted_under(key: str, *, agency_id: int | None, year: int, today: dt.date) -> tuple[tuple, ...]:
    try:
        return _agency_memo(key)  # type: ignore[return-value]
    except LookupError:
        allowed = Course.allowed_agencies.through.objects.filter(
            agency_id__in=hours_gaps.agency_chain(agency_id)
        ).values("course_id")
        found = tuple(_counting_rows(Q(open_to_all=False, pk__in=allowed), agency_id=agency_id, year=year, today=today))
        cache.set(key, found, OPEN_COURSES_SECONDS)
        return found


@functools.lru_cache(maxsize=64)
def _with_restricted(key: str, shared_key: str, *, agency_id: int | None, year: int, today: dt.date) -> OpenCourses:
    shared = _open_to_all_under(shared_key, agency_id=agency_id, year=year, today=today)
    restricted = _restricted_under(key, agency_id=agency_id, year=year, today=today)
    rows = [(*course, fit[0]) for fit, courses in shared.groups for course in courses] + list(restricted)
    rows.sort(key=lambda row: (row[6], row[1]))
    return _grouped(rows)


def _counting_rows(which: Q, *, agency_id: int | None, year: int, today: dt.date) -> list[tuple]:
    """(course id, code, title, provider, 學習性質, hours, reading minutes, recertifiable, rule ids) of the published
    courses matching `which`, open for enrolment `today`, that count toward some rule applying to staff of
    `agency_id` in `year`, in reading-time then code order (Python's: a database collation may order codes
    otherwise)."""
    rows = list(
        Course.objects.filter(which, is_published=True)
        .filter(Q(enrol_start__isnull=True) | Q(enrol_start__lte=today))
        .filter(Q(enrol_end__isnull=True) | Q(enrol_end__gte=today))
        .order_by()
        .values_list(
            "pk", "code", "title", "provider_agency__name", "category_code", "mode", "certified_hours",
            "required_reading_minutes", "recertifiable",
        )
    )  # fmt: skip
    rows.sort(key=lambda row: (row[7], row[1]))
    counting = hours_gaps.rules_counting_courses(
        agency_id=agency_id, year=year, courses=((row[0], row[4], row[5]) for row in rows), day=today
    )
    return [
        (pk, code, title, provider, mode, hours, minutes, recertifiable, counting[pk])
        for pk, code, title, provider, _category, mode, hours, minutes, recertifiable in rows
        if counting.get(pk)
    ]


def _grouped(rows: list[tuple]) -> OpenCourses:
    """OpenCourses of `_counting_rows` rows (in rank order already)."""
    grouped: dict[tuple[frozenset, Decimal], list[tuple]] = {}
    for *course, hits in rows:
        grouped.setdefault((hits, course[5]), []).append(tuple(course))
    groups = tuple((fit, tuple(courses)) for fit, courses in grouped.items())
    return OpenCourses(
        groups=groups,
        by_id={course[0]: (index, course) for index, (_, courses) in enumerate(groups) for course in courses},
    )


def _candidates(
    *,
    person,
    year: int,
    gaps: tuple[hours_gaps.Gap, ...],
    enrolments: Iterable[tuple[int, int, dt.datetime | None, int]],
    rulebook: tuple[hours_gaps.RuleBook, str],
) -> list[Suggestion]:
    """Courses that count toward any of `gaps`, at most MAX_LISTED per gap in rank order (no gap lists more): the
    agency's open counting courses (`open_courses_counting`, shared) filtered by the learner's own enrolments
    ((course id, year, completed at, reading ms) of all of them: a few dozen, by the user index, rather than an IN
    list of every candidate)."""
    catalogue = open_courses_counting(agency_id=person.agency_id, year=year, rulebook=rulebook)
    if not catalogue.groups:
        return []
    mine: dict[int, list[tuple[int, bool, int]]] = {}
    for course_id, enrol_year, completed_at, reading_ms in enrolments:
        mine.setdefault(course_id, []).append((enrol_year, completed_at is not None, reading_ms))
    # What a group's courses count toward and close among this learner's gaps: once per group.
    fits: list[tuple[tuple[str, ...], tuple[str, ...]] | None] = []
    for (hits, hours), _courses in catalogue.groups:
        toward = [gap for gap in gaps if gap.rule_id in hits]
        fits.append(
            (tuple(gap.key for gap in toward), tuple(gap.key for gap in toward if hours >= gap.missing))
            if toward
            else None
        )
    # The learner's own courses, one by one (reading already done, or not suggested again).
    this_year = clock.today().year
    own: list[tuple[int, tuple, int, bool]] = []  # (group index, course, reading left, in progress)
    for course_id, course_enrolments in mine.items():
        found = catalogue.by_id.get(course_id)
        if found is None or fits[found[0]] is None:
            continue
        index, course = found
        state = _state(course_enrolments, this_year=this_year, recertifiable=course[7])
        if state is not None:
            own.append((index, course, max(0, course[6] - state[1] // 60_000), state[0]))
    kept: dict[int, Suggestion] = {}
    for gap in gaps:
        # Rank tuples (`_rank`'s, then the course id, reading left, in progress, group): each group's stream is
        # already in rank order, so merging them yields the gap's best courses first.
        streams = []
        for index, fit in enumerate(fits):
            if fit is not None and gap.key in fit[0]:
                keys, closes = fit
                head = (gap.key not in closes, -len(closes), -len(keys))
                streams.append(_ranked(catalogue.groups[index][1], head=head, index=index, skip=mine))
        mine_ranked = []
        for index, course, left, in_progress in own:
            keys, closes = fits[index]  # type: ignore[misc]
            if gap.key in keys:
                head = (gap.key not in closes, -len(closes), -len(keys))
                mine_ranked.append((*head, left, course[5], "course", course[1], course[0], left, in_progress, index))
        streams.append(iter(sorted(mine_ranked)))
        for rank in itertools.islice(heapq.merge(*streams), MAX_LISTED):
            pk, left, in_progress, index = rank[-4:]
            course = catalogue.by_id[pk][1]
            keys, closes = fits[index]
            kept[pk] = Suggestion(
                course_id=pk, code=course[1], title=course[2], hours=course[5], mode=course[4], provider=course[3],
                reading_minutes=left, counts_toward=keys, closes=closes, in_progress=in_progress,
            )  # fmt: skip
    return list(kept.values())


def _ranked(courses: tuple[tuple, ...], *, head: tuple, index: int, skip: dict) -> Iterator[tuple]:
    """Rank tuples of a group's courses (in rank order already), leaving out the learner's own (`skip`)."""
    for course in courses:
        if course[0] not in skip:
            yield (*head, course[6], course[5], "course", course[1], course[0], course[6], False, index)


def _classes(
    *, person, report: hours_gaps.GapReport, gaps: tuple[hours_gaps.Gap, ...], rulebook: hours_gaps.RuleBook
) -> list[Suggestion]:
    """Physical classes of 學習資訊中心 (hours.gaps.classes_toward) ending by the person's deadline. Their sitting
    time (total hours) stands in for reading time in the ranking."""
    by_rule = {gap.rule_id: gap for gap in gaps}
    found = []
    for option in hours_gaps.classes_toward(
        person=person, year=report.year, rule_ids=by_rule, deadline=report.deadline.day, rulebook=rulebook
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
