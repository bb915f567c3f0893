"""SCORM content from the outside world in Chromium: multi-SCO SCORM 1.2 courses whose SCOs only call
LMSInitialize / LMSFinish and finish as they unload. The learner's navigation (下一個, 上一個, the table of contents,
any link away) wins over the finish it causes; the RTE 3.4.4 status rule completes each SCO; the course
completes by its rule."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from civlearn.learning.models import Enrolment, ScormAttempt
from civlearn.learning.tests import scorm_packages as testing
from civlearn.learning.tests import test_browser_scorm as browser_scorm
from civlearn.learning.tests.scorm_packages import upload

content_frame, sign_in = browser_scorm.content_frame, browser_scorm.sign_in
# Shared fixtures: the SCORM course and the two origins (platform on localhost, content on 127.0.0.1).
origins = browser_scorm.origins
scorm_dir, provider, scorm_course, enrolled = (
    testing.scorm_dir,
    testing.provider,
    testing.scorm_course,
    testing.enrolled,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def statuses(enrolment) -> dict[str, str]:
    return dict(ScormAttempt.objects.filter(enrolment=enrolment).values_list("sco__identifier", "completion_status"))


def wait_for_statuses(enrolment, expected: dict[str, str], seconds: float = 10.0) -> dict[str, str]:
    """The finish of a SCO that unloads reaches the server as a beacon, alongside the next page's request."""
    deadline = time.monotonic() + seconds
    while True:
        found = statuses(enrolment)
        if all(found.get(key) == value for key, value in expected.items()) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def current_item(page):
    return page.locator(".scorm-outline [aria-current=page]")


def test_scorm12_unload_finishing_scos_follow_each_click_and_the_course_completes(
    page, origins, scorm_dir, provider, scorm_course, enrolled, learner
):
    # given a published four-SCO SCORM 1.2 package whose SCOs set nothing and finish as they unload
    package = upload(actor=provider, course=scorm_course, data=testing.package_12_unload(scos=4))
    sign_in(page, learner, origins[0])
    page_url = f"/elearn/scorm/{package.unit_id}/"
    page.goto(page_url)
    expect(current_item(page)).to_have_text("第 1 課")
    expect(content_frame(page).locator("#entry")).to_have_text("ab-initio")
    expect(content_frame(page).locator("#status")).to_have_text("not attempted")

    # when the learner clicks 下一個 once, then the second SCO opens (not the first one's 「已離開本單元」 panel)
    page.get_by_role("link", name="下一個").click()
    expect(current_item(page)).to_have_text("第 2 課")
    expect(content_frame(page).locator("#entry")).to_have_text("ab-initio")
    assert "ended=1" not in page.url
    # and the first SCO, finished without a status, is completed by the RTE 3.4.4 rule
    assert wait_for_statuses(enrolled, {"item_1": "completed"})["item_1"] == "completed"

    # when 上一個 once (the second SCO finishes on `unload`), then the first SCO opens again, re-entered
    page.get_by_role("link", name="上一個").click()
    expect(current_item(page)).to_have_text("第 1 課")
    expect(content_frame(page).locator("#entry")).to_have_text("")
    expect(content_frame(page).locator("#status")).to_have_text("completed")
    assert wait_for_statuses(enrolled, {"item_2": "completed"})["item_2"] == "completed"

    # when an entry of the table of contents once, then that SCO opens
    page.locator(".scorm-outline").get_by_role("link", name="第 3 課").click()
    expect(current_item(page)).to_have_text("第 3 課")
    expect(content_frame(page).locator("#status")).to_have_text("not attempted")

    # when the learner leaves the course mid-way through the breadcrumb, then the course page opens and stays
    page.locator(".breadcrumb").get_by_role("link", name=scorm_course.title).click()
    expect(page).to_have_url(f"{origins[0]}/elearn/courses/{scorm_course.code}/")
    page.wait_for_timeout(500)
    expect(page).to_have_url(f"{origins[0]}/elearn/courses/{scorm_course.code}/")
    assert wait_for_statuses(enrolled, {"item_3": "completed"})["item_3"] == "completed"
    assert Enrolment.objects.get(pk=enrolled.pk).completed_at is None

    # when the learner comes back to the unit, then it resumes at the first SCO not yet done
    page.goto(page_url)
    expect(current_item(page)).to_have_text("第 4 課")
    expect(page.locator(".scorm-outline li").nth(0)).to_contain_text("已完成")
    expect(page.locator(".scorm-outline li").nth(3)).to_contain_text("未開始")
    # and leaving the unit finishes the last SCO: the course completes by its rule (every SCO completed)
    page.get_by_role("link", name="離開本單元").click()
    expect(page.locator(".scorm-ended")).to_be_visible()
    assert wait_for_statuses(enrolled, {"item_4": "completed"}) == {
        "item_1": "completed",
        "item_2": "completed",
        "item_3": "completed",
        "item_4": "completed",
    }
    deadline = time.monotonic() + 10
    while Enrolment.objects.get(pk=enrolled.pk).completed_at is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert Enrolment.objects.get(pk=enrolled.pk).completed_at is not None


def test_scorm12_finish_with_only_a_raw_score_is_judged_against_the_mastery_score(
    page, origins, scorm_dir, provider, scorm_course, enrolled, learner
):
    # given a one-SCO SCORM 1.2 package with adlcp:masteryscore 80
    package = upload(actor=provider, course=scorm_course, data=testing.package_12(mastery="80"))
    sign_in(page, learner, origins[0])
    page.goto(f"/elearn/scorm/{package.unit_id}/")
    expect(content_frame(page).locator("#entry")).to_have_text("ab-initio")
    sco = next(frame for frame in page.frames if frame.url.endswith("sco1/index.html"))
    # when the SCO sets a raw score of 70 and no status, then finishes: failed (RTE 3.4.4 with a mastery score)
    sco.evaluate("() => { api.LMSSetValue('cmi.core.score.raw', '70'); api.LMSFinish(''); }")
    expect(page.locator(".scorm-ended")).to_be_visible()
    attempt = ScormAttempt.objects.get(enrolment=enrolled)
    assert (attempt.completion_status, attempt.score_raw, attempt.done_at) == ("failed", 70, None)
    # when it is entered again and scores 90: passed, and the course completes
    page.get_by_role("link", name="再次進入").click()
    expect(content_frame(page).locator("#entry")).to_have_text("")
    sco = next(frame for frame in page.frames if frame.url.endswith("sco1/index.html"))
    sco.evaluate("() => { api.LMSSetValue('cmi.core.score.raw', '90'); api.LMSFinish(''); }")
    expect(page.locator(".scorm-ended")).to_be_visible()
    attempt.refresh_from_db()
    assert (attempt.completion_status, attempt.score_raw) == ("passed", 90)
    assert Enrolment.objects.get(pk=enrolled.pk).completed_at is not None


def test_scorm12_finish_in_a_providers_preview_is_browsed_and_stores_nothing(
    page, origins, scorm_dir, provider, scorm_course
):
    # given a provider previewing a draft whose SCO sets no status (browse mode, no credit)
    package = upload(actor=provider, course=scorm_course, data=testing.package_12_unload(scos=1), publish=False)
    sign_in(page, provider, origins[0])
    page.goto(f"/elearn/provide/scorm/{package.pk}/preview/")
    expect(content_frame(page).locator("#status")).to_have_text("not attempted")
    sco = next(frame for frame in page.frames if frame.url.endswith("sco1/index.html"))
    # when it finishes, then the runtime reports "browsed" (RTE 3.4.4 in browse mode) and nothing is stored
    # (the commit's answer is read as it passes: the finished SCO navigates away, and a navigated frame's response
    # bodies are gone)
    replies = []

    def keep(route):
        response = route.fetch()
        replies.append(response.json())
        route.fulfill(response=response)

    page.route("**/scorm-content/commit/**", keep)
    with page.expect_response(lambda response: "/scorm-content/commit/" in response.url):
        sco.evaluate("() => finish()")
    reply = replies[0]
    assert (reply["result"], reply["stored"], reply["completion"]) == (True, False, "browsed")
    assert not ScormAttempt.objects.exists()
