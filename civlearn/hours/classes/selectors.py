"""學習資訊中心 reads: the class search, a class's detail, rosters, the HR office's queues."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from civlearn.core import clock
from civlearn.core.text import search_fold, search_grams
from civlearn.hours import rules
from civlearn.hours.models import ClassOffering, ClassPortion, Registration
from civlearn.identity import selectors as identity_selectors
from civlearn.registry import selectors as registry_selectors


@dataclass(frozen=True, kw_only=True)
class ClassQuery:
    keyword: str = ""
    category_code: str = ""  # with its subtree
    requirement_id: int | None = None  # a RequirementRule: classes whose codes count toward it
    county_code: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    mode: int | None = None
    hours_min: Decimal | None = None
    hours_max: Decimal | None = None
    institution_id: int | None = None
    open_now: bool = False


def _codes_in_subtree(table_id: int, root: str) -> set[str]:
    parents = rules.book().codes.get(table_id, {})
    found = {root} if root in parents else set()
    frontier = set(found)
    while frontier:
        frontier = {code for code, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _codes_counting_toward(table_id: int, rule) -> set[str]:
    """Codes of the table whose hours count toward `rule`: asked of `rules.counts_in`, the summary's own rule."""
    book = rules.book()
    mode = rule.mode if rule.mode is not None else 0  # a rule without a mode ignores it
    return {
        code
        for code in book.codes.get(table_id, {})
        if rules.counts_in(rule, mode=mode, matched=book.matches.get((table_id, code), frozenset()))
    }


def requirement_choices(*, year: int | None = None) -> list[tuple[int, str]]:
    """National code-set requirements of the year (e.g. 環境教育) a search can filter by."""
    book = rules.book()
    year = year or clock.today().year
    return [(rule.id, rule.label) for rule in book.rules_for(year=year, agency_id=None) if rule.scope != "all"]


def _portion_filter(codes_by_table: dict[int, set[str]]) -> Q:
    q = Q(pk__in=[])
    for table_id, codes in codes_by_table.items():
        if codes:
            q |= Q(category_table_id=table_id, category_code__in=codes)
    return q


def offerings_search(query: ClassQuery) -> QuerySet[ClassOffering]:
    """Published classes matching every given criterion, soonest first. The keyword is folded (search_fold) and
    matched against the stored folded column."""
    queryset = ClassOffering.objects.filter(status=ClassOffering.PUBLISHED).select_related("institution")
    folded = search_fold(query.keyword)
    if folded:
        queryset = queryset.filter(search_text__contains=folded)
        if len(folded) > 1 and connection.vendor == "postgresql":
            # Narrowed first through the GIN index over the pieces (models: search_grams); `contains` decides.
            queryset = queryset.alias(grams=SearchVector("search_grams", config="simple")).filter(
                grams=SearchQuery(search_grams(folded), config="simple", search_type="plain")
            )
    book = rules.book()
    table_ids = [table_id for _, table_id, _ in book.tables]
    if query.category_code:
        codes = {table_id: _codes_in_subtree(table_id, query.category_code.strip()) for table_id in table_ids}
        portions = ClassPortion.objects.filter(_portion_filter(codes), offering=OuterRef("pk"))
        queryset = queryset.filter(Exists(portions))
    if query.requirement_id:
        rule = next((rule for rule in book.rules if rule.id == query.requirement_id), None)
        if rule is None:
            return queryset.none()
        if rule.mode is not None:
            queryset = queryset.filter(mode=rule.mode)
        codes = {table_id: _codes_counting_toward(table_id, rule) for table_id in table_ids}
        portions = ClassPortion.objects.filter(_portion_filter(codes), offering=OuterRef("pk"))
        queryset = queryset.filter(Exists(portions))
    if query.county_code:
        queryset = queryset.filter(county_code=query.county_code)
    if query.date_from:
        queryset = queryset.filter(ends_on__gte=query.date_from)
    if query.date_to:
        queryset = queryset.filter(starts_on__lte=query.date_to)
    if query.mode:
        queryset = queryset.filter(mode=query.mode)
    if query.hours_min is not None:
        queryset = queryset.filter(total_hours__gte=query.hours_min)
    if query.hours_max is not None:
        queryset = queryset.filter(total_hours__lte=query.hours_max)
    if query.institution_id:
        queryset = queryset.filter(institution_id=query.institution_id)
    if query.open_now:
        now = clock.now()
        queryset = queryset.filter(registration_opens__lte=now, registration_closes__gte=now)
        # Implied (the class file's validator: registration closes no later than the first session's day), and it
        # lets the soonest-first page start its walk of the starts_on index at today instead of the first class ever.
        queryset = queryset.filter(starts_on__gte=timezone.localtime(now).date() - dt.timedelta(days=1))
    return queryset.order_by("starts_on", "id")


def grade_range_of(offering: ClassOffering) -> str:
    """The class's 職等 range as people write it (e.g. 薦任第6職等至第9職等), or "" when it has none."""
    if offering.rank_grade_min is None and offering.rank_grade_max is None:
        return ""
    return registry_selectors.grade_range_text(offering.rank_grade_min or 1, offering.rank_grade_max or 14)


# The search page counts matches up to this many and shows "more than" beyond (a full COUNT of a broad search is
# most of its cost; nobody pages through a thousand classes — they narrow the search).
COUNT_CAP = 1000


def capped_count(queryset: QuerySet, cap: int = COUNT_CAP) -> int:
    """How many rows `queryset` has, counting no further than cap + 1 (so "more than cap" is known)."""
    return queryset.order_by()[: cap + 1].count()


def registration_of(*, offering: ClassOffering, person) -> Registration | None:
    if person is None:
        return None
    return (
        Registration.objects.filter(offering=offering, person=person, status__in=Registration.ACTIVE)
        .order_by("-created_at")
        .first()
    )


def waitlist_position(registration: Registration) -> int:
    return (
        Registration.objects.filter(
            offering_id=registration.offering_id,
            status=Registration.WAITLISTED,
            created_at__lte=registration.created_at,
        )
        .exclude(pk__gt=registration.pk, created_at=registration.created_at)
        .count()
    )


def roster(offering: ClassOffering) -> QuerySet[Registration]:
    return (
        Registration.objects.filter(offering=offering)
        .select_related("person", "person__agency")
        .order_by("status", "created_at", "id")
    )


def hr_agency_ids(user) -> set[int]:
    return identity_selectors.hr_agency_ids(user)


def hr_pending(user) -> QuerySet[Registration]:
    """Registrations waiting for this HR officer's approval (persons of the agencies they manage)."""
    if user is not None and user.is_authenticated and user.is_superuser:
        scope = Q()
    else:
        scope = Q(person__agency_id__in=hr_agency_ids(user))
    return (
        Registration.objects.filter(scope, status=Registration.PENDING)
        .select_related("person", "offering", "offering__institution")
        .order_by("created_at", "id")
    )


def hr_no_shows(user) -> QuerySet[Registration]:
    """未到訓: registered persons of the agencies this HR officer manages who attended none of a closed class."""
    if user is not None and user.is_authenticated and user.is_superuser:
        scope = Q()
    else:
        scope = Q(person__agency_id__in=hr_agency_ids(user))
    return (
        Registration.objects.filter(scope, outcome=Registration.OUTCOME_NO_SHOW)
        .select_related("person", "offering", "offering__institution")
        .order_by("-offering__ends_on", "id")
    )


def registrations_of_person(person) -> QuerySet[Registration]:
    return (
        Registration.objects.filter(person=person)
        .select_related("offering", "offering__institution")
        .prefetch_related("offering__sessions")
        .order_by("-offering__starts_on", "-id")
    )
