"""Reads other apps rely on: who manages which agencies, and what a person's 登入資訊 shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from civlearn.core import clock, national_id
from civlearn.core.generations import generation
from civlearn.identity.models import AgencyRole, SigninRecord, User
from civlearn.registry.models import Agency

# What other apps need to name without importing identity's models (the contract in pyproject.toml).
HR_OFFICER = AgencyRole.HR_OFFICER
PROVIDER = AgencyRole.PROVIDER
SIGNIN_PASSWORD = SigninRecord.PASSWORD
# The account type, for other apps' type annotations (their code reads accounts through the functions here).
Account = User

# The eCPA sign-in page's fragments shared by every visitor in a language (identity/signin.html: the announcements
# pinned to it, the external providers' buttons, the help links) are cached under this generation stamp; every save or
# delete of what they show (content's announcements and their agencies, help pages; sso's external providers) replaces
# it (`services.signin_page_changed`, connected in content.apps and sso.apps), so every process renders the next
# sign-in page afresh. Its blank forms are cached per language only (nothing from the database).
SIGNIN_PAGE_GENERATION_KEY = "identity:signin-page:generation:v1"


def signin_page_stamp() -> str:
    """What the sign-in page's shared fragments are keyed by besides the language: the generation stamp and today's
    date (an announcement's period begins and ends with a day)."""
    return f"{generation(SIGNIN_PAGE_GENERATION_KEY)}:{clock.today().isoformat()}"


def active_account(user_id: int, *, with_person: bool = False) -> User | None:
    """The active account with this id, or None."""
    query = User.objects.select_related("person") if with_person else User.objects.all()
    return query.filter(pk=user_id, is_active=True).first()


def last_signin(user: User, *, before: dt.datetime | None = None) -> SigninRecord | None:
    """The account's latest successful sign-in (at or before `before`), any method."""
    records = SigninRecord.objects.filter(user=user, success=True)
    if before is not None:
        records = records.filter(at__lte=before)
    return records.order_by("-at", "-id").first()


def _descendant_ids(root_ids: set[int]) -> set[int]:
    """The agencies under these, any depth: one query per level of the tree (agency trees are shallow)."""
    found = set(root_ids)
    frontier = set(root_ids)
    while frontier:
        frontier = set(Agency.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
        found |= frontier
    return found


def agencies_managed_by(user: User, role: str) -> QuerySet[Agency]:
    """The agencies where `user` holds `role` ("hr" or "provider"), with all sub-agencies where the role says so."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Agency.objects.none()
    roles = list(AgencyRole.objects.filter(user=user, role=role).values_list("agency_id", "include_subagencies"))
    ids = {agency_id for agency_id, _ in roles}
    ids |= _descendant_ids({agency_id for agency_id, with_sub in roles if with_sub})
    return Agency.objects.filter(pk__in=ids)


def user_has_role(user: User, agency: Agency, role: str) -> bool:
    """Whether `user` holds `role` for `agency`, directly or through a parent agency's role with sub-agencies."""
    if user is None or not user.is_authenticated or not user.is_active or agency is None:
        return False
    roles = dict(AgencyRole.objects.filter(user=user, role=role).values_list("agency_id", "include_subagencies"))
    if agency.pk in roles:
        return True
    # Walk up from the agency: a parent's role counts when it includes sub-agencies.
    seen: set[int] = set()
    current = agency.parent_id
    while current is not None and current not in seen:
        if roles.get(current):
            return True
        seen.add(current)
        current = Agency.objects.filter(pk=current).values_list("parent_id", flat=True).first()
    return False


@dataclass(frozen=True)
class SigninInfo:
    """登入資訊: how many sign-ins, and when and from where the one before this session came."""

    count: int
    previous_at: dt.datetime | None
    previous_ip: str | None


def signin_info(user: User) -> SigninInfo:
    successes = SigninRecord.objects.filter(user=user, success=True).values_list("at", "ip_address")[:2]
    successes = list(successes)
    # The newest success is this sign-in itself; the one before it is what 上次登入時間 shows (none on a first sign-in).
    previous = successes[1] if len(successes) > 1 else (None, None)
    return SigninInfo(count=user.signin_count, previous_at=previous[0], previous_ip=previous[1])


def recent_signins(user: User, *, limit: int = 10) -> list[SigninRecord]:
    return list(SigninRecord.objects.filter(user=user)[:limit])


def find_account(login: str) -> User | None:
    """The account a sign-in name refers to: a national ID (any case) or a custom account, else None."""
    text = (login or "").strip()
    if not text:
        return None
    normalized = national_id.normalize(text)
    query = User.objects.select_related("person")
    if national_id.is_valid(normalized):
        # One account at most (a unique national ID, one account per person): get(), which builds no ORDER BY.
        try:
            return query.get(person__national_id=normalized)
        except User.DoesNotExist:
            pass
    # 自訂帳號 is unique whatever the case (a constraint on Lower(username)), so case does not matter here either.
    return query.filter(username__iexact=text).first()


def is_hr_officer(user: User | None) -> bool:
    """Whether `user` holds the HR officer role (人事人員) for any agency."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return AgencyRole.objects.filter(user=user, role=AgencyRole.HR_OFFICER).exists()


def hr_agency_ids(user: User | None) -> set[int]:
    """Ids of the agencies whose staff `user` manages as an HR officer (sub-agencies included where the role says)."""
    if user is None:
        return set()
    return set(agencies_managed_by(user, AgencyRole.HR_OFFICER).values_list("pk", flat=True))


def hr_office_agency_ids() -> set[int]:
    """Agencies that have at least one HR officer (人事人員) role."""
    return set(AgencyRole.objects.filter(role=AgencyRole.HR_OFFICER).values_list("agency_id", flat=True))


def hr_office_emails(agency: Agency) -> list[str]:
    """The e-mail addresses of the active HR officers whose role names `agency` itself, sorted."""
    return sorted(
        set(
            AgencyRole.objects.filter(agency=agency, role=AgencyRole.HR_OFFICER, user__is_active=True)
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )


def active_accounts_with_person() -> QuerySet[User]:
    """Active accounts linked to an active registry person, with the person (for periodic jobs over learners)."""
    return User.objects.filter(is_active=True, person__isnull=False, person__is_active=True).select_related("person")


def agency_roles_of(user) -> set[str]:
    """The kinds of agency role ("hr", "provider") `user` holds anywhere; empty for anonymous users."""
    if user is None or not user.is_authenticated:
        return set()
    return set(AgencyRole.objects.filter(user=user).values_list("role", flat=True))
