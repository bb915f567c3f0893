"""What an agency's HR office (人事室) sees: its staff's hours of a year against each requirement, set-based.

`year_summary` (selectors.py) computes one person's whole summary; a report for thousands of staff instead asks
the database for one grouped sum per (person, code table, code, mode) and adds those up against each requirement
with the same rule book, so the figures agree with the learner's own page (a test checks that).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Max, QuerySet, Sum

from civlearn.core import clock
from civlearn.core.national_id import mask
from civlearn.hours import rules
from civlearn.hours.models import LedgerEntry, ReminderRecord, RequirementRule
from civlearn.identity.models import AgencyRole, User
from civlearn.identity.selectors import agencies_managed_by
from civlearn.registry.models import Agency, Person

ZERO = Decimal("0.0")


@dataclass(frozen=True)
class RequirementColumn:
    id: int
    key: str
    label: str
    minimum: Decimal
    agency_code: str
    depth: int


@dataclass
class Cell:
    hours: Decimal
    minimum: Decimal
    applies: bool = True

    @property
    def met(self) -> bool:
        return self.hours >= self.minimum

    @property
    def missing(self) -> Decimal:
        return max(ZERO, self.minimum - self.hours)


@dataclass
class StaffRow:
    person_id: int
    name: str
    masked_id: str
    agency_code: str
    agency_name: str
    email: str
    total: Decimal
    cells: list[Cell] = field(default_factory=list)
    last_reminded_at: dt.datetime | None = None

    @property
    def all_met(self) -> bool:
        return all(cell.met for cell in self.cells if cell.applies)

    def shortfalls(self, columns: list[RequirementColumn]) -> list[tuple[RequirementColumn, Cell]]:
        return [(col, cell) for col, cell in zip(columns, self.cells, strict=True) if cell.applies and not cell.met]


@dataclass
class Report:
    year: int
    columns: list[RequirementColumn]
    rows: list[StaffRow]

    def column(self, key: str) -> int | None:
        for index, column in enumerate(self.columns):
            if column.key == key:
                return index
        return None


def managed_agencies(user: User) -> QuerySet[Agency]:
    """Agencies whose staff `user` may see as HR: their HR roles (with sub-agencies); operators every agency."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Agency.objects.none()
    if user.is_superuser:
        return Agency.objects.all()
    return Agency.objects.filter(pk__in=managed_ids(user))


def managed_ids(user: User) -> frozenset[int]:
    """The ids of the agencies a (non-operator) HR officer manages, kept on the user object for the request."""
    cached = getattr(user, "_hours_managed_ids", None)
    if cached is None:
        cached = frozenset(agencies_managed_by(user, AgencyRole.HR_OFFICER).values_list("pk", flat=True))
        user._hours_managed_ids = cached
    return cached


def scope_ids(user: User, agency: Agency | None = None) -> set[int]:
    """The agency ids a report covers; asking for an agency outside the user's reach is refused."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionDenied("您沒有機關人事管理的權限")
    book = rules.book()
    if user.is_superuser:
        if agency is None:
            raise PermissionDenied("請選擇機關")
        # An operator's report of an agency covers its whole subtree.
        return {agency_id for agency_id in book.agency_parent if agency.pk in book.agency_chain(agency_id)}
    ids = set(managed_ids(user))
    if not ids:
        raise PermissionDenied("您沒有機關人事管理的權限")
    if agency is None:
        return ids
    if agency.pk not in ids:
        raise PermissionDenied("您沒有查看此機關學習時數的權限")
    # The chosen agency with the sub-agencies the user also manages.
    return {agency_id for agency_id in ids if agency.pk in book.agency_chain(agency_id)}


def agency_report(
    *,
    user: User,
    year: int,
    agency: Agency | None = None,
    name: str = "",
    short_in: str = "",
    person_ids: set[int] | None = None,
) -> Report:
    """Every active staff member of the user's agencies (or of `agency` and its managed sub-agencies) with this
    year's total and each requirement's hours. `short_in`: a requirement key, or "any" for anyone short.
    Raises PermissionDenied outside the user's reach. Three queries plus the cached rule book."""
    ids = scope_ids(user, agency)
    book = rules.book()
    people = Person.objects.filter(agency_id__in=ids, is_active=True)
    if name:
        people = people.filter(name__icontains=name.strip())
    if person_ids is not None:
        people = people.filter(pk__in=person_ids)
    # Sorted here, not by the database: collations differ between SQLite and PostgreSQL for Chinese names.
    person_rows = sorted(
        people.values_list("pk", "name", "national_id", "agency_id", "agency__code", "agency__name", "email"),
        key=lambda row: (row[4], row[1], row[0]),
    )

    # Columns: national rules, then agency rules of any agency in scope, in the rule book's order.
    per_agency: dict[int, list] = {}
    columns: list[RequirementColumn] = []
    seen: set[int] = set()
    for agency_id in sorted({row[3] for row in person_rows}):
        applicable = book.rules_for(year=year, agency_id=agency_id)
        per_agency[agency_id] = applicable
        for rule in applicable:
            if rule.id not in seen:
                seen.add(rule.id)
                columns.append(
                    RequirementColumn(rule.id, rule.key, rule.label, rule.minimum, rule.agency_code, book.depth(rule))
                )
    columns.sort(key=lambda c: (c.agency_code != "", c.agency_code))
    position = {column.id: index for index, column in enumerate(columns)}

    rows: dict[int, StaffRow] = {}
    plan: dict[int, list[tuple[int, int | None, bool]]] = {}
    for pk, person_name, national, agency_id, agency_code, agency_name, email in person_rows:
        cells = [Cell(ZERO, column.minimum, applies=False) for column in columns]
        for rule in per_agency[agency_id]:
            cells[position[rule.id]].applies = True
        rows[pk] = StaffRow(pk, person_name, mask(national), agency_code, agency_name, email, ZERO, cells)
    for agency_id, applicable in per_agency.items():
        plan[agency_id] = [
            (position[rule.id], rule.mode, rule.scope == RequirementRule.SCOPE_ALL, rule.id) for rule in applicable
        ]
    agency_of = {row[0]: row[3] for row in person_rows}

    if rows:
        facts = LedgerEntry.objects.filter(year=year, person__agency_id__in=ids, person__is_active=True)
        if name or person_ids is not None:
            facts = facts.filter(person_id__in=list(rows))
        grouped = (
            facts.values_list("person_id", "category_table_id", "category_code", "mode")
            .annotate(hours=Sum("certified_hours"))
            .order_by()
        )
        matches = book.matches
        for person_id, table_id, code, mode, hours in grouped:
            row = rows.get(person_id)
            if row is None:
                continue
            row.total += hours
            matched = matches.get((table_id, code), frozenset())
            cells = row.cells
            for index, rule_mode, is_all, rule_id in plan[agency_of[person_id]]:
                if rule_mode is not None and mode != rule_mode:
                    continue
                if is_all or rule_id in matched:
                    cells[index].hours += hours

        last = dict(
            ReminderRecord.objects.filter(person_id__in=list(rows), year=year)
            .values_list("person_id")
            .annotate(last=Max("sent_at"))
            .order_by()
        )
        for person_id, sent_at in last.items():
            rows[person_id].last_reminded_at = sent_at

    result = list(rows.values())
    if short_in == "any":
        result = [row for row in result if not row.all_met]
    elif short_in:
        wanted = [index for index, column in enumerate(columns) if column.key == short_in]
        result = [row for row in result if any(row.cells[i].applies and not row.cells[i].met for i in wanted)]
    return Report(year=year, columns=columns, rows=result)


def this_year() -> int:
    return clock.today().year
