"""Reads on the registry: agency trees and which agencies a user may import for."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from civlearn.registry.models import RANK_CLASS_CHOICES, RANK_SPECIAL, Agency, rank_class_of_grade

# identity.AgencyRole.HR_OFFICER. The registry sits below identity and cannot import it; the role rows are
# reached through the user's reverse accessor `agency_roles` instead.
HR_ROLE = "hr"


def descendant_ids(root_ids: Iterable[int]) -> set[int]:
    """These agencies and every agency under them, at any depth; one query per level (agency trees are shallow)."""
    found = set(root_ids)
    frontier = set(found)
    while frontier:
        frontier = set(Agency.objects.filter(parent_id__in=frontier).order_by().values_list("pk", flat=True)) - found
        found |= frontier
    return found


def import_scope(user) -> set[int] | None:
    """Agency ids whose staff `user` may import: None means every agency (operators, staff, server-side commands).

    An HR officer's role covers its agency, plus all sub-agencies when the role includes them. A user with no
    HR role gets an empty set, which the import refuses outright.
    """
    if user is None:
        return None
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    if user.is_staff or user.is_superuser:
        return None
    roles = list(user.agency_roles.filter(role=HR_ROLE).values_list("agency_id", "include_subagencies"))
    scope = {agency_id for agency_id, _ in roles}
    return scope | descendant_ids({agency_id for agency_id, with_sub in roles if with_sub})


def can_import(user) -> bool:
    scope = import_scope(user)
    return scope is None or bool(scope)


def managed_roots(user) -> list[tuple[Agency, bool]]:
    """The agencies an HR officer's roles name, each with whether the role reaches its sub-agencies."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    roles = user.agency_roles.filter(role=HR_ROLE).select_related("agency").order_by("agency__code")
    return [(role.agency, role.include_subagencies) for role in roles]


def agency_search(query: str, *, limit: int = 50) -> list[Agency]:
    """機關組織's search: agencies whose name or code holds every word of `query`, both sides folded with
    `core.text.search_fold` (台中 and 臺中 alike, full-width digits and lower case too), by code."""
    from civlearn.core.text import search_fold

    words = [search_fold(word) for word in (query or "").split()]
    words = [word for word in words if word]
    if not words:
        return []
    agencies = Agency.objects.select_related("parent")
    for word in words:
        agencies = agencies.filter(search_text__contains=word)
    return list(agencies.order_by("code")[:limit])


def agency_children(parent: Agency | None) -> list[Agency]:
    """The agencies directly under `parent` (the top-level agencies for None), by code, each with `child_count`."""
    from django.db.models import Count

    return list(Agency.objects.filter(parent=parent).annotate(child_count=Count("children")).order_by("code"))


def agency_path(agency: Agency) -> list[Agency]:
    """`agency`'s parents from the top down, itself last (one query per level; trees are shallow)."""
    path = [agency]
    seen = {agency.pk}
    while path[0].parent_id is not None and path[0].parent_id not in seen:
        parent = Agency.objects.get(pk=path[0].parent_id)
        seen.add(parent.pk)
        path.insert(0, parent)
    return path


def agencies_by_code(codes: Iterable[str]) -> dict[str, Agency]:
    """The agencies with these codes, by code (codes not in the registry are left out). One query."""
    wanted = {code for code in codes if code}
    return {agency.code: agency for agency in Agency.objects.filter(code__in=wanted)} if wanted else {}


def agencies(ids: Iterable[int] | None = None):
    """Agencies by code: all of them, or those with these ids (a form's choices)."""
    found = Agency.objects.all() if ids is None else Agency.objects.filter(pk__in=set(ids))
    return found.order_by("code")


def grade_range_text(low: int, high: int) -> str:
    """A 職等 range as people write it, e.g. 薦任第6職等至第9職等 or 委任第5職等至薦任第7職等 (translated)."""
    labels = dict(RANK_CLASS_CHOICES)
    rank_low, rank_high = labels[rank_class_of_grade(low)], labels[rank_class_of_grade(high)]
    if low == high:
        return _("%(rank)s第%(low)s職等") % {"rank": rank_low, "low": low}
    if rank_low == rank_high:
        return _("%(rank)s第%(low)s職等至第%(high)s職等") % {"rank": rank_low, "low": low, "high": high}
    return _("%(rank_low)s第%(low)s職等至%(rank_high)s第%(high)s職等") % {
        "rank_low": rank_low,
        "low": low,
        "rank_high": rank_high,
        "high": high,
    }


def grade_in_range(person, low: int | None, high: int | None) -> bool | None:
    """Whether the person's 職等 lies in [low, high] (either end open): None when the registry does not record it.
    特任 (no 職等) lies in no 職等 range."""
    if person.rank_class == RANK_SPECIAL:
        return False
    if person.rank_grade is None:
        return None
    return (low or 1) <= person.rank_grade <= (high or 14)
