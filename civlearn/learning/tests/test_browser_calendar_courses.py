"""行事曆 with an e-learning course in Chromium: the month grid and the list show the course period's last day,
its link opens the course page; zh-Hant and English at 390 and 1280 px, axe-core clean."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from playwright.sync_api import expect

from civlearn.hours.tests.classes_fixtures import at_today
from civlearn.learning.catalogue.services import enrol
from civlearn.learning.tests.conftest import make_course
from civlearn.testing.axe import assert_no_axe_violations
from civlearn.testing.browser import shoot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["zh-hant", "en"])
def test_the_course_period_in_the_calendar(page, live_server, consenting_learner, agency, language):
    at_today()  # 2026-12-01
    course = make_course(agency, class_start=dt.date(2026, 11, 20), class_end=dt.date(2026, 12, 20))
    enrol(user=consenting_learner, course=course)
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    sign_in(page, consenting_learner, live_server.url)
    title = "環境教育：氣候變遷與調適"
    ends = f"上課截止：{title}" if language == "zh-hant" else f"Course period ends: {title}"

    for view in ("month", "list"):
        page.goto(f"/lifelong/folder/calendar/?view={view}&month=2026-12")
        expect(page.get_by_role("link", name=ends).first).to_be_visible()
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            shoot(page, f"calendar-course-{view}-{language}-{width}")
            assert_no_axe_violations(page, f"行事曆 {view} ({language}, {width} px)")
    page.get_by_role("link", name=ends).first.click()
    expect(page).to_have_url(f"{live_server.url}/elearn/courses/EL-ENV-01/")
