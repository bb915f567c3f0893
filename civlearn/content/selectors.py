"""Reads with rules: which announcements a viewer sees on a face today, the published downloads, help search."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from civlearn.content.models import Announcement, Audience, Download, HelpPage
from civlearn.core import clock
from civlearn.core.text import search_fold
from civlearn.identity import selectors as identity_selectors

FACES = ("ecpa", "elearn", "lifelong")


def audiences_of(user) -> set[str]:
    """The audiences `user` belongs to: everyone; learners (an account tied to a registry person); HR officers and
    learning institutions' staff (course providers) by their agency roles; operators (staff accounts)."""
    found = {Audience.EVERYONE.value}
    if user is None or not user.is_authenticated:
        return found
    if user.person_id:
        found.add(Audience.LEARNERS.value)
    roles = identity_selectors.agency_roles_of(user)
    if "hr" in roles:
        found.add(Audience.HR.value)
    if "provider" in roles:
        found.add(Audience.INSTITUTIONS.value)
    if user.is_staff:
        found.add(Audience.OPERATORS.value)
    return found


def announcements_current(
    *, face: str, user=None, limit: int | None = 10, signin_page: bool = False
) -> list[Announcement]:
    """What `user` (anonymous when None) sees on `face` today: published, inside its period, for one of the
    viewer's audiences and — when the announcement names agencies — of the viewer's agency (operators see all);
    pinned first, then newest first. `signin_page` keeps only those pinned to the eCPA sign-in page."""
    if face not in FACES:
        raise ValueError(f"unknown face {face!r}")
    today = clock.today()
    audiences = audiences_of(user)
    items = (
        Announcement.objects.filter(is_published=True, published_on__lte=today, **{f"on_{face}": True})
        .filter(Q(show_until__isnull=True) | Q(show_until__gte=today))
        .filter(audience__in=audiences)
    )
    if signin_page:
        items = items.filter(on_signin_page=True)
    if Audience.OPERATORS.value not in audiences:
        agency_id = getattr(getattr(user, "person", None), "agency_id", None)
        open_to_all = ~Q(pk__in=Announcement.agencies.through.objects.values("announcement_id"))
        items = items.filter(open_to_all | Q(agencies__id=agency_id) if agency_id else open_to_all).distinct()
    items = items.order_by("-pinned", "-published_on", "-id").prefetch_related("attachments")
    return list(items[:limit] if limit else items)


def announcement_visible(*, face: str, user, pk: int) -> Announcement | None:
    """One announcement if `user` may see it on `face` today, else None (the detail page's 404)."""
    return next((item for item in announcements_current(face=face, user=user, limit=None) if item.pk == pk), None)


def help_page_published(*, slug: str, site: bool = False) -> HelpPage | None:
    """A published help page by slug, or None: a site page (網站宗旨, 本系統使用對象) when `site`, else a help page."""
    pages = HelpPage.objects.filter(slug=slug, is_published=True)
    pages = pages.filter(section=HelpPage.SITE) if site else pages.exclude(section=HelpPage.SITE)
    return pages.first()


def downloads_published() -> QuerySet[Download]:
    return Download.objects.filter(is_published=True).order_by("category", "order", "-uploaded_at", "id")


def help_pages(*, section: str | None = None, query: str = "") -> QuerySet[HelpPage]:
    """Published help pages, optionally one section's, optionally matching `query` (every space-separated word,
    folded with `core.text.search_fold` like the stored text: 台中 finds 臺中). Without a section: the help
    sections only (the portal's site pages are not help)."""
    pages = HelpPage.objects.filter(is_published=True)
    pages = pages.filter(section=section) if section else pages.exclude(section=HelpPage.SITE)
    for word in (query or "").split():
        folded = search_fold(word)
        if folded:
            pages = pages.filter(search_text__contains=folded)
    return pages.order_by("section", "order", "id")
