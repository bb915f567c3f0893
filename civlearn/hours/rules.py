"""Requirement arithmetic: from a person's ledger rows for a year to the summary table and each rule's status.

Definitions (docs/hours-rules.md explains them with the manual's figures):
- An entry counts in a code set when its category code, or any ancestor of it in the entry's own code table, is in
  the set listed for that table. Reporting rows are independent code sets, not a hierarchy.
- A rule with scope "components" counts the hours of the entries in the union of its components' code sets (each
  entry once), so 每年必須完成之課程 = hours in 當前政府重大政策 ∪ 環境教育 ∪ the values group.
- Reversals are ledger rows with negated hours, so a plain sum nets them out.

Everything that does not depend on the person (tables, code → matching keys, rules, the agency tree) is built once
into a `RuleBook` and kept in process memory; a generation stamp in the shared cache says when to rebuild.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db import transaction

from civlearn.hours.models import AgencyCutoff, Category, CategoryTable, ReportingCategory, RequirementRule

ZERO = Decimal("0.0")
_GENERATION_KEY = "hours:rulebook:generation"
# Agencies and rules change rarely; a stale book is rebuilt at the latest after this many seconds.
_GENERATION_TTL = 300


@dataclass(frozen=True)
class EntryFacts:
    """What the arithmetic needs from one ledger row."""

    table_id: int
    code: str
    mode: int
    hours: Decimal
    job_related: bool
    self_applied_leave: bool


@dataclass(frozen=True)
class SummaryRow:
    key: str
    label: str
    hours: Decimal
    # Requirement rows only: the minimum, whether it is met, hours still missing, nesting depth, owning agency.
    is_requirement: bool = False
    minimum: Decimal | None = None
    met: bool | None = None
    missing: Decimal | None = None
    depth: int = 0
    agency_code: str = ""
    rule_id: int | None = None


@dataclass(frozen=True)
class Summary:
    person_id: int
    year: int
    rows: tuple[SummaryRow, ...]
    # Every certified hour of the year (reversals netted), whatever the summary rows are configured to show.
    total_hours: Decimal = ZERO

    @property
    def categories(self) -> tuple[SummaryRow, ...]:
        return tuple(row for row in self.rows if not row.is_requirement)

    @property
    def requirements(self) -> tuple[SummaryRow, ...]:
        return tuple(row for row in self.rows if row.is_requirement)

    @property
    def total(self) -> Decimal:
        return self.total_hours

    @property
    def all_met(self) -> bool:
        return all(row.met for row in self.requirements)

    def row(self, key: str) -> SummaryRow:
        for row in self.rows:
            if row.key == key:
                return row
        raise KeyError(key)


@dataclass(frozen=True)
class _Reporting:
    key: str
    label: str
    measure: str
    mode: int | None


@dataclass(frozen=True)
class _Rule:
    id: int
    key: str
    label: str
    order: int
    year_from: int
    year_to: int | None
    agency_id: int | None
    agency_code: str
    parent_id: int | None
    minimum: Decimal
    scope: str
    mode: int | None


# The rule as callers outside this module see it (read-only).
Rule = _Rule


@dataclass
class RuleBook:
    tables: list[tuple[dt.date, int, str]] = field(default_factory=list)
    codes: dict[int, dict[str, str]] = field(default_factory=dict)
    names: dict[int, dict[str, str]] = field(default_factory=dict)
    # (table id, code) → keys of the code-set reporting rows and ids of the code-set rules the code counts in.
    matches: dict[tuple[int, str], frozenset] = field(default_factory=dict)
    reporting: list[_Reporting] = field(default_factory=list)
    rules: list[_Rule] = field(default_factory=list)
    agency_parent: dict[int, int | None] = field(default_factory=dict)
    # Agencies' cutoffs (hours.gaps deadlines): (year, agency id, staff kind) → day, and those agencies' names.
    cutoffs: dict[tuple[int, int, str], dt.date] = field(default_factory=dict)
    cutoff_agency_names: dict[int, str] = field(default_factory=dict)
    # Memo of rules_for(), per (year, agency id): the book is immutable once built.
    _applicable: dict[tuple[int, int | None], list[_Rule]] = field(default_factory=dict, repr=False)

    def table_for(self, day: dt.date) -> tuple[int, str] | None:
        """The code table in force on `day`: the latest one whose effective_from is not after it."""
        found = None
        for effective_from, table_id, name in self.tables:
            if effective_from <= day:
                found = (table_id, name)
        return found

    def has_code(self, table_id: int, code: str) -> bool:
        return code in self.codes.get(table_id, {})

    def category_name(self, table_id: int, code: str) -> str:
        return self.names.get(table_id, {}).get(code, "")

    def lineage(self, table_id: int, code: str) -> set[str]:
        """The code and every code above it in its table (a code counts wherever one of these does)."""
        return _lineage(code, self.codes.get(table_id, {}))

    def agency_chain(self, agency_id: int | None) -> list[int]:
        chain: list[int] = []
        while agency_id is not None and agency_id not in chain:
            chain.append(agency_id)
            agency_id = self.agency_parent.get(agency_id)
        return chain

    def rules_for(self, *, year: int, agency_id: int | None) -> list[_Rule]:
        """National rules of the year, then the rules of the person's agency and its parents, each group in order."""
        memo = self._applicable.get((year, agency_id))
        if memo is None:
            memo = self._applicable[(year, agency_id)] = self._rules_for(year=year, agency_id=agency_id)
        return memo

    def _rules_for(self, *, year: int, agency_id: int | None) -> list[_Rule]:
        chain = self.agency_chain(agency_id)
        applicable = [
            rule
            for rule in self.rules
            if rule.year_from <= year
            and (rule.year_to is None or year <= rule.year_to)
            and (rule.agency_id is None or rule.agency_id in chain)
        ]
        # A parent comes before its components; national before agency rules.
        by_parent: dict[int | None, list[_Rule]] = {}
        for rule in applicable:
            by_parent.setdefault(rule.parent_id, []).append(rule)
        ids = {rule.id for rule in applicable}
        ordered: list[_Rule] = []

        def walk(rule: _Rule) -> None:
            ordered.append(rule)
            for child in sorted(by_parent.get(rule.id, []), key=lambda r: (r.order, r.id)):
                walk(child)

        roots = [rule for rule in applicable if rule.parent_id is None or rule.parent_id not in ids]
        for rule in sorted(roots, key=lambda r: (r.agency_id is not None, r.order, r.id)):
            walk(rule)
        return ordered

    def depth(self, rule: _Rule) -> int:
        parents = {r.id: r.parent_id for r in self.rules}
        depth, current = 0, rule.parent_id
        while current is not None and depth < 10:
            depth, current = depth + 1, parents.get(current)
        return depth


def build() -> RuleBook:
    """Read tables, codes, reporting rows, rules and the agency tree (a handful of queries)."""
    from civlearn.registry.models import Agency

    book = RuleBook()
    book.tables = list(CategoryTable.objects.order_by("effective_from").values_list("effective_from", "id", "name"))
    table_names = {table_id: name for _, table_id, name in book.tables}
    for table_id, code, parent, name in Category.objects.values_list("table_id", "code", "parent_code", "name"):
        book.codes.setdefault(table_id, {})[code] = parent
        book.names.setdefault(table_id, {})[code] = name
    book.reporting = [
        _Reporting(key, label, measure, mode)
        for key, label, measure, mode in ReportingCategory.objects.order_by("order", "key").values_list(
            "key", "label", "measure", "mode"
        )
    ]
    rule_rows = list(
        RequirementRule.objects.order_by("order", "id").values(
            "id",
            "key",
            "label",
            "order",
            "year_from",
            "year_to",
            "agency_id",
            "agency__code",
            "parent_id",
            "minimum_hours",
            "scope",
            "mode",
            "codes",
        )
    )
    book.rules = [
        _Rule(
            row["id"],
            row["key"],
            row["label"],
            row["order"],
            row["year_from"],
            row["year_to"],
            row["agency_id"],
            row["agency__code"] or "",
            row["parent_id"],
            row["minimum_hours"],
            row["scope"],
            row["mode"],
        )
        for row in rule_rows
    ]
    book.agency_parent = dict(Agency.objects.values_list("id", "parent_id"))
    for agency_id, year, kind, day, agency_name in AgencyCutoff.objects.order_by().values_list(
        "agency_id", "year", "staff_kind", "cutoff", "agency__name"
    ):
        book.cutoffs[(year, agency_id, kind)] = day
        book.cutoff_agency_names[agency_id] = agency_name

    # Code sets per match key, per table name.
    code_sets: dict[object, dict[str, set[str]]] = {}
    for key, codes in ReportingCategory.objects.filter(measure=ReportingCategory.MEASURE_CODES).values_list(
        "key", "codes"
    ):
        code_sets[key] = {name: set(values) for name, values in (codes or {}).items()}
    own = {row["id"]: row for row in rule_rows}
    children: dict[int, list[int]] = {}
    for row in rule_rows:
        if row["parent_id"] is not None:
            children.setdefault(row["parent_id"], []).append(row["id"])

    def rule_codes(rule_id: int, seen: frozenset = frozenset()) -> dict[str, set[str]] | None:
        """A rule's effective code sets; None means every entry counts."""
        row = own[rule_id]
        if row["scope"] == RequirementRule.SCOPE_ALL or rule_id in seen:
            return None
        if row["scope"] == RequirementRule.SCOPE_CODES:
            return {name: set(values) for name, values in (row["codes"] or {}).items()}
        union: dict[str, set[str]] = {}
        for child in children.get(rule_id, []):
            sets = rule_codes(child, seen | {rule_id})
            if sets is None:
                return None
            for name, values in sets.items():
                union.setdefault(name, set()).update(values)
        return union

    for row in rule_rows:
        sets = rule_codes(row["id"])
        if sets is not None:
            code_sets[row["id"]] = sets

    for table_id, parents in book.codes.items():
        name = table_names[table_id]
        relevant = {key: sets.get(name, set()) for key, sets in code_sets.items() if sets.get(name)}
        for code in parents:
            lineage = _lineage(code, parents)
            book.matches[(table_id, code)] = frozenset(key for key, codes in relevant.items() if lineage & codes)
    return book


def _lineage(code: str, parents: dict[str, str]) -> set[str]:
    found: set[str] = set()
    while code and code not in found:
        found.add(code)
        code = parents.get(code, "")
    return found


_lock = threading.Lock()
_state: dict[str, object] = {"generation": None, "book": None}


def book() -> RuleBook:
    """The current rule book, rebuilt when another process (or this one) invalidated it, or after the TTL."""
    return current()[0]


def current() -> tuple[RuleBook, str]:
    """The current rule book and its generation stamp: what caches of values derived from the book (the gap
    panel's candidate courses) put in their keys, so that they change with it in every process."""
    generation = cache.get(_GENERATION_KEY)
    if generation is None:
        cache.add(_GENERATION_KEY, uuid.uuid4().hex, _GENERATION_TTL)
        generation = cache.get(_GENERATION_KEY)
    with _lock:
        if _state["generation"] != generation or _state["book"] is None:
            _state["book"] = build()
            _state["generation"] = generation
        return _state["book"], str(generation)  # type: ignore[return-value]


def current_for(agency_id: int | None) -> tuple[RuleBook, str]:
    """`current()`, rebuilt first when the book does not know `agency_id`: an agency created since it was built,
    whose parents (and so their rules and cutoffs) it would miss."""
    found = current()
    if agency_id is not None and agency_id not in found[0].agency_parent:
        invalidate()
        found = current()
    return found


def invalidate() -> None:
    """Call after changing tables, reporting rows, rules, cutoffs or agencies."""
    cache.delete(_GENERATION_KEY)
    with _lock:
        _state["generation"] = None
        _state["book"] = None


def cutoffs_changed(**kwargs) -> None:
    """Receiver of AgencyCutoff's save and delete (hours.apps; cache invalidation only): the book holds the
    cutoffs, so it is rebuilt now and again when the caller's transaction commits (a reader in between would
    otherwise build the old rows under the new stamp)."""
    invalidate()
    transaction.on_commit(invalidate)


def counts_in(rule: _Rule, *, mode: int, matched: frozenset) -> bool:
    """Whether hours of 學習性質 `mode`, whose (table, code) matches `matched` (`RuleBook.matches`), count toward
    `rule`. The one place that says which learning counts where: the summary, the HR report and the suggestions of
    courses that close a gap all ask here."""
    if rule.mode is not None and mode != rule.mode:
        return False
    return rule.scope == RequirementRule.SCOPE_ALL or rule.id in matched


def rules_counting(
    *, rulebook: RuleBook, rules: Iterable[_Rule], table_id: int, code: str, mode: int
) -> frozenset[int]:
    """The ids of `rules` that learning recorded under (`table_id`, `code`) in `mode` would count toward."""
    matched = rulebook.matches.get((table_id, code), frozenset())
    return frozenset(rule.id for rule in rules if counts_in(rule, mode=mode, matched=matched))


def summarize(
    *, facts: Iterable[EntryFacts], year: int, agency_id: int | None, person_id: int, rulebook: RuleBook | None = None
) -> Summary:
    """The summary table and requirement status for one person's rows of one year. No queries."""
    rb = rulebook or book()
    if agency_id is not None and agency_id not in rb.agency_parent:
        # An agency created since the book was built: its parents are unknown to it.
        rb = current_for(agency_id)[0]
    rules = rb.rules_for(year=year, agency_id=agency_id)
    reporting_hours = {item.key: ZERO for item in rb.reporting}
    rule_hours = {rule.id: ZERO for rule in rules}
    total = ZERO
    for fact in facts:
        total += fact.hours
        matched = rb.matches.get((fact.table_id, fact.code), frozenset())
        for item in rb.reporting:
            if item.measure == ReportingCategory.MEASURE_ALL:
                hit = True
            elif item.measure == ReportingCategory.MEASURE_MODE:
                hit = fact.mode == item.mode
            elif item.measure == ReportingCategory.MEASURE_JOB_RELATED:
                hit = fact.job_related
            elif item.measure == ReportingCategory.MEASURE_SELF_LEAVE:
                hit = fact.self_applied_leave
            else:
                hit = item.key in matched
            if hit:
                reporting_hours[item.key] += fact.hours
        for rule in rules:
            if counts_in(rule, mode=fact.mode, matched=matched):
                rule_hours[rule.id] += fact.hours
    rows = [SummaryRow(item.key, item.label, reporting_hours[item.key]) for item in rb.reporting]
    for rule in rules:
        hours = rule_hours[rule.id]
        rows.append(
            SummaryRow(
                key=rule.key,
                label=rule.label,
                hours=hours,
                is_requirement=True,
                minimum=rule.minimum,
                met=hours >= rule.minimum,
                missing=max(ZERO, rule.minimum - hours),
                depth=rb.depth(rule),
                agency_code=rule.agency_code,
                rule_id=rule.id,
            )
        )
    return Summary(person_id=person_id, year=year, rows=tuple(rows), total_hours=total)
