"""套裝課程 / 學習地圖: which packages a learner sees, how far along they are, and what is left.

A package is met when every listed course is completed and, if it names categories, the certified hours of
completed courses in those category subtrees reach `category_hours`. Operators (staff) define packages for
everyone; an agency's HR office defines them for its own staff (its AgencyRole "hr", sub-agencies included)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from civlearn.core.generations import generation, generation_renew
from civlearn.core.services import audit_record
from civlearn.hours import gaps as hours_gaps
from civlearn.identity import selectors as identity_selectors
from civlearn.learning.categories import category_subtree
from civlearn.learning.models import Course, CoursePackage, Enrolment


class PackageError(ValueError):
    """Shown as is."""


@dataclass(frozen=True)
class PackageProgress:
    package: CoursePackage
    percent: int
    courses_done: list[Course]
    courses_left: list[Course]
    category_hours_done: Decimal
    category_hours_needed: Decimal
    left: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.percent == 100


# The packages a learner sees are the same for everyone of their agency and 身份別: cached per both under this
# generation stamp, which a package's or a course's save or delete and a package's courses changing renew
# (receivers in learning.apps). Agencies whose chain holds no agency with packages of its own (most) share one entry
# per 身份別, so a learner of an agency not seen yet costs cache reads, not queries. A registry import moving an
# agency under another reaches the cache when the entries (and the rule book's agency tree) expire
# (PACKAGES_CACHE_SECONDS).
PACKAGES_GENERATION_KEY = "learning:packages:generation:v1"
PACKAGES_CACHE_SECONDS = 600


def packages_changed(**kwargs) -> None:
    generation_renew(PACKAGES_GENERATION_KEY)


def packages_for(*, user) -> list[CoursePackage]:
    """Packages for everyone, plus those of the learner's agency or any agency above it, for their 身份別."""
    person = getattr(user, "person", None)
    identity_type = person.identity_type if person is not None else ""
    agency_id = person.agency_id if person is not None else None
    stamp = generation(PACKAGES_GENERATION_KEY)
    key = f"learning:packages:v2:{stamp}:{agency_id or ''}:{identity_type}"
    packages = cache.get(key)
    if packages is None:
        owners = cache.get(f"learning:packages:v2:{stamp}:owners")
        if owners is None:
            owners = frozenset(
                CoursePackage.objects.filter(agency__isnull=False).order_by().values_list("agency_id", flat=True)
            )
            cache.set(f"learning:packages:v2:{stamp}:owners", owners, PACKAGES_CACHE_SECONDS)
        chain = set(hours_gaps.agency_chain(agency_id, rulebook=hours_gaps.rulebook_current(agency_id=agency_id)[0]))
        mine = sorted(owners & chain) if agency_id is not None else []
        shared_key = f"learning:packages:v2:{stamp}:of:{','.join(map(str, mine))}:{identity_type}"
        packages = cache.get(shared_key)
        if packages is None:
            packages = [
                p
                for p in CoursePackage.objects.filter(Q(agency__isnull=True) | Q(agency_id__in=mine)).prefetch_related(
                    "courses"
                )
                if not p.identity_type or p.identity_type == identity_type
            ]
            cache.set(shared_key, packages, PACKAGES_CACHE_SECONDS)
        cache.set(key, packages, PACKAGES_CACHE_SECONDS)
    return packages


def _codes(package: CoursePackage) -> set[str]:
    codes: set[str] = set()
    for code in package.category_codes.split():
        codes |= category_subtree(code) or {code}
    return codes


def package_progress(
    *, user, packages: list[CoursePackage], completed: list[tuple[int, str, Decimal]] | None = None
) -> list[PackageProgress]:
    """Each package's progress from the learner's completed courses as (course id, category code, certified hours)
    — read here unless the caller has them already (個人專區 reads the enrolments once)."""
    if completed is None:
        completed = list(
            Enrolment.objects.filter(user=user, completed_at__isnull=False).values_list(
                "course_id", "course__category_code", "course__certified_hours"
            )
        )
    done_ids = {course_id for course_id, _, _ in completed}
    result = []
    for package in packages:
        courses = list(package.courses.all())
        done = [c for c in courses if c.pk in done_ids]
        left_courses = [c for c in courses if c.pk not in done_ids]
        needed = Decimal(package.category_hours or 0) if package.category_codes.strip() else Decimal(0)
        codes = _codes(package)
        got = sum((Decimal(hours) for _, code, hours in completed if code in codes), Decimal(0))
        parts = len(courses) + (1 if needed else 0)
        score = len(done) + (min(Decimal(1), got / needed) if needed else 0)
        percent = 100 if parts == 0 else int(Decimal(score) * 100 / parts)
        left = [_("課程「%(title)s」") % {"title": c.title} for c in left_courses]
        if needed and got < needed:
            left.append(
                _("類別 %(codes)s 尚缺 %(hours)s 小時")
                % {"codes": package.category_codes, "hours": f"{(needed - got).normalize():f}"}
            )
        result.append(PackageProgress(package, percent, done, left_courses, got, needed, left))
    return result


def _may_manage(actor, agency) -> bool:
    if agency is None:
        return bool(actor.is_staff)
    return bool(actor.is_staff) or identity_selectors.user_has_role(actor, agency, "hr")


def package_save(
    *,
    actor,
    agency,
    title: str,
    course_codes: list[str],
    category_codes: str = "",
    category_hours: Decimal = Decimal(0),
    identity_type: str = "",
    description: str = "",
    package: CoursePackage | None = None,
) -> CoursePackage:
    """Create (or, given `package`, replace) a package. Operators for any agency or everyone; an HR officer
    only for an agency they manage. Unknown course codes are refused by name, and nothing is saved."""
    if not _may_manage(actor, agency) or (package is not None and not _may_manage(actor, package.agency)):
        raise PackageError(_("您沒有管理此機關套裝課程的權限"))
    title = title.strip()
    if not title:
        raise PackageError(_("套裝課程名稱：請填寫"))
    codes = list(dict.fromkeys(code.strip() for code in course_codes if code.strip()))
    courses = {c.code: c for c in Course.objects.filter(code__in=codes)}
    missing = [code for code in codes if code not in courses]
    if missing:
        raise PackageError(_("課程代碼：找不到 %(codes)s") % {"codes": ", ".join(missing)})
    if not codes and not category_codes.strip():
        raise PackageError(_("請至少指定一門課程或一個課程類別"))
    if category_codes.strip() and category_hours <= 0:
        raise PackageError(_("類別時數要求：指定課程類別時須大於 0"))
    with transaction.atomic():
        old = None
        if package is None:
            package = CoursePackage(agency=agency)
        else:
            old = {"title": package.title, "courses": sorted(package.courses.values_list("code", flat=True))}
        package.agency = agency
        package.title = title
        package.description = description
        package.identity_type = identity_type.strip()
        package.category_codes = " ".join(category_codes.split())
        package.category_hours = category_hours
        package.save()
        package.courses.set([courses[code] for code in codes])
        audit_record(
            actor=actor,
            action="learning.package_saved",
            subject=package,
            changes={
                "title": [old and old["title"], title],
                "courses": [old and old["courses"], sorted(codes)],
                "category_codes": [None, package.category_codes],
            },
        )
    return package


def manageable_agencies(user) -> list:
    """Agencies whose packages `user` may define: the agencies of their HR role (sub-agencies included)."""
    return sorted(identity_selectors.agencies_managed_by(user, "hr"), key=lambda a: a.code)


def packages_managed(user) -> list[CoursePackage]:
    agencies = manageable_agencies(user)
    condition = Q(agency__in=agencies)
    if user.is_staff:
        condition |= Q(agency__isnull=True)
    return list(CoursePackage.objects.filter(condition).select_related("agency").prefetch_related("courses"))
