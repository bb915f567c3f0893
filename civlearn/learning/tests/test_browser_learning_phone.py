"""e等公務園+ on a phone (390 × 844) and on a desktop (1280 px), in zh-Hant and English: screenshots of the key
pages for people to look at, axe-core's WCAG 2.0/2.1 A and AA rules with zero violations, the header's collapsible
menu, the lesson above the fold, the test's error summary and the progress box that updates without a reload."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import expect

from civlearn.core import clock
from civlearn.demo.learning import seed
from civlearn.identity.models import AgencyRole
from civlearn.learning.assessment.services import attempt_start
from civlearn.learning.catalogue.services import enrol
from civlearn.learning.completion.consent import consent_record
from civlearn.learning.models import Course, Enrolment, Unit
from civlearn.testing.axe import assert_no_axe_violations
from civlearn.testing.browser import shoot

from .test_browser_learning import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def use_language(page, live_server, language: str) -> None:
    page.context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )


@pytest.fixture
def journey(learner, settings):
    """The demo catalogue; the learner agreed to the terms, is enrolled in one course with a test attempt open,
    and provides courses for its agency."""
    settings.LEARNING_HEARTBEAT_SECONDS = 3600
    courses = {c.code: c for c in seed()}
    consent_record(user=learner, share_hours=True)
    course = courses["DEMO-ENV-01"]
    enrolment = enrol(user=learner, course=course)
    attempt_start(user=learner, enrolment=enrolment, unit=course.units.get(kind=Unit.TEST))
    AgencyRole.objects.create(user=learner, agency=course.provider_agency, role=AgencyRole.PROVIDER)
    return course


def key_pages(course: Course) -> dict[str, str]:
    units = {u.kind: u for u in course.units.order_by("-order")}
    return {
        "catalogue": "/elearn/",
        "course": f"/elearn/courses/{course.code}/",
        "learn": f"/elearn/courses/{course.code}/learn/",
        "test": f"/elearn/courses/{course.code}/learn/{units[Unit.TEST].pk}/",
        "questionnaire": f"/elearn/courses/{course.code}/learn/{units[Unit.QUESTIONNAIRE].pk}/",
        "my-courses": "/elearn/my/",
        "dashboard": "/elearn/home/",
        "records": "/elearn/home/records/",
        "charts": "/elearn/home/records/charts/",
        "terms": "/elearn/terms/",
        "verify": "/elearn/verify/",
        "teach": "/elearn/home/teach/",
    }


@pytest.mark.parametrize("language", ["zh-hant", "en"])
def test_key_pages_fit_a_phone_and_pass_axe(page, live_server, learner, journey, language):
    page.context.add_cookies([session_cookie(learner, live_server)])
    use_language(page, live_server, language)
    for name, url in key_pages(journey).items():
        for label, viewport in (("390", PHONE), ("1280", DESKTOP)):
            page.set_viewport_size(viewport)
            page.goto(url)
            # Nothing scrolls sideways: the page is no wider than the screen.
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{name} at {label} px is {width} px wide"
            shoot(page, f"learning-{label}-{language}-{name}")
        assert_no_axe_violations(page, f"{name} ({language}, 1280 px)")
        page.set_viewport_size(PHONE)
        page.goto(url)
        assert_no_axe_violations(page, f"{name} ({language}, 390 px)")


def test_the_phone_header_folds_behind_a_menu_button_and_the_lesson_is_above_the_fold(
    page, live_server, learner, journey
):
    page.context.add_cookies([session_cookie(learner, live_server)])
    page.set_viewport_size(PHONE)
    page.goto(f"/elearn/courses/{journey.code}/learn/")
    menu = page.get_by_role("button", name="選單")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("link", name="我的課程", exact=True)).to_be_hidden()
    # the lesson's heading and its first paragraph are on the first screen
    heading = page.locator("h1")
    box = heading.bounding_box()
    assert box is not None and box["y"] + box["height"] < PHONE["height"]
    first = page.locator("article.unit p").first.bounding_box()
    assert first is not None and first["y"] < PHONE["height"]
    # the heading comes before the sidebar's headings in the document
    order = page.evaluate("() => [...document.querySelectorAll('main h1, main h2')].map(h => h.tagName)")
    assert order[0] == "H1"
    shoot(page, "learning-390-learn-menu-closed")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="我的課程", exact=True)).to_be_visible()
    expect(page.locator("[data-badge]")).to_contain_text("點")
    shoot(page, "learning-390-learn-menu-open")
    assert_no_axe_violations(page, "learn page, phone, menu open")


def test_the_menu_is_open_without_javascript(browser, live_server, learner, journey):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url, viewport=PHONE, locale="zh-TW")
    try:
        page = context.new_page()
        page.context.add_cookies([session_cookie(learner, live_server)])
        page.goto("/elearn/")
        expect(page.get_by_role("link", name="我的課程", exact=True)).to_be_visible()
        shoot(page, "learning-390-catalogue-no-js")
    finally:
        context.close()


def test_a_test_handed_in_with_unanswered_questions_lists_them_all(page, live_server, learner, journey):
    page.context.add_cookies([session_cookie(learner, live_server)])
    unit = journey.units.get(kind=Unit.TEST)
    questions = unit.questions.count()
    page.goto(f"/elearn/courses/{journey.code}/learn/{unit.pk}/")
    page.get_by_role("button", name="交卷").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(f"有 {questions} 題需要修正，請檢查後再送出")
    expect(summary.get_by_role("listitem")).to_have_count(questions)
    for number in range(1, questions + 1):
        expect(summary.get_by_role("link", name=f"第 {number} 題尚未作答")).to_be_visible()
    assert page.title().startswith("錯誤：")
    invalid = page.locator("fieldset[aria-invalid=true]")
    expect(invalid).to_have_count(questions)
    for index in range(questions):
        fieldset = invalid.nth(index)
        described = fieldset.get_attribute("aria-describedby")
        expect(page.locator(f"#{described}")).to_have_text(f"第 {index + 1} 題尚未作答")
    shoot(page, "learning-1280-test-errors")
    assert_no_axe_violations(page, "test with unanswered questions")
    # the summary's link takes the learner to the question
    summary.get_by_role("link", name="第 2 題尚未作答").click()
    assert page.evaluate("() => location.hash") == f"#{invalid.nth(1).get_attribute('id')}"


def test_the_progress_box_updates_when_the_reading_condition_is_met(page, live_server, learner, journey, settings):
    # given a one-minute reading requirement and one-second heartbeats (the test and questionnaire still to do)
    settings.LEARNING_HEARTBEAT_SECONDS = 1
    Course.objects.filter(pk=journey.pk).update(required_reading_minutes=1)
    page.context.add_cookies([session_cookie(learner, live_server)])
    page.goto(f"/elearn/courses/{journey.code}/learn/")
    reading = page.locator("[data-condition=reading]")
    expect(reading).to_have_class("pending")
    expect(page.locator("[data-percent]")).to_have_text("0%")
    page.evaluate("() => { window.notReloaded = true; }")
    # when a minute passes on the server's clock
    clock.advance(dt.timedelta(seconds=61))
    # then the reading condition shows met and the percentage is 1 of 3 conditions, without a reload
    expect(reading).to_have_class("status-ok", timeout=8000)
    expect(page.locator("[data-percent]")).to_have_text("33%")
    expect(page.locator("[data-reading]")).to_have_text("1 分鐘 / 1 分鐘")
    assert page.evaluate("() => window.notReloaded") is True
    assert Enrolment.objects.get(user=learner, course=journey).completed_at is None
    shoot(page, "learning-1280-progress-live")
