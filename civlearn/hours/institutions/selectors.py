"""Who acts for which institution, and the operators' review queue."""

from __future__ import annotations

from django.db.models import QuerySet

from civlearn.core.text import search_fold
from civlearn.hours.models import Institution, InstitutionMember

OPERATOR = "operator"


def is_operator(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser)


def role_in(user, institution: Institution) -> str | None:
    """ "operator", "admin", "staff" or None: what `user` may do for an approved `institution`."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return OPERATOR
    return (
        InstitutionMember.objects.filter(
            institution_id=institution.pk, institution__status=Institution.APPROVED, user=user
        )
        .values_list("role", flat=True)
        .first()
    )


def institutions_of(user) -> QuerySet[Institution]:
    """The approved institutions `user` acts for (operators: every approved one), by name."""
    approved = Institution.objects.filter(status=Institution.APPROVED).select_related("agency")
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return approved.none()
    if user.is_superuser:
        return approved
    return approved.filter(members__user=user)


def agency_ids_of(user) -> set[int]:
    """Agencies (institution codes) of the approved institutions `user` is a member of: what the 25-column upload
    and the API clients act as."""
    return set(institutions_of(user).exclude(agency=None).values_list("agency_id", flat=True))


def applications_of(user) -> QuerySet[Institution]:
    if user is None or not getattr(user, "is_authenticated", False):
        return Institution.objects.none()
    return Institution.objects.filter(applicant=user).order_by("-created_at")


def review_queue() -> QuerySet[Institution]:
    """Applications waiting for an operator, oldest first."""
    return Institution.objects.filter(status=Institution.SUBMITTED).order_by("created_at", "id")


def institutions_search(*, keyword: str = "", limit: int = 50) -> list[Institution]:
    """Approved institutions whose name matches `keyword` (search_fold on both sides)."""
    queryset = Institution.objects.filter(status=Institution.APPROVED)
    folded = search_fold(keyword)
    if folded:
        queryset = queryset.filter(name_search__contains=folded)
    return list(queryset.order_by("name", "id")[:limit])
