"""行事曆: a person's registered classes and sessions, the yearly hours deadline, and what higher apps add (the
e-learning courses' study periods), as a month/list page and as an iCalendar feed (RFC 5545, the `icalendar`
library) at a secret, renewable address.

Higher apps add events through `settings.HOURS_CALENDAR_SOURCES`: dotted paths of callables
`(*, person, start, end) -> Iterable[Event]`, the way Django names its backends. hours never imports learning
(docs/architecture.md); learning's source (`learning.selectors.calendar_course_events`) imports `Event` from here.
An event carries a title, times, a place and a link only: the feed is read by third-party calendar services.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from civlearn.core import clock
from civlearn.core.services import audit_record
from civlearn.hours.models import CalendarFeed, ClassSession, Registration


@dataclass(frozen=True)
class Event:
    uid: str
    title: str
    start: dt.datetime | dt.date
    end: dt.datetime | dt.date
    where: str = ""
    url: str = ""
    kind: str = "session"  # "session" (has times), "deadline" or "course" (all-day: `start` and `end` are dates)

    @property
    def day(self) -> dt.date:
        return timezone.localtime(self.start).date() if isinstance(self.start, dt.datetime) else self.start


CalendarSource = Callable[..., Iterable[Event]]


def calendar_sources() -> list[CalendarSource]:
    """The callables named in `settings.HOURS_CALENDAR_SOURCES`, each called as `source(person=…, start=…, end=…)`
    and returning the events whose day lies between `start` and `end` inclusive."""
    return [import_string(path) for path in settings.HOURS_CALENDAR_SOURCES]


def events_for(*, person, start: dt.date, end: dt.date) -> list[Event]:
    """Sessions of the person's registered (or pending) classes, the yearly hours deadline (31 Dec) and the events
    of every calendar source between `start` and `end` inclusive, in time order."""
    sessions = (
        ClassSession.objects.filter(
            offering__registrations__person=person,
            offering__registrations__status__in=Registration.SEATED,
            starts_at__date__gte=start - dt.timedelta(days=1),
            starts_at__date__lte=end + dt.timedelta(days=1),
        )
        .select_related("offering", "offering__institution")
        .order_by("starts_at")
        .distinct()
    )
    events = [
        Event(
            uid=f"session-{s.pk}@civlearn",
            title=s.offering.title,
            start=s.starts_at,
            end=s.ends_at,
            where=s.offering.place or s.offering.online_link,
            url=f"/lifelong/classes/{s.offering_id}",
        )
        for s in sessions
        if start <= timezone.localtime(s.starts_at).date() <= end
    ]
    for year in range(start.year, end.year + 1):
        deadline = dt.date(year, 12, 31)
        if start <= deadline <= end:
            events.append(
                Event(
                    uid=f"hours-deadline-{year}@civlearn",
                    title=_("年度學習時數截止"),
                    start=deadline,
                    end=deadline + dt.timedelta(days=1),
                    kind="deadline",
                )
            )
    for source in calendar_sources():
        events.extend(source(person=person, start=start, end=end))
    return sorted(events, key=lambda e: (e.day, str(e.start)))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_renew(*, actor, person) -> str:
    """A new secret address token for the person's own feed (the old one stops working). Returns the token."""
    if getattr(actor, "person_id", None) != person.pk:
        raise PermissionError("只能管理自己的行事曆訂閱")
    token = secrets.token_urlsafe(32)
    with transaction.atomic(durable=True):
        feed, created = CalendarFeed.objects.update_or_create(
            person=person, defaults={"token_hash": _hash(token), "created_at": clock.now()}
        )
        audit_record(
            actor=actor, action="hours.calendar_feed_renew", subject=feed, changes={"renewed": [not created, True]}
        )
    return token


def feed_revoke(*, actor, person) -> None:
    if getattr(actor, "person_id", None) != person.pk:
        raise PermissionError("只能管理自己的行事曆訂閱")
    with transaction.atomic(durable=True):
        feed = CalendarFeed.objects.filter(person=person).first()
        if feed is not None:
            audit_record(
                actor=actor, action="hours.calendar_feed_revoke", subject=feed, changes={"active": [True, False]}
            )
            feed.delete()


def feed_person(token: str):
    feed = CalendarFeed.objects.select_related("person").filter(token_hash=_hash(token or "")).first()
    return feed.person if feed else None


def ics(*, person, site: str) -> bytes:
    """The person's calendar from a year back to a year ahead, as an iCalendar document."""
    from icalendar import Calendar
    from icalendar import Event as IcsEvent

    calendar = Calendar()
    calendar.add("prodid", "-//civlearn//終身學習入口網站 行事曆//ZH-TW")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "終身學習行事曆")
    today = clock.today()
    stamp = clock.now()
    for event in events_for(person=person, start=today - dt.timedelta(days=366), end=today + dt.timedelta(days=366)):
        item = IcsEvent()
        item.add("uid", event.uid)
        item.add("dtstamp", stamp)
        item.add("summary", event.title)
        item.add("dtstart", event.start)
        item.add("dtend", event.end)
        if event.where:
            item.add("location", event.where)
        if event.url:
            item.add("url", site + event.url)
        calendar.add_component(item)
    return calendar.to_ical()
