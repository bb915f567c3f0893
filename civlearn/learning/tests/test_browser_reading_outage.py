"""In Chromium: while the reading-time store (Redis) is unreachable, the course page still opens and tells the
learner, in a status region, that reading time is paused; when it is back, the message goes and time is credited."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from civlearn.core import clock
from civlearn.learning.catalogue.services import enrol
from civlearn.testing.browser import shoot

from .reading_fixtures import reading_store  # noqa: F401  (a fixture)
from .test_browser_learning import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("reading_store", ["redis"], indirect=True)
def test_the_page_says_when_reading_time_cannot_be_credited(
    reading_store,  # noqa: F811
    page,
    live_server,
    consenting_learner,
    course,
    settings,
):
    # given a learner on a course page that beats every second
    settings.LEARNING_HEARTBEAT_SECONDS = 1
    working_redis = settings.REDIS_URL
    enrol(user=consenting_learner, course=course)
    page.context.add_cookies([session_cookie(consenting_learner, live_server)])
    page.goto(f"/elearn/courses/{course.code}/learn/")
    status = page.get_by_role("status").filter(has_text="閱讀計時")
    expect(status).to_be_hidden()

    # when Redis goes away, the next beat is refused and the page says so
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    expect(page.get_by_text("閱讀計時暫時無法使用，稍後會自動重試")).to_be_visible(timeout=5000)
    shoot(page, "learning-reading-paused.png")

    # when it is back, the message goes and the minute is credited
    settings.REDIS_URL = working_redis
    clock.advance(dt.timedelta(seconds=61))
    expect(page.get_by_text("閱讀計時暫時無法使用，稍後會自動重試")).to_be_hidden(timeout=5000)
    expect(page.locator("[data-reading]")).to_have_text("1 分鐘 / 10 分鐘", timeout=5000)
