"""The Content-Security-Policy breaks nothing: key pages of the three faces run in Chromium without one violation
(a blocked inline script, style, handler, frame or request would show up here before a user meets it)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from civlearn.hours.tests.factories import record_manual_113
from civlearn.learning.completion.consent import consent_record
from civlearn.learning.tests import scorm_packages as testing
from civlearn.testing.browser import shoot, sign_in, watch_csp
from conftest import PASSWORD

scorm_dir, provider, scorm_course = testing.scorm_dir, testing.provider, testing.scorm_course
enrolled = testing.enrolled

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_sign_in_page_and_a_password_sign_in(page, learner):
    watch = watch_csp(page)
    page.goto("/ecpa/signin")
    # site.js and the certificate section's script run under the policy
    section = page.get_by_role("region", name="帳號密碼登入")
    section.get_by_label("帳號", exact=True).fill("A123456789")
    section.get_by_label("密碼", exact=True).fill(PASSWORD)
    shoot(page, "csp-signin")
    section.get_by_role("button", name="登入", exact=True).click()
    page.wait_for_url("**/ecpa/")
    assert watch.violations == []


def test_the_dashboard_the_scorm_player_and_the_hours_page(
    page, live_server, settings, learner, learner_person, scorm_dir, provider, scorm_course, enrolled
):
    # The platform on http://localhost:PORT, SCORM content on http://127.0.0.1:PORT (a separate origin).
    settings.SCORM_CONTENT_ORIGIN = live_server.url.replace("localhost", "127.0.0.1")
    package = testing.upload(actor=provider, course=scorm_course, data=testing.package_12())
    record_manual_113(learner_person)
    consent_record(user=learner, share_hours=True)
    watch = watch_csp(page)
    sign_in(page, learner, live_server.url)

    page.goto("/elearn/home/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shoot(page, "csp-dashboard")
    page.get_by_role("link", name="學習紀錄", exact=True).first.click()
    page.get_by_role("link", name="統計圖表").click()
    expect(page.locator("[data-table=month]")).to_be_visible()
    page.goto("/elearn/home/goals/")
    page.goto("/elearn/home/profile/")

    # The course page: its progress bar is a native <progress>, not an inline style
    page.goto(f"/elearn/courses/{scorm_course.code}/")
    # (reading time: 0 of 0 minutes is met, the SCORM unit is not: 50 %)
    expect(page.get_by_role("progressbar", name="完成百分比")).to_have_attribute("value", "50")

    # The SCORM unit: the page frames the player (content origin), which frames the SCO and runs scorm-again
    page.goto(f"/elearn/scorm/{package.unit_id}/")
    sco = page.frame_locator("#scorm-frame").frame_locator("#content")
    expect(sco.locator("#entry")).to_have_text("ab-initio")
    sco.locator("#pass").click()
    expect(sco.locator("#last")).to_have_text("true 0")
    shoot(page, "csp-scorm-player")

    page.goto("/lifelong/folder/hours/?year=113")
    expect(page.get_by_role("row", name="通過總學習時數 20小時")).to_be_visible()
    shoot(page, "csp-hours")
    page.goto("/lifelong/folder/hours/print/?year=113")
    expect(page.get_by_role("button", name="列印")).to_be_visible()  # shown by print-button.js

    assert watch.violations == []


def test_the_watch_sees_a_blocked_inline_script(page, db):
    # The control: an inline script without the nonce is refused by the policy and reported.
    watch = watch_csp(page)
    page.goto("/ecpa/signin")
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1'; "
                  "document.body.appendChild(s); }")  # fmt: skip
    expect(page.locator("body")).to_be_visible()
    assert page.evaluate("() => window.ran") is None
    for _ in range(20):  # the event reaches the test asynchronously
        if watch.violations:
            break
        page.wait_for_timeout(100)
    assert any(" script-src-elem inline " in text for text in watch.violations), watch.violations


def test_the_admin(page, live_server, operator):
    watch = watch_csp(page)
    sign_in(page, operator, live_server.url)
    page.goto("/admin/")
    expect(page.locator("#site-name")).to_be_visible()
    page.goto("/admin/registry/agency/add/")
    expect(page.locator("#agency_form")).to_be_visible()
    shoot(page, "csp-admin-add")
    assert watch.violations == []
