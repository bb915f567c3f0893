"""Reads with rules: catalogue search and filters, who may enrol, a learner's enrolments."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from civlearn.core import clock
from civlearn.core.generations import generation, generation_renew
from civlearn.learning.categories import category_subtree
from civlearn.learning.models import Course, Enrolment, search_normalize

# The catalogue's shared fragments (zones, filter options, result pages: learning/catalogue.html) and the course and
# unit pages' (facts, summary, outline: learning/course.html, learning/learn.html) are cached under this generation
# stamp; any change to a course, its zones, its units, its allowed agencies or the zones themselves replaces it
# (receivers in learning.apps, and course_publish's UPDATE), so every process renders the next page afresh. Agency
# renames reach the cached provider names when the fragments expire (CATALOGUE_FRAGMENT_SECONDS).
CATALOGUE_GENERATION_KEY = "learning:catalogue:generation:v1"
CATALOGUE_FRAGMENT_SECONDS = 600


def catalogue_generation() -> str:
    return generation(CATALOGUE_GENERATION_KEY)


def catalogue_changed(**kwargs) -> None:
    """A new generation stamp, now and when the caller's transaction commits."""
    generation_renew(CATALOGUE_GENERATION_KEY)


@dataclass(frozen=True)
class CatalogueFilter:
    query: str = ""
    category: str = ""
    zone: str = ""
    provider: str = ""
    mode: int | None = None
    hours_min: Decimal | None = None
    hours_max: Decimal | None = None


def _bigrams(text: str) -> list[str]:
    return [text[i : i + 2] for i in range(len(text) - 1)]


def _term_condition(term: str) -> Q:
    """One search word: found whole, or (for 3+ characters) every one of its 2-character pieces found.

    Chinese has no spaces between words, so `環保教育` still finds 環境教育 courses that mention 環保 and 教育;
    a 2-character word such as `人權` must appear as is."""
    condition = Q(search_text__contains=term)
    if len(term) > 2:
        pieces = Q()
        for piece in dict.fromkeys(_bigrams(term)):
            pieces &= Q(search_text__contains=piece)
        condition |= pieces
    return condition


def course_search(criteria: CatalogueFilter) -> QuerySet[Course]:
    """Published courses matching every criterion; exact-phrase matches first."""
    courses = Course.objects.filter(is_published=True).select_related("provider_agency")
    words = [search_normalize(word) for word in criteria.query.split()]
    words = [word for word in words if word]
    for word in words:
        # search_text is already lower-cased, so a case-sensitive contains is enough and uses no LOWER().
        courses = courses.filter(_term_condition(word))
    if criteria.category:
        courses = courses.filter(category_code__in=category_subtree(criteria.category) or {criteria.category})
    if criteria.zone:
        courses = courses.filter(Q(zones__slug=criteria.zone) | Q(zones__parent__slug=criteria.zone)).distinct()
    if criteria.provider:
        courses = courses.filter(provider_agency__code=criteria.provider)
    if criteria.mode:
        courses = courses.filter(mode=criteria.mode)
    if criteria.hours_min is not None:
        courses = courses.filter(certified_hours__gte=criteria.hours_min)
    if criteria.hours_max is not None:
        courses = courses.filter(certified_hours__lte=criteria.hours_max)
    return courses.order_by("-production_year", "code")


def enrolment_refusal(*, user, course: Course) -> str:
    """Why this person may not enrol now, or "" when they may. Messages are shown as they are."""
    if not course.is_published:
        return _("本課程未開放")
    today = clock.today()
    if course.enrol_start and today < course.enrol_start:
        return _("尚未開始報名")
    if course.enrol_end and today > course.enrol_end:
        return _("報名期間已結束")
    if not course.open_to_all:
        person = getattr(user, "person", None)
        if person is None:
            return _("本課程限定機關人員報名，您的帳號沒有機關資料")
        allowed = set(course.allowed_agencies.values_list("pk", flat=True))
        agency = person.agency
        while agency is not None and agency.pk not in allowed:
            agency = agency.parent
        if agency is None:
            return _("本課程限定特定機關人員報名，您的服務機關不在開放名單內")
    mine = Enrolment.objects.filter(user=user, course=course)
    if mine.filter(year=today.year).exists():
        return _("您已報名本課程")
    if mine.filter(completed_at__isnull=False).exists() and not course.recertifiable:
        return _("您已完成本課程，本課程不開放再次認證")
    if mine.filter(completed_at__isnull=True).exists():
        return _("您已報名本課程")
    return ""


def enrolment_current(*, user, course: Course) -> Enrolment | None:
    """The learner's enrolment to continue: this year's, or an unfinished one from an earlier year."""
    if not getattr(user, "is_authenticated", False):
        return None
    mine = Enrolment.objects.filter(user=user, course=course).order_by("-year")
    return mine.filter(year=clock.today().year).first() or mine.filter(completed_at__isnull=True).first()


def enrolments_of(*, user) -> QuerySet[Enrolment]:
    return (
        Enrolment.objects.filter(user=user)
        .select_related("course", "course__provider_agency", "certificate")
        .order_by("completed_at", "-enrolled_at")
    )
