"""行事曆 shows the study period of the e-learning courses a person is enrolled in (learning's calendar source,
`settings.HOURS_CALENDAR_SOURCES`): month view, list view and the iCalendar feed; a completed course drops out."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from icalendar import Calendar

from civlearn.core import clock
from civlearn.hours.tests.classes_fixtures import at_today
from civlearn.learning.catalogue.services import enrol
from civlearn.learning.tests.conftest import make_course
from conftest import PASSWORD

TITLE = "環境教育：氣候變遷與調適"


@pytest.fixture
def enrolled(consenting_learner, agency):
    at_today()  # 2026-12-01
    course = make_course(
        agency,
        enrol_start=dt.date(2026, 11, 1),
        enrol_end=dt.date(2026, 12, 10),
        class_start=dt.date(2026, 11, 20),
        class_end=dt.date(2026, 12, 20),
    )
    return enrol(user=consenting_learner, course=course)


def _feed(client) -> Calendar:
    page = client.post("/lifelong/folder/calendar/", {"action": "renew"}).content.decode()
    found = re.search(r'id="feed-address" readonly value="([^"]+)"', page)
    assert found is not None, page
    address = found.group(1)
    client.logout()
    response = client.get(address.split("testserver", 1)[1])
    assert response.status_code == 200
    return Calendar.from_ical(response.content)


def test_month_list_and_feed_show_the_course_period(client, consenting_learner, enrolled):
    assert client.login(username=consenting_learner.person.national_id, password=PASSWORD)
    month = client.get("/lifelong/folder/calendar/", {"month": "2026-12"}).content.decode()
    # the last day, linked to the course page; the first day (November) is not in December's grid
    assert f'<a href="/elearn/courses/EL-ENV-01/">上課截止：{TITLE}</a>' in month
    assert f"上課開始：{TITLE}" not in month
    november = client.get("/lifelong/folder/calendar/", {"month": "2026-11"}).content.decode()
    assert f'<a href="/elearn/courses/EL-ENV-01/">上課開始：{TITLE}</a>' in november

    listing = client.get("/lifelong/folder/calendar/", {"view": "list"}).content.decode()
    assert re.search(r"115/12/20</span>\s*<a href=\"/elearn/courses/EL-ENV-01/\">上課截止：" + TITLE, listing)

    calendar = _feed(client)
    courses = sorted(
        (str(e["summary"]), e.decoded("dtstart"), e.decoded("dtend"), str(e["url"]), str(e["uid"]))
        for e in calendar.walk("VEVENT")
        if "上課" in str(e["summary"])
    )
    course_id = enrolled.course_id
    assert courses == [
        (
            f"上課截止：{TITLE}",
            dt.date(2026, 12, 20),
            dt.date(2026, 12, 21),
            "http://testserver/elearn/courses/EL-ENV-01/",
            f"course-{course_id}-end@civlearn",
        ),
        (
            f"上課開始：{TITLE}",
            dt.date(2026, 11, 20),
            dt.date(2026, 11, 21),
            "http://testserver/elearn/courses/EL-ENV-01/",
            f"course-{course_id}-start@civlearn",
        ),
    ]


def test_the_feed_carries_titles_and_times_only(client, consenting_learner, enrolled):
    assert client.login(username=consenting_learner.person.national_id, password=PASSWORD)
    calendar = _feed(client)
    text = calendar.to_ical().decode()
    person = consenting_learner.person
    for personal in (person.national_id, person.name, person.email, f"{person.birthday:%Y%m%d}"):
        assert personal and personal not in text
    allowed = {"UID", "DTSTAMP", "SUMMARY", "DTSTART", "DTEND", "LOCATION", "URL"}
    for event in calendar.walk("VEVENT"):
        assert set(event.keys()) <= allowed


def test_a_completed_course_drops_out(client, consenting_learner, enrolled):
    enrolled.completed_at = clock.now()
    enrolled.save(update_fields=["completed_at"])
    assert client.login(username=consenting_learner.person.national_id, password=PASSWORD)
    month = client.get("/lifelong/folder/calendar/", {"month": "2026-12"}).content.decode()
    assert "上課截止" not in month
    assert "年度學習時數截止" in month  # the rest of the calendar is still there
    summaries = [str(e["summary"]) for e in _feed(client).walk("VEVENT")]
    assert summaries and not [s for s in summaries if "上課" in s]


def test_another_persons_enrolment_is_not_shown(client, agency, enrolled):
    from conftest import make_account, make_person

    other = make_account(make_person(agency, "B123456780", "李大華", email="dahua@example.tw"))
    assert client.login(username=other.person.national_id, password=PASSWORD)
    month = client.get("/lifelong/folder/calendar/", {"month": "2026-12"}).content.decode()
    assert "上課截止" not in month


def test_more_courses_cost_no_more_queries(client, consenting_learner, agency, enrolled):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert client.login(username=consenting_learner.person.national_id, password=PASSWORD)
    with CaptureQueriesContext(connection) as one:
        client.get("/lifelong/folder/calendar/", {"month": "2026-12"})
    for n in range(2, 5):
        course = make_course(
            agency, code=f"EL-ENV-0{n}", class_start=dt.date(2026, 12, n), class_end=dt.date(2026, 12, 20 + n)
        )
        enrol(user=consenting_learner, course=course)
    with CaptureQueriesContext(connection) as four:
        month = client.get("/lifelong/folder/calendar/", {"month": "2026-12"}).content.decode()
    assert month.count("上課截止：") >= 4
    assert len(four.captured_queries) == len(one.captured_queries)
