"""SCORM in Chromium: the player on its own origin, the runtime API from scorm-again, commits, beacons, resume,
navigation requests; the third-party golf packages where ../shared/scorm exists."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from civlearn.learning.models import Enrolment
from civlearn.learning.scorm import testing
from civlearn.learning.scorm.models import ScormAttempt
from civlearn.learning.scorm.testing import enrolled, provider, scorm_course, scorm_dir, upload  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture
def origins(settings, live_server):
    """The platform on http://localhost:PORT, content on http://127.0.0.1:PORT: one server, two origins."""
    content = live_server.url.replace("localhost", "127.0.0.1")
    settings.SCORM_CONTENT_ORIGIN = content
    return live_server.url, content


def sign_in(page, user, platform_url):
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": platform_url}])


def content_frame(page):
    """The SCO's own frame: the player's child."""
    player = page.frame_locator("#scorm-frame")
    return player.frame_locator("#content")


def test_scorm12_sco_bookmarks_suspends_resumes_and_passes(
    page, origins, scorm_dir, provider, scorm_course, enrolled, learner
):
    # given a published one-SCO SCORM 1.2 unit with launch data and a signed-in, enrolled learner
    package = upload(actor=provider, course=scorm_course, data=testing.package_12(launch_data="level=2"))
    sign_in(page, learner, origins[0])
    page.goto(f"/elearn/scorm/{package.unit_id}/")
    sco = content_frame(page)
    # then the SCO found the API and starts ab-initio with the launch data
    expect(sco.locator("#entry")).to_have_text("ab-initio")
    expect(sco.locator("#launch")).to_have_text("level=2")
    # when it bookmarks, commits and suspends
    sco.locator("#bookmark").click()
    expect(sco.locator("#last")).to_have_text("true 0")
    sco.locator("#suspend").click()
    # then the page shows the session ended and the attempt holds the bookmark and the time
    expect(page.locator(".scorm-ended")).to_contain_text("已離開本單元")
    attempt = ScormAttempt.objects.get(enrolment=enrolled)
    assert (attempt.location, attempt.suspend_data, attempt.exit_mode) == ("page-7", '{"answers":[1,2]}', "suspend")
    assert attempt.session_ms == 150_000
    # when the learner comes back
    page.get_by_role("link", name="再次進入").click()
    sco = content_frame(page)
    # then the SCO resumes at the bookmark with its suspend data and the summed time
    expect(sco.locator("#entry")).to_have_text("resume")
    expect(sco.locator("#where")).to_have_text("page-7")
    expect(sco.locator("#data")).to_have_text('{"answers":[1,2]}')
    expect(sco.locator("#total")).to_have_text("00:02:30")
    # a value outside the vocabulary is refused by the runtime with the standard error code
    sco.locator("#bad").click()
    expect(sco.locator("#last")).to_have_text("false 405")
    # when it passes and finishes
    sco.locator("#pass").click()
    expect(sco.locator("#last")).to_have_text("true 0")
    sco.locator("#finish").click()
    expect(page.locator(".scorm-ended")).to_be_visible()
    attempt.refresh_from_db()
    assert (attempt.completion_status, attempt.score_raw, attempt.total_ms) == ("passed", 85, 210_000)
    assert attempt.done_at is not None
    # then the course is complete (reading time 0 required, no test, no questionnaire)
    assert Enrolment.objects.get(pk=enrolled.pk).completed_at is not None
    expect(page.locator(".scorm-outline")).to_contain_text("已完成")
