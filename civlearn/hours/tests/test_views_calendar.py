"""行事曆: month and list views, and the iCalendar feed at a secret renewable address, parsed back."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from icalendar import Calendar

from civlearn.hours.classes import offerings, registration
from civlearn.hours.tests.classes_fixtures import approved_institution, at_today, class_row
from conftest import PASSWORD


@pytest.fixture
def registered(learner, operator):
    at_today()
    institution = approved_institution(operator)
    offering = offerings.offerings_save(actor=operator, institution=institution, records=[(2, class_row())]).offerings[
        0
    ]
    registration.register(actor=learner, offering=offering)
    return offering


def test_month_list_and_feed(client, learner, registered, second_person):
    assert client.login(username=learner.person.national_id, password=PASSWORD)
    month = client.get("/lifelong/folder/calendar/", {"month": "2026-12"}).content.decode()
    assert "115 年 12 月" in month
    assert month.count("臺中氣候變遷與環境教育研習班") >= 2  # two sessions on the 15th
    assert "年度學習時數截止" in month
    listing = client.get("/lifelong/folder/calendar/", {"view": "list"}).content.decode()
    assert "115/12/15" in listing and "09:00–12:00" in listing

    # a subscription address, shown once; the feed parses and holds both sessions and the deadline
    page = client.post("/lifelong/folder/calendar/", {"action": "renew"}).content.decode()
    address = re.search(r'id="feed-address" readonly value="([^"]+)"', page).group(1)
    path = address.split("testserver", 1)[1]
    client.logout()
    response = client.get(path)
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    events = sorted((str(e["summary"]), e.decoded("dtstart")) for e in calendar.walk("VEVENT"))
    # a year back and a year ahead: the 2025 and 2026 deadlines
    assert [title for title, _ in events] == ["年度學習時數截止"] * 2 + ["臺中氣候變遷與環境教育研習班"] * 2
    deadlines = sorted(str(start) for title, start in events if title == "年度學習時數截止")
    assert deadlines == ["2025-12-31", "2026-12-31"]
    starts = sorted(
        start.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
        for title, start in events
        if title != "年度學習時數截止"
    )
    assert starts == ["2026-12-15 09:00", "2026-12-15 13:00"]

    # renewing makes the old address stop; revoking stops the feed
    assert client.login(username=learner.person.national_id, password=PASSWORD)
    page = client.post("/lifelong/folder/calendar/", {"action": "renew"}).content.decode()
    newer = re.search(r'id="feed-address" readonly value="([^"]+)"', page).group(1).split("testserver", 1)[1]
    assert client.get(path).status_code == 404
    assert client.get(newer).status_code == 200
    client.post("/lifelong/folder/calendar/", {"action": "revoke"})
    assert client.get(newer).status_code == 404
    assert client.get("/lifelong/calendar/not-a-token.ics").status_code == 404
