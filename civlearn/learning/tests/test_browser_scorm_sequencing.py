"""SCORM 2004 sequencing in Chromium: a course with forced sequential order and a pre-test that skips the lessons
when passed plays as its author intended — the engine (scorm-again, in the player) decides what is delivered, the
platform's buttons and table of contents follow its answers, a suspended attempt resumes, and the course
completes by the root's rollup."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from civlearn.core.models import AuditEvent
from civlearn.learning.models import Enrolment, ScormAttempt, ScormSequencing
from civlearn.learning.tests import scorm_packages as testing
from civlearn.learning.tests import test_browser_scorm as browser_scorm
from civlearn.learning.tests.scorm_packages import upload
from civlearn.testing.browser import shoot

content_frame, sign_in, origins = browser_scorm.content_frame, browser_scorm.sign_in, browser_scorm.origins
scorm_dir, provider, scorm_course, enrolled = (
    testing.scorm_dir,
    testing.provider,
    testing.scorm_course,
    testing.enrolled,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def current_item(page):
    return page.locator(".scorm-outline [aria-current=page]")


def wait_until(check, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def sequencing_of(enrolment) -> ScormSequencing:
    return ScormSequencing.objects.get(enrolment=enrolment)


def test_forced_order_course_whose_pre_test_is_passed_skips_the_lessons_and_completes(
    page, origins, scorm_dir, provider, scorm_course, enrolled, learner
):
    # given a SCORM 2004 course: 前測, 第 1 課, 第 2 課, 後測 in forced order (choice off, flow on), the lessons
    # skipped when the pre-test is passed
    package = upload(actor=provider, course=scorm_course, data=testing.package_2004_pretest())
    sign_in(page, learner, origins[0])
    page.goto(f"/elearn/scorm/{package.unit_id}/")
    sco = content_frame(page)
    # then the course starts at the pre-test, and the runtime answers adl.nav.request_valid.* as the engine does
    expect(current_item(page)).to_have_text("前測")
    expect(page.locator("#sco-title")).to_have_text("前測")
    expect(sco.locator("#entry")).to_have_text("ab-initio")
    expect(sco.locator("#can-continue")).to_have_text("true")
    expect(sco.locator("#can-previous")).to_have_text("false")
    expect(sco.locator("#can-choose-post")).to_have_text("false")
    # and the platform offers 下一個 but not 上一個; the table of contents cannot jump ahead
    expect(page.get_by_role("button", name="下一個 →")).to_be_visible()
    expect(page.get_by_role("button", name="← 上一個")).to_be_hidden()
    expect(page.locator(".scorm-outline").get_by_role("link", name="後測")).to_have_attribute("aria-disabled", "true")
    shoot(page, "scorm-sequencing-pretest")
    page.locator(".scorm-outline").get_by_role("link", name="後測").click(force=True)  # aria-disabled: still clickable
    expect(page.locator("#scorm-nav-message")).to_have_text("依教材的學習順序，目前不能直接選擇這個項目。")
    expect(current_item(page)).to_have_text("前測")

    # when the learner passes the pre-test and clicks the platform's 下一個 once
    sco.locator("#pass").click()
    expect(sco.locator("#reported")).to_have_text("passed")
    page.get_by_role("button", name="下一個 →").click()
    # then both lessons are skipped (preConditionRule satisfied → skip): the post-test opens
    expect(current_item(page)).to_have_text("後測")
    expect(page.locator("#sco-title")).to_have_text("後測")
    expect(content_frame(page).locator("#entry")).to_have_text("ab-initio")
    assert set(ScormAttempt.objects.filter(enrolment=enrolled).values_list("sco__identifier", flat=True)) == {
        "item_pre",
        "item_post",
    }

    # when the post-test is passed and asks to continue (adl.nav.request) past the last item
    content_frame(page).locator("#pass").click()
    expect(content_frame(page).locator("#reported")).to_have_text("passed")
    content_frame(page).locator("#continue").click()
    # then the session ends, and the course completes by the root's rollup
    expect(page.locator(".scorm-ended")).to_contain_text("本次學習已結束")
    state = wait_until(lambda: ScormSequencing.objects.filter(enrolment=enrolled, done_at__isnull=False).first())
    assert (state.root_completion, state.root_success, state.suspended, state.ended) == (
        "completed",
        "passed",
        False,
        True,
    )
    assert Enrolment.objects.get(pk=enrolled.pk).completed_at is not None
    assert AuditEvent.objects.filter(action="learning.scorm_course_tracked").exists()


def test_forced_order_course_whose_pre_test_fails_plays_every_lesson_and_resumes_after_leaving(
    page, origins, scorm_dir, provider, scorm_course, enrolled, learner
):
    # given the same course, and a learner who fails the pre-test
    package = upload(actor=provider, course=scorm_course, data=testing.package_2004_pretest())
    sign_in(page, learner, origins[0])
    page_url = f"/elearn/scorm/{package.unit_id}/"
    page.goto(page_url)
    content_frame(page).locator("#fail").click()
    expect(content_frame(page).locator("#reported")).to_have_text("failed")
    # when the SCO asks to continue, then the first lesson opens (not skipped)
    content_frame(page).locator("#continue").click()
    expect(current_item(page)).to_have_text("第 1 課")
    expect(page.get_by_role("button", name="← 上一個")).to_be_visible()
    content_frame(page).locator("#complete").click()
    expect(content_frame(page).locator("#reported")).to_have_text("unknown")

    # when the learner leaves mid-way through the breadcrumb (the lesson does not suspend itself)
    page.locator(".breadcrumb").get_by_role("link", name=scorm_course.title).click()
    expect(page).to_have_url(f"{origins[0]}/elearn/courses/{scorm_course.code}/")
    # then the course attempt is suspended on the server
    assert wait_until(lambda: sequencing_of(enrolled).suspended)
    # when the learner comes back, then the attempt resumes at 第 1 課 with its data (cmi.entry resume)
    page.goto(page_url)
    expect(current_item(page)).to_have_text("第 1 課")
    expect(content_frame(page).locator("#entry")).to_have_text("resume")
    shoot(page, "scorm-sequencing-resumed")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "scorm-sequencing-resumed-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # when the learner moves on with the platform's 下一個 through 第 2 課 to the post-test, and passes it
    page.get_by_role("button", name="下一個 →").click()
    expect(current_item(page)).to_have_text("第 2 課")
    content_frame(page).locator("#complete").click()
    expect(content_frame(page).locator("#reported")).to_have_text("unknown")
    page.get_by_role("button", name="下一個 →").click()
    expect(current_item(page)).to_have_text("後測")
    content_frame(page).locator("#pass").click()
    expect(content_frame(page).locator("#reported")).to_have_text("passed")
    # and ends the attempt with 結束本次學習 (exitAll)
    page.get_by_role("button", name="結束本次學習").click()
    expect(page.locator(".scorm-ended")).to_contain_text("本次學習已結束")
    # then the course completes by its rollup (every lesson completed, a test passed)
    assert wait_until(lambda: Enrolment.objects.get(pk=enrolled.pk).completed_at is not None)
    state = sequencing_of(enrolled)
    assert (state.root_completion, state.root_success, state.attempt_number) == ("completed", "passed", 1)

    # when the learner enters again after that normal end, then a new attempt starts at the pre-test
    page.get_by_role("link", name="再次進入").click()
    expect(current_item(page)).to_have_text("前測")
    expect(content_frame(page).locator("#entry")).to_have_text("ab-initio")
    assert sequencing_of(enrolled).attempt_number == 2
    # and the course stays complete
    assert sequencing_of(enrolled).done_at is not None


def test_hide_lms_ui_hides_the_platforms_buttons(page, origins, scorm_dir, provider, scorm_course, enrolled, learner):
    # given the pre-test course whose pre-test hides the LMS's continue and exitAll (adlnav:presentation)
    package = upload(
        actor=provider, course=scorm_course, data=testing.package_2004_pretest(hide=("continue", "exitAll"))
    )
    sign_in(page, learner, origins[0])
    page.goto(f"/elearn/scorm/{package.unit_id}/")
    # then continue is valid for the engine (the SCO may ask for it) but the platform shows no 下一個 nor 結束本次學習
    expect(content_frame(page).locator("#can-continue")).to_have_text("true")
    expect(page.get_by_role("button", name="下一個 →")).to_be_hidden()
    expect(page.get_by_role("button", name="結束本次學習")).to_be_hidden()
    expect(page.get_by_role("button", name="離開本單元")).to_be_visible()
    # and the SCO's own continue request still moves on (to 第 1 課, the pre-test not passed)
    content_frame(page).locator("#continue").click()
    expect(current_item(page)).to_have_text("第 1 課")
    expect(page.get_by_role("button", name="下一個 →")).to_be_visible()
