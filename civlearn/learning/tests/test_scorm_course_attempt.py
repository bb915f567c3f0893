"""SCORM 2004 course attempts on the server (course_attempt.py): the sequencing engine's state per enrolment,
loaded on launch and saved on commit; a suspended attempt resumes, any other end starts a new one; the root's
rollup is the course's SCORM condition; the learner's page and the content-origin endpoints."""

from __future__ import annotations

import json
import re

import pytest

from civlearn.core.models import AuditEvent
from civlearn.learning.models import Enrolment, ScormAttempt, ScormSequencing
from civlearn.learning.scorm.course_attempt import (
    activity_deliver,
    course_launch_token,
    course_session_open,
    course_state_save,
)
from civlearn.learning.scorm.tracking import RuntimeRefused, scorm_units_done
from civlearn.learning.tests import scorm_packages as testing

scorm_dir, provider, scorm_course, enrolled = (
    testing.scorm_dir,
    testing.provider,
    testing.scorm_course,
    testing.enrolled,
)
PARENT = "http://testserver"
CONTENT = "127.0.0.1"


@pytest.fixture(autouse=True)
def content_origin(settings):
    settings.SCORM_CONTENT_ORIGIN = f"http://{CONTENT}"


@pytest.fixture
def package(provider, scorm_course, scorm_dir):
    return testing.upload(actor=provider, course=scorm_course, data=testing.package_2004_pretest())


def open_course(package, learner, enrolment, target=""):
    token = course_launch_token(package=package, user=learner, enrolment=enrolment, parent_origin=PARENT, target=target)
    return course_session_open(launch=token)


def save(course, seq, *, state="S1", completion="incomplete", success="unknown", suspended=False, ended=False):
    payload = {
        "state": state,
        "root": {"completion": completion, "success": success},
        "suspended": suspended,
        "ended": ended,
    }
    return course_state_save(token=course.token, seq=seq, payload=payload)


def test_a_first_launch_starts_and_a_suspended_attempt_resumes_with_the_stored_state(package, learner, enrolled):
    first = open_course(package, learner, enrolled)
    assert (first.request, first.state, first.attempt_number, first.preview) == ("start", "", 1, False)
    assert save(first, 1, state="after-pre-test", suspended=True).stored
    again = open_course(package, learner, enrolled)
    assert (again.request, again.state, again.attempt_number) == ("resumeAll", "after-pre-test", 1)


def test_after_a_normal_end_the_next_launch_is_a_new_audited_attempt_and_done_stays(package, learner, enrolled):
    first = open_course(package, learner, enrolled)
    save(first, 1, state="finished", completion="completed", success="passed", ended=True)
    assert Enrolment.objects.get(pk=enrolled.pk).completed_at is not None
    again = open_course(package, learner, enrolled)
    assert (again.request, again.state, again.attempt_number) == ("start", "", 2)
    row = ScormSequencing.objects.get(enrolment=enrolled)
    assert (row.state, row.root_completion, row.root_success, row.ended) == ("", "", "", False)
    assert row.done_at is not None
    restart = AuditEvent.objects.get(action="learning.scorm_course_attempt_restarted")
    assert restart.changes == {
        "attempt_number": [1, 2],
        "root_completion": ["completed", ""],
        "root_success": ["passed", ""],
    }
    assert scorm_units_done(enrolment=enrolled, unit_ids={package.unit_id})


def test_an_interrupted_attempt_that_never_suspended_also_starts_again(package, learner, enrolled):
    first = open_course(package, learner, enrolled)
    save(first, 1, state="mid-way")
    assert open_course(package, learner, enrolled).request == "start"


@pytest.mark.parametrize(
    ("completion", "success", "done"),
    [
        ("completed", "unknown", True),
        ("incomplete", "passed", True),
        ("completed", "failed", False),
        ("incomplete", "unknown", False),
    ],
)
def test_the_roots_rollup_is_the_courses_scorm_condition(package, learner, enrolled, completion, success, done):
    course = open_course(package, learner, enrolled)
    assert save(course, 1, completion=completion, success=success).done is done
    assert scorm_units_done(enrolment=enrolled, unit_ids={package.unit_id}) is done
    assert (Enrolment.objects.get(pk=enrolled.pk).completed_at is not None) is done


def test_every_sco_done_does_not_complete_a_2004_course_whose_root_did_not_roll_up(package, learner, enrolled):
    for sco in package.scos.exclude(launch=""):
        ScormAttempt.objects.create(enrolment=enrolled, sco=sco, done_at=enrolled.enrolled_at, session_count=1)
    assert not scorm_units_done(enrolment=enrolled, unit_ids={package.unit_id})


@pytest.mark.parametrize(
    ("payload", "message", "code"),
    [
        ({"root": {}, "suspended": False, "ended": False}, "排序狀態（state）缺漏或格式錯誤", 101),
        ({"state": "S", "suspended": False, "ended": False}, "課程彙總狀態（root）缺漏或格式錯誤", 101),
        (
            {"state": "S", "root": {"completion": "done"}, "suspended": False, "ended": False},
            "課程完成狀態「done」不是允許的值",
            406,
        ),
        (
            {"state": "S", "root": {"success": "great"}, "suspended": False, "ended": False},
            "課程通過狀態「great」不是允許的值",
            406,
        ),
        (
            {"state": "S", "root": {}, "suspended": "yes", "ended": False},
            "suspended 與 ended 必須是 true 或 false",
            101,
        ),
        (
            {"state": "x" * 1_000_001, "root": {}, "suspended": False, "ended": False},
            "排序狀態超過 1000000 字元",
            101,
        ),
    ],
)
def test_a_refused_save_names_the_field_and_stores_nothing(package, learner, enrolled, payload, message, code):
    course = open_course(package, learner, enrolled)
    with pytest.raises(RuntimeRefused) as refused:
        course_state_save(token=course.token, seq=1, payload=payload)
    assert (str(refused.value), refused.value.code) == (message, code)
    row = ScormSequencing.objects.get(enrolment=enrolled)
    assert (row.state, row.session_seq, row.root_completion) == ("", 0, "")


def test_repeated_out_of_order_and_stale_saves_change_nothing(package, learner, enrolled):
    older = open_course(package, learner, enrolled)
    assert save(older, 2, state="second").stored
    assert not save(older, 1, state="first").stored
    assert not save(older, 2, state="again").stored
    newer = open_course(package, learner, enrolled)
    with pytest.raises(RuntimeRefused) as refused:
        save(older, 3, state="from the old window")
    assert (str(refused.value), refused.value.code) == ("這份教材已在另一個視窗重新開啟，本視窗的紀錄不再儲存", 391)
    # the older window's last save was not suspended: the newer launch started a new attempt
    assert newer.request == "start"
    assert ScormSequencing.objects.get(enrolment=enrolled).state == ""


def test_delivery_opens_the_chosen_scos_session_and_refuses_unknown_items(package, learner, enrolled):
    course = open_course(package, learner, enrolled)
    session = activity_deliver(token=course.token, identifier="item_post")
    assert (session.sco.identifier, session.initial["entry"], session.initial["scaled_passing_score"]) == (
        "item_post",
        "ab-initio",
        "0.8",
    )
    assert ScormAttempt.objects.get(enrolment=enrolled).sco.identifier == "item_post"
    with pytest.raises(RuntimeRefused) as refused:
        activity_deliver(token=course.token, identifier="nothing")
    assert str(refused.value) == "教材中沒有可播放的項目「nothing」"
    with pytest.raises(RuntimeRefused):
        activity_deliver(token="forged", identifier="item_pre")


def test_a_providers_preview_starts_every_time_and_stores_nothing(provider, scorm_course, scorm_dir):
    draft = testing.upload(actor=provider, course=scorm_course, data=testing.package_2004_pretest(), publish=False)
    course = open_course(draft, provider, None)
    assert (course.preview, course.request) == (True, "start")
    assert save(course, 1, completion="completed", success="passed").stored is False
    session = activity_deliver(token=course.token, identifier="item_pre")
    assert (session.preview, session.initial["mode"]) == (True, "browse")
    assert not ScormSequencing.objects.exists()
    assert not ScormAttempt.objects.exists()


# ---- over HTTP ---------------------------------------------------------------------------------------------------


def config_of(response) -> dict:
    match = re.search(r'<script id="scorm-config" type="application/json">(.*?)</script>', response.content.decode())
    assert match is not None
    return json.loads(match.group(1))


def frame_config_of(response) -> dict:
    match = re.search(
        r'<script id="scorm-frame-config" type="application/json">(.*?)</script>', response.content.decode()
    )
    assert match is not None
    return json.loads(match.group(1))


def test_the_learners_page_frames_the_sequenced_player_and_offers_the_platforms_requests(
    client, package, learner, enrolled
):
    client.force_login(learner)
    response = client.get(f"/elearn/scorm/{package.unit_id}/")
    page = response.content.decode()
    frame = frame_config_of(response)
    assert (frame["sequenced"], frame["identifiers"]["item_post"]) == (
        True,
        package.scos.get(identifier="item_post").pk,
    )
    assert re.search(r'src="http://127\.0\.0\.1/elearn/scorm-content/course/[^"]+/"', page)
    for request, label in [("previous", "上一個"), ("continue", "下一個"), ("suspendAll", "離開本單元")]:
        assert re.search(rf'data-nav="{request}"[^>]*>[^<]*{label}', page)
    assert 'data-identifier="item_lesson1"' in page


def test_the_sequenced_player_carries_the_activity_tree_and_its_endpoints_answer_on_the_content_origin(
    client, package, learner, enrolled
):
    token = course_launch_token(package=package, user=learner, enrolment=enrolled, parent_origin=PARENT)
    path = f"/elearn/scorm-content/course/{token}/"
    assert client.get(path).status_code == 404  # the platform host
    response = client.get(path, HTTP_HOST=CONTENT)
    assert response["Content-Security-Policy"] == "frame-ancestors http://testserver"
    assert not response.cookies
    config = config_of(response)
    assert (config["sequenced"], config["request"], config["state"]) == (True, "start", "")
    assert config["activityTree"]["sequencingControls"]["choice"] is False
    assert config["launchable"] == ["item_pre", "item_lesson1", "item_lesson2", "item_post"]
    # delivery and saves need no cookie and no CSRF token: the course session token in the path
    csrf_client = type(client)(enforce_csrf_checks=True)
    delivered = csrf_client.post(
        config["deliverUrl"], json.dumps({"identifier": "item_pre"}), content_type="text/plain", HTTP_HOST=CONTENT
    ).json()
    assert delivered["contentUrl"] == f"/elearn/scorm-content/{package.storage_key}/pre/index.html"
    assert (delivered["title"], delivered["cmi"]["entry"]) == ("前測", "ab-initio")
    body = {"seq": 1, "state": "S", "root": {"completion": "completed"}, "suspended": True, "ended": False}
    saved = csrf_client.post(config["stateUrl"], json.dumps(body), content_type="text/plain", HTTP_HOST=CONTENT)
    assert saved.json() == {"result": True, "errorCode": 0, "stored": True, "done": True}
    bad = client.post(config["stateUrl"], json.dumps({"state": "S"}), content_type="text/plain", HTTP_HOST=CONTENT)
    assert (bad.status_code, bad.json()) == (400, {"result": False, "errorCode": 101, "message": "排序狀態缺少序號"})
    unknown = client.post(
        config["deliverUrl"], json.dumps({"identifier": ""}), content_type="text/plain", HTTP_HOST=CONTENT
    )
    assert unknown.json()["message"] == "缺少項目識別碼（identifier）"


def test_the_ended_page_says_whether_the_attempt_was_suspended_or_ended(client, package, learner, enrolled):
    client.force_login(learner)
    suspended = client.get(f"/elearn/scorm/{package.unit_id}/?ended=suspend").content.decode()
    ended = client.get(f"/elearn/scorm/{package.unit_id}/?ended=end").content.decode()
    assert "已暫停本單元，您的學習進度已儲存；再次進入時從暫停處繼續。" in suspended
    assert "本次學習已結束，學習紀錄已儲存；再次進入將開始新的一次學習。" in ended
    assert "scorm-frame" not in ended


def test_the_sequenced_page_in_english(client, settings, package, learner, enrolled):
    client.force_login(learner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(f"/elearn/scorm/{package.unit_id}/").content.decode()
    for text in ("Contents", "← Previous", "Next →", "Leave this unit", "End this attempt", "Not started"):
        assert text in page
    assert 'data-refused-choice="The course\'s sequencing rules do not let you choose this item now."' in page
    ended = client.get(f"/elearn/scorm/{package.unit_id}/?ended=suspend").content.decode()
    assert "This unit is paused and your progress is saved; entering again continues where you left off." in ended


def test_operators_read_course_attempts_in_the_admin_without_the_engine_state(admin_client, package, learner, enrolled):
    course = open_course(package, learner, enrolled)
    save(course, 1, state="opaque-engine-state", suspended=True)
    row = ScormSequencing.objects.get(enrolment=enrolled)
    listing = admin_client.get("/admin/learning/scormsequencing/")
    detail = admin_client.get(f"/admin/learning/scormsequencing/{row.pk}/change/")
    assert (listing.status_code, detail.status_code) == (200, 200)
    assert "opaque-engine-state" not in detail.content.decode()
    assert admin_client.get("/admin/learning/scormsequencing/add/").status_code == 403
