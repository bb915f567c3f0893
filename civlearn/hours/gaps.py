"""Gaps: what each person still lacks this year, by when, and the HR office's list of staff at risk.

Reads only. The hours that count are the summary's (`selectors.year_summary`, `hr.agency_report`), both built on
`rules.counts_in`; this module adds the deadline and the ordering, never a second reading of which code counts where.

Deadlines (docs/gaps.md):
- A person's deadline is the cutoff their agency set for the year and their staff category (編制內 / 編制外), else the
  cutoff it set for all its staff, else the nearest parent agency's, else 31 December.
- The staff category comes from 人事資料庫人員區分: a category naming a contract post (`HOURS_CONTRACT_CATEGORY_WORDS`,
  e.g. `12-約聘僱人員`) is 編制外, every other one 編制內.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied

from civlearn.core import clock
from civlearn.hours import hr, rules, selectors
from civlearn.hours.models import AgencyGapPolicy, StaffKind
from civlearn.registry.models import Agency, Person

ZERO = Decimal("0.0")
# The rule book as the learning side sees it, to pass it down (`rulebook_current`).
RuleBook = rules.RuleBook
DEFAULT_CONTRACT_WORDS = ("約聘", "約僱", "聘用", "聘僱", "臨時", "派遣", "編制外")


def staff_kind_of(personnel_category: str) -> str:
    """StaffKind.CONTRACT for a contract post's 人員區分, else StaffKind.PERMANENT."""
    words = getattr(settings, "HOURS_CONTRACT_CATEGORY_WORDS", DEFAULT_CONTRACT_WORDS)
    return StaffKind.CONTRACT if any(word in (personnel_category or "") for word in words) else StaffKind.PERMANENT


@dataclass(frozen=True)
class Deadline:
    day: dt.date
    staff_kind: str
    # The agency whose cutoff applies; None when it is the year's end.
    agency_name: str | None = None

    @property
    def is_year_end(self) -> bool:
        return self.agency_name is None

    @property
    def staff_kind_label(self) -> str:
        return StaffKind(self.staff_kind).label

    def days_left(self, today: dt.date) -> int:
        return (self.day - today).days


Cutoffs = dict[tuple[int, str], dt.date]


def cutoffs_of_year(*, year: int, agency_ids: Iterable[int], rulebook: rules.RuleBook | None = None) -> Cutoffs:
    """(agency id, staff kind) → cutoff for these agencies and their parents (from the rule book: no query)."""
    book = rulebook or rules.book()
    found: Cutoffs = {}
    for chain_id in {found_id for agency_id in agency_ids for found_id in book.agency_chain(agency_id)}:
        for kind in StaffKind.values:
            day = book.cutoffs.get((year, chain_id, kind))
            if day is not None:
                found[(chain_id, kind)] = day
    return found


def deadline_from(
    *,
    year: int,
    agency_id: int | None,
    personnel_category: str,
    cutoffs: Cutoffs,
    names: dict[int, str],
    rulebook: rules.RuleBook | None = None,
) -> Deadline:
    """The deadline rule above, from cutoffs already read (and the rule book, for lists of many people)."""
    kind = staff_kind_of(personnel_category)
    for chain_id in (rulebook or rules.book()).agency_chain(agency_id):
        for wanted in (kind, StaffKind.ALL):
            day = cutoffs.get((chain_id, wanted))
            if day is not None:
                return Deadline(day, kind, names.get(chain_id, ""))
    return Deadline(dt.date(year, 12, 31), kind)


def deadline_of(*, person: Person, year: int, rulebook: rules.RuleBook | None = None) -> Deadline:
    book = rulebook or rules.book()
    return deadline_from(
        year=year,
        agency_id=person.agency_id,
        personnel_category=person.personnel_category,
        cutoffs=cutoffs_of_year(year=year, agency_ids=[person.agency_id], rulebook=book),
        names=book.cutoff_agency_names,
        rulebook=book,
    )


@dataclass(frozen=True)
class Gap:
    """One requirement that applies to the person: hours done, required, missing (0 when met)."""

    rule_id: int
    key: str
    label: str
    done: Decimal
    required: Decimal
    missing: Decimal
    depth: int
    agency_code: str

    @property
    def met(self) -> bool:
        return self.missing <= 0


@dataclass(frozen=True)
class GapReport:
    person_id: int
    year: int
    today: dt.date
    deadline: Deadline
    requirements: tuple[Gap, ...]

    @property
    def gaps(self) -> tuple[Gap, ...]:
        return tuple(gap for gap in self.requirements if not gap.met)

    @property
    def days_left(self) -> int:
        return self.deadline.days_left(self.today)

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def size(self) -> Decimal:
        return Decimal(least_hours_needed([(gap.depth, gap.missing) for gap in self.requirements]))


def least_hours_needed(rows: Sequence[tuple[int, Decimal | int]]) -> Decimal | int:
    """At least how many more hours close every gap, from (depth, missing) in the rule book's order (a parent,
    then its components). A parent counts its components' hours, so a parent needs max(its own gap, the sum of its
    components' needs); separate trees may share hours (an agency's 'all courses' rule counts every hour), so the
    whole is the largest tree's need: a lower bound, what the HR list sorts by."""
    # Bottom-up over the rows in reverse: a row's descendants come right after it, so they are the unresolved needs
    # on top of the stack, deeper than it, when it is reached.
    stack: list[tuple[int, Decimal | int]] = []
    for depth, own in reversed(rows):
        children: Decimal | int = ZERO
        while stack and stack[-1][0] > depth:
            children += stack.pop()[1]
        stack.append((depth, max(own, children)))
    return max((need for _, need in stack), default=ZERO)


def person_gaps(*, person: Person, year: int | None = None, rulebook: rules.RuleBook | None = None) -> GapReport:
    """Every requirement that applies to `person` in `year` (this year by default): national rules and their
    agency's (with parents'), with the deadline that applies to them. Two indexed queries plus the rule book
    (`rulebook`, when the caller has read it already: `rulebook_current`)."""
    today = clock.today()
    year = year or today.year
    summary = selectors.year_summary(person=person, year=year)
    requirements = tuple(
        Gap(
            rule_id=row.rule_id or 0,
            key=row.key,
            label=row.label,
            done=row.hours,
            required=row.minimum or ZERO,
            missing=row.missing or ZERO,
            depth=row.depth,
            agency_code=row.agency_code,
        )
        for row in summary.requirements
    )
    return GapReport(person.pk, year, today, deadline_of(person=person, year=year, rulebook=rulebook), requirements)


def rules_counting_courses(
    *,
    agency_id: int | None,
    year: int,
    courses: Iterable[tuple[object, str, int]],
    day: dt.date | None = None,
    rulebook: rules.RuleBook | None = None,
) -> dict[object, frozenset[int]]:
    """For (key, category code, 學習性質) of courses completed on `day` (today by default): the ids of the rules
    applying in `year` to staff of `agency_id` that their hours would count toward (`rules.counts_in`, with the code
    table in force on that day, whose subtrees the rule book already expanded). A code absent from the table counts
    nowhere."""
    book = rulebook or rules.book()
    table = book.table_for(day or clock.today())
    if table is None:
        return {}
    applicable = book.rules_for(year=year, agency_id=agency_id)
    found: dict[object, frozenset[int]] = {}
    memo: dict[tuple[str, int], frozenset[int]] = {}
    for key, code, mode in courses:
        hits = memo.get((code, mode))
        if hits is None:
            hits = memo[(code, mode)] = (
                rules.rules_counting(rulebook=book, rules=applicable, table_id=table[0], code=code, mode=mode)
                if book.has_code(table[0], code)
                else frozenset()
            )
        found[key] = hits
    return found


def applicable_rule_ids(*, agency_id: int | None, year: int, rulebook: rules.RuleBook | None = None) -> tuple[int, ...]:
    """The ids of the rules applying in `year` to staff of `agency_id` (national ones and their agencies'): what
    decides where a course's hours count for them."""
    return tuple(rule.id for rule in (rulebook or rules.book()).rules_for(year=year, agency_id=agency_id))


def rulebook_stamp() -> str:
    """The rule book's generation stamp (rules, code tables, cutoffs, agencies): changes in every process when any
    of them does, so a value derived from the book can be cached in the shared cache under it."""
    return rules.current()[1]


def rulebook_current(*, agency_id: int | None = None) -> tuple[rules.RuleBook, str]:
    """The rule book and its stamp (`rulebook_stamp`) read together: a caller that needs both several times in
    one request (the gap panel) reads the shared cache's stamp once and passes the book down (`rulebook=`).
    Rebuilt first when it does not know `agency_id` (an agency created since it was built: `rules.current_for`)."""
    return rules.current_for(agency_id)


def agency_chain(agency_id: int | None, rulebook: rules.RuleBook | None = None) -> list[int]:
    """The agency and its parents, nearest first (for eligibility by agency)."""
    return (rulebook or rules.book()).agency_chain(agency_id)


def reminder_days_of(*, agency_id: int) -> int:
    """N: how many days before a deadline an agency's staff are reminded (the nearest agency up the tree that set
    it, else AgencyGapPolicy.DEFAULT_REMINDER_DAYS)."""
    chain = agency_chain(agency_id)
    found = dict(AgencyGapPolicy.objects.filter(agency_id__in=chain).values_list("agency_id", "reminder_days"))
    for chain_id in chain:
        if chain_id in found:
            return found[chain_id]
    return AgencyGapPolicy.DEFAULT_REMINDER_DAYS


# --- the HR office's list of staff at risk -------------------------------------------------------------------


# Not frozen: thousands are built per list, and a frozen dataclass's __init__ costs several times more.
@dataclass(slots=True)
class RiskRow:
    person_id: int
    name: str
    masked_id: str
    agency_code: str
    agency_name: str
    email: str
    deadline: Deadline
    days_left: int
    size: Decimal
    # (label, hours missing in tenths) of every unmet requirement, in the rule book's order.
    shorts: tuple[tuple[str, int], ...]

    @property
    def gaps(self) -> tuple[tuple[str, Decimal], ...]:
        """(label, hours missing) of every unmet requirement, in the rule book's order (for the rows shown)."""
        return tuple((label, hr.tenths_to_hours(short)) for label, short in self.shorts)

    @property
    def overdue_days(self) -> int:
        return max(0, -self.days_left)

    @property
    def per_day(self) -> Decimal:
        """Hours a day still needed: the risk the list is sorted by (past the deadline, the whole gap)."""
        return (self.size / max(self.days_left, 1)).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class RiskList:
    year: int
    today: dt.date
    staff: int
    rows: list[RiskRow]

    @property
    def missing_total(self) -> Decimal:
        return sum((row.size for row in self.rows), ZERO)


def at_risk(*, user, year: int | None = None, agency: Agency | None = None) -> RiskList:
    """Active staff of the user's agencies (or of `agency` and its managed sub-agencies) who still have a gap,
    riskiest first: most hours a day still needed, then fewest days left, then name. Raises PermissionDenied
    outside the user's reach (hr.scope_ids). Built on hr.agency_report: four queries plus the rule book."""
    year = year or clock.today().year
    return risk_list(report=hr.agency_report(user=user, year=year, agency=agency))


def at_risk_of_agencies(*, agency_ids: set[int], year: int) -> RiskList:
    """`at_risk` for agencies already in the caller's reach (the weekly digest, sent to the agency's own office)."""
    return risk_list(report=hr.report_for_agencies(agency_ids=agency_ids, year=year))


def risk_list(*, report: hr.Report) -> RiskList:
    """The rows of `report` that still have a gap, with deadlines and sizes, riskiest first."""
    today = clock.today()
    year = report.year
    agency_ids = {row.agency_id for row in report.rows}
    cutoffs = cutoffs_of_year(year=year, agency_ids=agency_ids)
    book = rules.book()
    names = book.cutoff_agency_names
    columns = report.columns
    deadlines: dict[tuple[int, str], Deadline] = {}
    # Per set of minimums (one per agency's rules): the columns that apply, with their depths.
    applying: dict[tuple, list[tuple[int, int, int]]] = {}
    rows: list[RiskRow] = []
    # Integer tenths straight from the report's sums (thousands of rows: no Cell or Decimal per cell until needed).
    for row in report.rows:
        sums, minimums = row.sums, row.minimums
        plan = applying.get(minimums)
        if plan is None:
            plan = applying[minimums] = [
                (index, minimum, columns[index].depth) for index, minimum in enumerate(minimums) if minimum is not None
            ]
        shorts = [(index, depth, minimum - sums[index]) for index, minimum, depth in plan]
        if not shorts or max(short for _, _, short in shorts) <= 0:
            continue
        key = (row.agency_id, row.personnel_category)
        deadline = deadlines.get(key)
        if deadline is None:
            deadline = deadlines[key] = deadline_from(
                year=year,
                agency_id=row.agency_id,
                personnel_category=row.personnel_category,
                cutoffs=cutoffs,
                names=names,
                rulebook=book,
            )
        size = least_hours_needed([(depth, short if short > 0 else 0) for _, depth, short in shorts])
        rows.append(
            RiskRow(
                person_id=row.person_id,
                name=row.name,
                masked_id=row.masked_id,
                agency_code=row.agency_code,
                agency_name=row.agency_name,
                email=row.email,
                deadline=deadline,
                days_left=deadline.days_left(today),
                size=hr.tenths_to_hours(int(size)),
                shorts=tuple((columns[index].label, short) for index, _, short in shorts if short > 0),
            )
        )
    rows.sort(key=lambda r: (-r.per_day, r.days_left, r.name, r.person_id))
    return RiskList(year=year, today=today, staff=len(report.rows), rows=rows)


def ensure_hr(user) -> None:
    if not user.is_superuser and not hr.managed_ids(user):
        raise PermissionDenied("您沒有機關人事管理的權限")


# --- physical classes (學習資訊中心) that close a gap ----------------------------------------------------------


@dataclass(frozen=True)
class ClassOption:
    """An open class the person may register for, with the hours it would add to each of the asked rules."""

    offering_id: int
    title: str
    period: str
    institution: str
    starts_on: dt.date
    ends_on: dt.date
    hours: Decimal
    mode: int
    # rule id → hours of the class's portions that count toward it (rules.counts_in, portion by portion).
    toward: dict[int, Decimal]


# The soonest-starting classes open for registration that one panel considers (a training calendar has far fewer
# open at once).
MAX_OPEN_CLASSES = 500


def classes_toward(
    *,
    person: Person,
    year: int,
    rule_ids: Iterable[int],
    deadline: dt.date,
    rulebook: rules.RuleBook | None = None,
) -> list[ClassOption]:
    """Published classes open for registration now, ending by `deadline` (their hours are credited when they end),
    with seats or a waiting list, that `person` may register for (classes.registration.eligibility_problem) and is
    not already registered for, whose portions count toward any of `rule_ids`. A handful of queries."""
    from django.db.models import F, Q, prefetch_related_objects

    from civlearn.hours.classes.registration import eligibility_problem
    from civlearn.hours.models import ClassOffering, ClassPortion, Registration

    wanted = set(rule_ids)
    if not wanted:
        return []
    book = rulebook or rules.book()
    applicable = [rule for rule in book.rules_for(year=year, agency_id=person.agency_id) if rule.id in wanted]
    now = clock.now()
    # Which portions count is matched here with rules.counts_in, not in SQL: an IN list of every code of the wanted
    # rules cost the gap panel more to build than reading the few classes open at any one time. The first query is
    # kept plain (usually no class is open, and then it is the only one).
    open_now = list(
        ClassOffering.objects.filter(
            status=ClassOffering.PUBLISHED,
            registration_opens__lte=now,
            registration_closes__gte=now,
            ends_on__lte=deadline,
        )
        .filter(Q(seats_taken__lt=F("capacity")) | Q(waitlist_limit__gt=0))
        .order_by("starts_on", "id")[:MAX_OPEN_CLASSES]
    )
    if open_now:
        registered = set(
            Registration.objects.filter(
                offering_id__in=[o.pk for o in open_now], person_id=person.pk, status__in=Registration.ACTIVE
            ).values_list("offering_id", flat=True)
        )
        open_now = [offering for offering in open_now if offering.pk not in registered]
    if not open_now:
        return []
    portions: dict[int, list[tuple[int, str, Decimal]]] = {}
    for offering_id, table_id, code, digital, physical in ClassPortion.objects.filter(
        offering_id__in=[o.pk for o in open_now]
    ).values_list("offering_id", "category_table_id", "category_code", "digital_hours", "physical_hours"):
        portions.setdefault(offering_id, []).append((table_id, code, digital + physical))
    towards: dict[int, dict[int, Decimal]] = {}
    for offering in open_now:
        toward: dict[int, Decimal] = {}
        for table_id, code, hours in portions.get(offering.pk, []):
            for rule_id in rules.rules_counting(
                rulebook=book, rules=applicable, table_id=table_id, code=code, mode=offering.mode
            ):
                toward[rule_id] = toward.get(rule_id, ZERO) + hours
        if toward:
            towards[offering.pk] = toward
    chosen = [offering for offering in open_now if offering.pk in towards][:200]
    prefetch_related_objects(chosen, "agencies", "institution")
    found = []
    for offering in chosen:
        if not eligibility_problem(offering=offering, person=person):
            toward = towards[offering.pk]
            found.append(
                ClassOption(
                    offering_id=offering.pk,
                    title=offering.title,
                    period=offering.period,
                    institution=offering.institution.name,
                    starts_on=offering.starts_on,
                    ends_on=offering.ends_on,
                    hours=offering.total_hours,
                    mode=offering.mode,
                    toward=toward,
                )
            )
    return found
