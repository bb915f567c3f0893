"""Reads of the hours ledger: a person's yearly summary, their records, the years they have hours in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Exists, Max, OuterRef, QuerySet, Sum

from civlearn.core import clock
from civlearn.hours import rules
from civlearn.hours.models import LedgerEntry, OutboundBatch, OutboundDestination, OutboundItem
from civlearn.hours.rules import EntryFacts, Summary
from civlearn.registry.models import Person

_FACT_FIELDS = (
    "person_id",
    "category_table_id",
    "category_code",
    "mode",
    "certified_hours",
    "job_related",
    "self_applied_leave",
)


def _fact_rows(**filters) -> QuerySet:
    """`_FACT_FIELDS` of the entries matching `filters` (by person and year), in no particular order.

    No ORDER BY (the model's default orders by actual_end): the sums do not depend on the order, and every column
    read is in the covering index hours_ledger_person_year_cov, so PostgreSQL answers from the index alone.
    """
    return LedgerEntry.objects.filter(**filters).order_by().values_list(*_FACT_FIELDS)


def year_summary(*, person: Person, year: int) -> Summary:
    """The manual's summary table and each requirement's status for `person` in `year` (Gregorian).

    One indexed query over the person's entries of the year (reversals included: their negated hours net out);
    the rest is arithmetic over the cached rule book.
    """
    rows = _fact_rows(person_id=person.pk, year=year)
    facts = [EntryFacts(table_id, code, mode, hours, job, leave) for _, table_id, code, mode, hours, job, leave in rows]
    return rules.summarize(facts=facts, year=year, agency_id=person.agency_id, person_id=person.pk)


def year_summaries(*, persons: Iterable[Person], year: int) -> dict[int, Summary]:
    """`year_summary` for many persons with one query over their entries (for agency reports)."""
    persons = list(persons)
    by_person: dict[int, list[EntryFacts]] = {person.pk: [] for person in persons}
    if persons:
        rows = _fact_rows(person_id__in=list(by_person), year=year)
        for person_id, table_id, code, mode, hours, job, leave in rows.iterator(chunk_size=5000):
            by_person[person_id].append(EntryFacts(table_id, code, mode, hours, job, leave))
    book = rules.book()
    return {
        person.pk: rules.summarize(
            facts=by_person[person.pk], year=year, agency_id=person.agency_id, person_id=person.pk, rulebook=book
        )
        for person in persons
    }


def entries_for_year(*, person: Person, year: int, course_name: str = "", period: str = "") -> QuerySet[LedgerEntry]:
    """The person's standing records of the year, oldest first: reversed entries and reversals left out."""
    reversed_ = LedgerEntry.objects.filter(reverses_id=OuterRef("pk"))
    queryset = (
        LedgerEntry.objects.filter(person_id=person.pk, year=year, reverses__isnull=True)
        .exclude(source_kind=LedgerEntry.SOURCE_REVERSAL)
        .exclude(Exists(reversed_))
        .order_by("actual_end", "id")
    )
    if course_name:
        queryset = queryset.filter(course_name__icontains=course_name)
    if period:
        queryset = queryset.filter(period__icontains=period)
    return queryset


def institution_export_entries(*, institution_code: str, year: int) -> QuerySet[LedgerEntry]:
    """The records an institution uploaded (file or API) that count in `year` and are not reversed, oldest first:
    what its export holds."""
    return LedgerEntry.objects.filter(
        institution_code=institution_code,
        year=year,
        source_kind__in=[LedgerEntry.SOURCE_UPLOAD, LedgerEntry.SOURCE_API],
        reversed_by__isnull=True,
    ).order_by("actual_end", "id")


def years_with_hours(*, person: Person) -> list[int]:
    """Years (Gregorian, newest first) in which the person has any record."""
    return list(
        LedgerEntry.objects.filter(person_id=person.pk).order_by("-year").values_list("year", flat=True).distinct()
    )


def year_totals(*, person: Person) -> list[tuple[int, Decimal]]:
    """(year, certified hours) for every year the person has records in, newest first. One query."""
    rows = (
        LedgerEntry.objects.filter(person_id=person.pk)
        .values("year")
        .annotate(total=Sum("certified_hours"))
        .order_by("-year")
        .values_list("year", "total")
    )
    return [(year, total) for year, total in rows]


def institution_names(codes: Iterable[str]) -> dict[str, str]:
    """Agency names for learning-institution codes (codes not in the registry are left out). One query."""
    from civlearn.registry.models import Agency

    codes = {code for code in codes if code}
    if not codes:
        return {}
    return dict(Agency.objects.filter(code__in=codes).values_list("code", "name"))


def category_rows(*, day: dt.date | None = None) -> list[dict[str, str]]:
    """The course-category code table (課程類別代碼表) in force on `day` (today by default), as rows
    {"code", "name", "parent_code"} in code order: what the learning catalogue filters and labels courses by.

    Read from the rule book, built from the versioned tables an operator loads (`load_categories`, the admin) and
    coherent across processes, so a new table reaches every worker at once; no file copy to keep in step.
    Empty when no table is in force."""
    book = rules.book()
    table = book.table_for(day or clock.today())
    if table is None:
        return []
    memo = _category_rows_memo[0] if _category_rows_memo else None
    if memo is not None and memo[0] is book and memo[1] == table[0]:
        return memo[2]
    parents, names = book.codes.get(table[0], {}), book.names.get(table[0], {})
    rows = [{"code": code, "name": names.get(code, ""), "parent_code": parents[code] or ""} for code in sorted(parents)]
    # The same list (callers read it, never change it) while the rule book and the table in force stay the same:
    # the book is rebuilt, a new object, whenever any process invalidates it.
    _category_rows_memo[:] = [(book, table[0], rows)]
    return rows


# (rule book, table in force, rows): one slot, replaced in one assignment.
_category_rows_memo: list[tuple[object, object, list[dict[str, str]]]] = []


def reminded_since(*, person: Person, since: dt.datetime) -> bool:
    """Whether the person's HR office sent them a reminder after `since` (gap reminders count these too, so a person
    gets at most one reminder of either kind a week)."""
    from civlearn.hours.models import ReminderRecord

    return ReminderRecord.objects.filter(person_id=person.pk, sent_at__gt=since).exists()


def outbound_last_uploads(*, person_id: int | None) -> list[tuple[str, dt.datetime | None]]:
    """(label, time of the latest sent outbound batch holding one of this person's ledger entries) per active
    destination (環境教育, 全教網: civlearn/hours/outbound.py), for 學習紀錄's 最後上傳時間 lines."""
    sent: dict[int, dt.datetime] = {}
    if person_id is not None:
        sent = dict(
            OutboundItem.objects.filter(ledger_entry__person_id=person_id, batch__status=OutboundBatch.SENT)
            .values("destination_id")
            .annotate(at=Max("batch__sent_at"))
            .values_list("destination_id", "at")
        )
    return [(d.label, sent.get(d.pk)) for d in OutboundDestination.objects.filter(is_active=True)]
