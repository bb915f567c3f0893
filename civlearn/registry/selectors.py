"""Reads on the registry: agency trees and which agencies a user may import for."""

from __future__ import annotations

from collections.abc import Iterable

from civlearn.registry.models import Agency

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
