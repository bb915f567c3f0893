"""What an agency's HR office (人事室) sees: its staff's hours of a year against each requirement, set-based.

`year_summary` (selectors.py) computes one person's whole summary; a report for thousands of staff instead asks
the database for one grouped sum per (person, code table, code, mode) and adds those up against each requirement
with the same rule book, so the figures agree with the learner's own page (a test checks that).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Max, QuerySet

from civlearn.core import clock
from civlearn.core.national_id import mask
from civlearn.hours import rules
from civlearn.hours.models import ReminderRecord
from civlearn.identity import selectors as identity_selectors
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
    """One person's line. Hours are kept as integer tenths (`sums`, one per column, then the total); `cells` and
    `total` turn them into Decimals when a page or a file shows them."""

    person_id: int
    name: str
    masked_id: str
    agency_code: str
    agency_name: str
    email: str
    sums: list[int]
    # Per column: the minimum in tenths, or None where the rule does not apply to this person's agency.
    minimums: tuple[int | None, ...]
    columns: list[RequirementColumn]
    last_reminded_at: dt.datetime | None = None
    agency_id: int = 0
    personnel_category: str = ""

    @property
    def total(self) -> Decimal:
        return _hours(self.sums[-1])

    @property
    def all_met(self) -> bool:
        return all(minimum is None or done >= minimum for done, minimum in zip(self.sums, self.minimums, strict=False))

    def is_short(self, index: int) -> bool:
        minimum = self.minimums[index]
        return minimum is not None and self.sums[index] < minimum

    @property
    def cells(self) -> list[Cell]:
        return [
            Cell(_hours(done), column.minimum, applies=minimum is not None)
            for done, minimum, column in zip(self.sums, self.minimums, self.columns, strict=False)
        ]

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


def managed_agencies(user: AbstractBaseUser) -> QuerySet[Agency]:
    """Agencies whose staff `user` may see as HR: their HR roles (with sub-agencies); operators every agency."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Agency.objects.none()
    if user.is_superuser:
        return Agency.objects.all()
    return Agency.objects.filter(pk__in=managed_ids(user))


def managed_ids(user: AbstractBaseUser) -> frozenset[int]:
    """The ids of the agencies a (non-operator) HR officer manages, kept on the user object for the request."""
    cached = getattr(user, "_hours_managed_ids", None)
    if cached is None:
        cached = frozenset(agencies_managed_by(user, identity_selectors.HR_OFFICER).values_list("pk", flat=True))
        user._hours_managed_ids = cached
    return cached


def scope_ids(user: AbstractBaseUser, agency: Agency | None = None) -> set[int]:
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
    user: AbstractBaseUser,
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
    return report_for_agencies(agency_ids=ids, year=year, name=name, short_in=short_in, person_ids=person_ids)


def report_for_agencies(
    *, agency_ids: set[int], year: int, name: str = "", short_in: str = "", person_ids: set[int] | None = None
) -> Report:
    """`agency_report` for agencies already in the caller's reach (a periodic job acting for the agency's own HR
    office); no permission check of its own."""
    ids = agency_ids
    book = rules.book()
    people = Person.objects.filter(agency_id__in=ids, is_active=True)
    if name:
        people = people.filter(name__icontains=name.strip())
    if person_ids is not None:
        people = people.filter(pk__in=person_ids)
    # Sorted here, not by the database: collations differ between SQLite and PostgreSQL for Chinese names.
    person_rows = sorted(
        people.values_list(
            "pk", "name", "national_id", "agency_id", "agency__code", "agency__name", "email", "personnel_category"
        ),
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

    # Per agency: the minimums of its columns, and for each (table, code, mode) the columns an entry adds to.
    minimums: dict[int, tuple[int | None, ...]] = {}
    plan: dict[int, list[tuple[int, rules.Rule]]] = {}
    for agency_id, applicable in per_agency.items():
        own = {position[rule.id]: rule for rule in applicable}
        minimums[agency_id] = tuple(
            int(own[index].minimum * 10) if index in own else None for index in range(len(columns))
        )
        plan[agency_id] = [(position[rule.id], rule) for rule in applicable]
    width = len(columns) + 1
    rows: dict[int, StaffRow] = {
        pk: StaffRow(pk, person_name, mask(national), agency_code, agency_name, email, [0] * width,
                     minimums[agency_id], columns, agency_id=agency_id, personnel_category=category)
        for pk, person_name, national, agency_id, agency_code, agency_name, email, category in person_rows
    }  # fmt: skip
    agency_of = {row[0]: row[3] for row in person_rows}

    if rows:
        # Hours are summed as integer tenths (the ledger keeps one decimal): exact, and cheap in a loop of
        # tens of thousands of rows. The rows come raw, without the ORM's per-value converters.
        matches = book.matches
        no_match: frozenset = frozenset()
        targets: dict[tuple, tuple[int, ...]] = {}
        for person_id, table_id, code, mode, hours in _fact_rows(year=year, agency_ids=ids, person_ids=(
            list(rows) if name or person_ids is not None else None
        )):  # fmt: skip
            row = rows.get(person_id)
            if row is None:
                continue
            agency_id = agency_of[person_id]
            key = (agency_id, table_id, code, mode)
            hits = targets.get(key)
            if hits is None:
                matched = matches.get((table_id, code), no_match)
                hits = targets[key] = tuple(
                    index for index, rule in plan[agency_id] if rules.counts_in(rule, mode=mode, matched=matched)
                )
            sums = row.sums
            sums[-1] += hours
            for index in hits:
                sums[index] += hours

        last = dict(
            ReminderRecord.objects.filter(person__agency_id__in=ids, year=year)
            .values_list("person_id")
            .annotate(last=Max("sent_at"))
            .order_by()
        )
        for person_id, sent_at in last.items():
            if person_id in rows:
                rows[person_id].last_reminded_at = sent_at

    result = list(rows.values())
    if short_in == "any":
        result = [row for row in result if not row.all_met]
    elif short_in:
        wanted = [index for index, column in enumerate(columns) if column.key == short_in]
        result = [row for row in result if any(row.is_short(i) for i in wanted)]
    return Report(year=year, columns=columns, rows=result)


_TENTHS = {value: Decimal(value).scaleb(-1) for value in range(2001)}


def _hours(tenths: int) -> Decimal:
    return _TENTHS.get(tenths) or Decimal(tenths).scaleb(-1)


def tenths_to_hours(tenths: int) -> Decimal:
    """Hours from the report's integer tenths (StaffRow.sums, .minimums)."""
    return _hours(tenths)


def _fact_rows(*, year: int, agency_ids: set[int], person_ids: list[int] | None):
    """(person id, table id, code, mode, hours in tenths) of the active staff of these agencies in `year`."""
    if connection.vendor == "postgresql":
        where, params = "p.agency_id = ANY(%s)", [list(agency_ids)]
        if person_ids is not None:
            where += " AND l.person_id = ANY(%s)"
            params.append(person_ids)
    else:
        where = f"p.agency_id IN ({', '.join(['%s'] * len(agency_ids))})"
        params = list(agency_ids)
        if person_ids is not None:
            where += f" AND l.person_id IN ({', '.join(['%s'] * len(person_ids))})"
            params += person_ids
    # Only placeholders are put into the text; every value is a parameter.
    sql = (
        "SELECT l.person_id, l.category_table_id, l.category_code, l.mode, "  # noqa: S608
        "CAST(ROUND(l.certified_hours * 10) AS BIGINT) "
        "FROM hours_ledgerentry l JOIN registry_person p ON p.id = l.person_id "
        f"WHERE l.year = %s AND p.is_active AND {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [year, *params])
        while True:
            batch = cursor.fetchmany(5000)
            if not batch:
                return
            yield from batch


def this_year() -> int:
    return clock.today().year
