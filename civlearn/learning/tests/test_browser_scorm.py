"""SCORM in Chromium: the player on its own origin, the runtime API from scorm-again, commits, beacons, resume,
navigation requests; the third-party golf packages where ../shared/scorm exists."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from civlearn.learning.models import Enrolment, ScormAttempt
from civlearn.learning.tests import scorm_packages as testing
from civlearn.learning.tests.scorm_packages import upload

# Shared SCORM fixtures (learning/tests/conftest.py belongs to the learning app's own tests).
scorm_dir, provider, scorm_course, enrolled = (
    testing.scorm_dir,
    testing.provider,
    testing.scorm_course,
    testing.enrolled,
)

# serialized_rollback: the flush after each live-server test would otherwise wipe the data migrations' rows
# (category code tables) that later tests rely on.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


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


def test_scorm2004_multi_sco_follows_continue_previous_and_choice(
    page, origins, scorm_dir, provider, scorm_course, enrolled, learner
):
    # given a published SCORM 2004 4th edition package with three SCOs under one chapter, flow and choice allowed
    package = upload(
        actor=provider,
        course=scorm_course,
        data=testing.package_2004(scos=3, passing="0.8", control='choice="true" flow="true"'),
    )
    sign_in(page, learner, origins[0])
    page.goto(f"/elearn/scorm/{package.unit_id}/")
    toc = page.locator(".scorm-outline")
    expect(toc.locator("[aria-current=page]")).to_have_text("第 1 節")
    sco = content_frame(page)
    expect(sco.locator("#sps")).to_have_text("0.8")
    # when the first SCO is passed and asks to continue (adl.nav.request)
    sco.locator("#pass").click()
    expect(sco.locator("#last")).to_have_text("true 0")
    sco.locator("#continue").click()
    # then the engine delivers the second SCO, and the first shows as done in the table of contents
    expect(toc.locator("[aria-current=page]")).to_have_text("第 2 節")
    expect(toc.locator("li").nth(1)).to_contain_text("已完成")
    # when the second SCO fails and asks for the previous one, then the first opens again (resumed)
    sco = content_frame(page)
    expect(sco.locator("#entry")).to_have_text("ab-initio")
    sco.locator("#fail").click()
    expect(toc.locator("li").nth(2)).to_contain_text("未通過")
    sco.locator("#previous").click()
    expect(toc.locator("[aria-current=page]")).to_have_text("第 1 節")
    expect(content_frame(page).locator("#entry")).to_have_text("resume")
    # when the learner picks the third item in the table of contents (a choice request), then it opens
    toc.get_by_role("link", name="第 3 節").click()
    expect(toc.locator("[aria-current=page]")).to_have_text("第 3 節")
    expect(content_frame(page).locator("#entry")).to_have_text("ab-initio")
    # and a choice request there names the first item, then that item opens: a new attempt, because its
    # resumed session ended normally when the learner chose another item (exit "", not "suspend")
    content_frame(page).locator("#choose-first").click()
    expect(toc.locator("[aria-current=page]")).to_have_text("第 1 節")
    expect(content_frame(page).locator("#entry")).to_have_text("ab-initio")
    # the course is not complete: the second SCO failed, the third is not passed
    assert Enrolment.objects.get(pk=enrolled.pk).completed_at is None
    first = ScormAttempt.objects.get(enrolment=enrolled, sco__identifier="item_1")
    assert (first.completion_status, first.score_scaled, first.session_count) == ("", None, 3)
    assert first.done_at is not None  # once done, done for the course


def test_content_cannot_reach_the_platform_with_the_learners_cookies(
    page, origins, scorm_dir, provider, scorm_course, enrolled, learner
):
    # given a SCO whose script reads document.cookie and fetches a platform page with credentials
    package = upload(actor=provider, course=scorm_course, data=testing.package_12())
    sign_in(page, learner, origins[0])
    page.goto(f"/elearn/scorm/{package.unit_id}/")
    sco = content_frame(page)
    expect(sco.locator("#entry")).to_have_text("ab-initio")
    sco.locator("#steal").click()
    # then it sees no cookie, and the platform page does not answer on its origin (404) nor cross-origin
    expect(sco.locator("#stolen")).to_have_text(re.compile(r"^(404 |blocked )$"))
    # and the SCO cannot reach the platform page's DOM (a different origin)
    player = next(frame for frame in page.frames if "/scorm-content/play/" in frame.url)
    reach_top = "() => { try { return window.top.document.title; } catch (e) { return 'denied'; } }"
    assert player.evaluate(reach_top) == "denied"


# ---- the third-party golf packages (../shared/scorm) ---------------------------------------------------------

GOLF = testing.golf_dir()


def needs_golf(test):
    # The marker makes the skip a failure where ./test says the samples are there (CIVLEARN_REQUIRE=scorm_samples).
    absent = pytest.mark.skipif(GOLF is None, reason="../shared/scorm/ (the golf sample packages) is not present")
    return pytest.mark.scorm_samples(absent(test))


def golf(name: str) -> bytes:
    return (GOLF / name).read_bytes()


def golf_frames(page):
    """player → launchpage.html (the SCO) → contentFrame (the golf page it shows)."""
    launch = content_frame(page)
    return launch, launch.frame_locator("#contentFrame")


def answer_golf_quiz_correctly(page):
    """The golf assessment marks each right answer's container `.correctAnswer`: choose those and type the
    number shown in brackets, then submit."""
    quiz = None
    for _ in range(100):
        quiz = next((frame for frame in page.frames if "assessmenttemplate.html" in frame.url), None)
        if quiz is not None:
            break
        page.wait_for_timeout(100)
    assert quiz is not None, "the golf quiz page did not open"
    quiz.wait_for_selector("input[value='Submit Answers']")
    quiz.evaluate(
        """() => {
        document.querySelectorAll('.correctAnswer input[type=radio]').forEach(r => { r.checked = true; });
        document.querySelectorAll('.correctAnswer input[type=text]').forEach(t => {
            t.value = t.parentElement.textContent.match(/\\((.*)\\)/)[1].trim(); });
    }"""
    )
    quiz.click("input[value='Submit Answers']")
    expect(quiz.locator("h3").first).to_have_text("Score: 100")


@needs_golf
def test_golf_scorm12_from_start_to_passed_quiz_with_exit_and_resume(
    page, origins, scorm_dir, provider, scorm_course, enrolled, learner
):
    # given the golf SCORM 1.2 package published in the course, and the learner signed in
    package = upload(actor=provider, course=scorm_course, data=golf("singlescobasic.zip"), name="singlescobasic.zip")
    assert (package.version, package.title) == ("1.2", "Golf Explained - Run-time Basic Calls")
    sign_in(page, learner, origins[0])
    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.goto(f"/elearn/scorm/{package.unit_id}/")
    launch, shown = golf_frames(page)
    expect(shown.locator("h1").first).to_be_visible()
    # when the learner reads three pages on and exits, saving progress
    for _ in range(3):
        launch.locator("#butNext").click()
    expect(launch.locator("#contentFrame")).to_have_attribute("src", "../Playing/OtherScoring.html")
    # golf reports whole seconds: stay a little over one so the session time is not zero
    page.wait_for_timeout(1200)
    launch.locator("#butExit").click()
    expect(page.locator(".scorm-ended")).to_contain_text("已離開本單元")
    # then the bookmark, the suspended exit and the session time are stored
    attempt = ScormAttempt.objects.get(enrolment=enrolled)
    assert (attempt.location, attempt.exit_mode, attempt.completion_status) == ("3", "suspend", "incomplete")
    assert attempt.session_ms > 0 and attempt.done_at is None
    first_session_ms = attempt.session_ms
    # when the learner comes back and accepts to resume
    page.get_by_role("link", name="再次進入").click()
    launch, shown = golf_frames(page)
    # then the SCO opens at the bookmarked page
    expect(launch.locator("#contentFrame")).to_have_attribute("src", "../Playing/OtherScoring.html")
    assert "Would you like to resume from where you previously left off?" in dialogs
    # when the learner reads on to the quiz, answers it correctly and exits
    for _ in range(12):
        launch.locator("#butNext").click()
    expect(launch.locator("#contentFrame")).to_have_attribute("src", re.compile(r"assessmenttemplate\.html"))
    answer_golf_quiz_correctly(page)
    page.wait_for_timeout(1200)
    launch.locator("#butExit").click()
    expect(page.locator(".scorm-ended")).to_be_visible()
    # then the SCO is passed with its score, the times of both sessions are summed, and the course completes
    attempt.refresh_from_db()
    assert (attempt.completion_status, attempt.success_status, attempt.score_raw) == ("passed", "passed", 100)
    assert attempt.total_ms > first_session_ms and attempt.session_count == 2
    assert attempt.done_at is not None
    enrolment = Enrolment.objects.get(pk=enrolled.pk)
    assert enrolment.completed_at is not None
    expect(page.locator(".scorm-outline")).to_contain_text("已完成（成績 100）")


@needs_golf
def test_golf_scorm2004_completes_with_its_score(page, origins, scorm_dir, provider, scorm_course, enrolled, learner):
    # given the golf SCORM 2004 3rd edition package
    package = upload(
        actor=provider,
        course=scorm_course,
        data=golf("RuntimeBasicCalls_SCORM20043rdEdition.zip"),
        name="RuntimeBasicCalls_SCORM20043rdEdition.zip",
    )
    assert package.version == "2004-3"
    sign_in(page, learner, origins[0])
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"/elearn/scorm/{package.unit_id}/")
    launch, _ = golf_frames(page)
    # when the learner reads every page, passes the quiz and exits (an exitAll navigation request)
    next_button = launch.locator("#butNext")
    expect(next_button).to_be_enabled()
    while next_button.is_enabled():
        next_button.click()
    expect(launch.locator("#contentFrame")).to_have_attribute("src", re.compile(r"assessmenttemplate\.html"))
    answer_golf_quiz_correctly(page)
    launch.locator("#butExit").click()
    expect(page.locator(".scorm-ended")).to_be_visible()
    # then completion, success and the scaled score are recorded and the course completes
    attempt = ScormAttempt.objects.get(enrolment=enrolled)
    assert (attempt.completion_status, attempt.success_status) == ("completed", "passed")
    assert (attempt.score_scaled, attempt.score_raw) == (1, 100)
    assert attempt.done_at is not None
    assert Enrolment.objects.get(pk=enrolled.pk).completed_at is not None
    expect(page.locator(".scorm-outline")).to_contain_text("已完成（成績 100%）")


@needs_golf
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("invalid.zip", "壓縮檔的最上層沒有 imsmanifest.xml，這不是 SCORM 套件"),
        ("badscorm.zip", "imsmanifest.xml 必須位於壓縮檔的最上層，而不是在「badscorm/imsmanifest.xml」"),
        ("singlescobasic_missingorg.zip", "imsmanifest.xml 沒有任何組織（organization），無法得知課程架構"),
    ],
)
def test_broken_golf_packages_are_refused_on_the_provider_page(
    page, origins, scorm_dir, provider, scorm_course, name, message
):
    # given the provider on the upload page
    sign_in(page, provider, origins[0])
    page.goto("/elearn/provide/scorm/")
    # when a broken package is uploaded
    page.locator("#id_course").select_option(str(scorm_course.pk))
    page.get_by_label("SCORM 套件（.zip）").set_input_files(str(GOLF / name))
    page.get_by_role("button", name="上傳並檢查").click()
    # then the page names the problem at the file field, and nothing was created
    expect(page.locator("#id_package_error")).to_have_text(message)
    expect(page.locator("#error-summary")).to_contain_text(message)
    assert not scorm_course.units.exists()
    assert not any(scorm_dir.iterdir()) if scorm_dir.exists() else True
