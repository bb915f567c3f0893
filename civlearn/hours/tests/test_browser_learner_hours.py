import pytest

from civlearn.core import clock
from civlearn.hours.tests.factories import record, record_manual_113, taipei
from civlearn.testing.browser import artifacts_dir, shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_learner_filters_by_keyboard_and_prints(page, live_server, learner):
    clock.advance(taipei(2024, 3, 21, 10) - clock.now())
    record_manual_113(learner.person)
    record(learner.person, course_name="去年的環境教育", code="337", hours="4", end=taipei(2023, 5, 1))
    page.context.add_cookies([_session_cookie(learner, live_server)])

    page.goto("/lifelong/folder/hours/")
    assert page.get_by_role("row", name="通過總學習時數 20小時").is_visible()
    shoot(page, "hours-learner-113.png")

    year = page.get_by_label("年度：")
    year.fill("112")
    year.press("Enter")
    page.wait_for_url("**year=112**")
    assert page.get_by_role("row", name="通過總學習時數 4小時").is_visible()
    assert page.get_by_role("cell", name="去年的環境教育").is_visible()

    page.goto("/lifelong/folder/")
    assert page.get_by_role("heading", name="113年度摘要").is_visible()
    shoot(page, "hours-summary.png")

    page.goto("/lifelong/folder/hours/print/?year=113")
    page.emulate_media(media="print")
    assert not page.get_by_role("button", name="列印").is_visible()
    shoot(page, "hours-print-113.png")
    if folder := artifacts_dir():
        page.pdf(path=str(folder / "hours-print-113.pdf"), format="A4")


def _session_cookie(user, live_server):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": live_server.url}  # fmt: skip
