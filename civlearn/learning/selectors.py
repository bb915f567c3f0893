"""What other apps and the operations side may read from the learning app."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.cache import cache
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from civlearn.hours.classes.calendar import Event
from civlearn.learning.models import Course
from civlearn.learning.reading.flusher import STATUS_KEY


def flusher_status() -> dict[str, Any] | None:
    """The reading-time flusher's last report, `{"ok": bool, "at": ISO time, "error": str}`, or None when it has
    not reported (not running, or its report expired). Raises what the cache raises when the cache is down."""
    status = cache.get(STATUS_KEY)
    return status if isinstance(status, dict) else None


def calendar_course_events(*, person, start: dt.date, end: dt.date) -> list[Event]:
    """行事曆 source (`settings.HOURS_CALENDAR_SOURCES`): the study period of each e-learning course the person is
    enrolled in and has not completed — an all-day event on its first day (上課開始) and one on its last day
    (上課截止), each between `start` and `end` inclusive, linked to the course page. A completed enrolment drops
    out. Only the course title and the dates: the feed goes to third-party calendars."""
    courses = (
        Course.objects.filter(enrolments__user__person=person, enrolments__completed_at__isnull=True)
        .filter(Q(class_start__range=(start, end)) | Q(class_end__range=(start, end)))
        .distinct()
        .only("pk", "code", "title", "class_start", "class_end")
    )
    events = []
    for course in courses:
        url = reverse("learning:course", args=[course.code])
        for day, uid, label in (
            (course.class_start, "start", _("上課開始：%(title)s")),
            (course.class_end, "end", _("上課截止：%(title)s")),
        ):
            if day is not None and start <= day <= end:
                events.append(
                    Event(
                        uid=f"course-{course.pk}-{uid}@civlearn",
                        title=label % {"title": course.title},
                        start=day,
                        end=day + dt.timedelta(days=1),
                        url=url,
                        kind="deadline" if uid == "end" else "course",
                    )
                )
    return events
