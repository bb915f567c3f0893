"""Attempts and CMI data: entry / resume, session times summed once, stale and repeated commits, server-side
checks of what the runtime reports, mastery and passing scores, completion of the course."""

from __future__ import annotations

from decimal import Decimal

import pytest

from civlearn.core.models import AuditEvent
from civlearn.learning.models import Enrolment, ScormAttempt
from civlearn.learning.scorm.tracking import (
    RuntimeRefused,
    attempt_commit,
    format_time,
    launch_token,
    parse_session_time,
    scorm_units_done,
    session_open,
)
from civlearn.learning.tests import scorm_packages as testing

scorm_dir, provider, scorm_course, enrolled = (
    testing.scorm_dir,
    testing.provider,
    testing.scorm_course,
    testing.enrolled,
)
PARENT = "http://localhost:8000"


@pytest.fixture
def package12(provider, scorm_course, scorm_dir):
    return testing.upload(actor=provider, course=scorm_course, data=testing.package_12(mastery="80"))


@pytest.fixture
def package2004(provider, scorm_course, scorm_dir):
    return testing.upload(actor=provider, course=scorm_course, data=testing.package_2004(scos=2, passing="0.8"))


def first_sco(package):
    return package.scos.exclude(launch="").order_by("order").first()


def open_session(sco, learner, enrolment):
    return session_open(launch=launch_token(sco=sco, user=learner, enrolment=enrolment, parent_origin=PARENT))


def cmi12(status="incomplete", location="", suspend="", exit_mode="", session_time="", raw=""):
    core = {"lesson_status": status, "lesson_location": location, "exit": exit_mode, "score": {"raw": raw}}
    if session_time:
        core["session_time"] = session_time
    return {"cmi": {"core": core, "suspend_data": suspend}}


def test_first_launch_is_ab_initio_with_lms_data_and_no_national_id(package12, learner, enrolled):
    session = open_session(first_sco(package12), learner, enrolled)
    core = session.initial["core"]
    assert (core["entry"], core["credit"], core["lesson_mode"]) == ("ab-initio", "credit", "normal")
    # no status is loaded, so the runtime's own LMSFinish rule (RTE 3.4.4) applies to a SCO that never sets one
    assert "lesson_status" not in core
    assert (core["student_id"], core["student_name"]) == (f"civlearn-{learner.pk}", "王小明")
    assert session.initial["student_data"]["mastery_score"] == "80"
    assert "A123456789" not in str(session.initial)
    attempt = ScormAttempt.objects.get(enrolment=enrolled)
    assert (attempt.session_count, attempt.session_ms, attempt.closed_ms) == (1, 0, 0)


def test_suspend_then_relaunch_resumes_with_bookmark_suspend_data_and_summed_time(package12, learner, enrolled):
    sco = first_sco(package12)
    first = open_session(sco, learner, enrolled)
    attempt_commit(token=first.token, data=cmi12(location="p3", suspend="abc"), seq=1)
    # the session reports its time on every commit; only the latest value counts for the session
    attempt_commit(token=first.token, data=cmi12(location="p4", suspend="abcd", session_time="00:01:00"), seq=2)
    attempt_commit(
        token=first.token,
        data=cmi12(location="p5", suspend="abcde", exit_mode="suspend", session_time="00:02:30"),
        seq=3,
    )
    second = open_session(sco, learner, enrolled)
    core = second.initial["core"]
    assert (core["entry"], core["lesson_location"], core["total_time"]) == ("resume", "p5", "0000:02:30.00")
    assert second.initial["suspend_data"] == "abcde"
    attempt_commit(token=second.token, data=cmi12(location="p6", session_time="00:00:45"), seq=1)
    attempt = ScormAttempt.objects.get(enrolment=enrolled)
    assert (attempt.closed_ms, attempt.session_ms, attempt.total_ms, attempt.session_count) == (
        150_000,
        45_000,
        195_000,
        2,
    )
    # a normal exit: the next launch has entry "" (not a resume)
    attempt_commit(token=second.token, data=cmi12(location="p6", exit_mode=""), seq=2)
    assert open_session(sco, learner, enrolled).initial["core"]["entry"] == ""


def test_repeated_and_out_of_order_commits_change_nothing(package12, learner, enrolled):
    session = open_session(first_sco(package12), learner, enrolled)
    attempt_commit(token=session.token, data=cmi12(location="p9"), seq=2)
    result = attempt_commit(token=session.token, data=cmi12(location="p1"), seq=1)
    again = attempt_commit(token=session.token, data=cmi12(location="p1"), seq=2)
    assert (result.stored, again.stored) == (False, False)
    assert ScormAttempt.objects.get(enrolment=enrolled).location == "p9"


def test_a_session_replaced_by_a_newer_launch_is_refused(package12, learner, enrolled):
    sco = first_sco(package12)
    old = open_session(sco, learner, enrolled)
    open_session(sco, learner, enrolled)
    with pytest.raises(RuntimeRefused) as refused:
        attempt_commit(token=old.token, data=cmi12(location="old"), seq=1)
    assert (str(refused.value), refused.value.code) == ("這份教材已在另一個視窗重新開啟，本視窗的紀錄不再儲存", 391)
    assert ScormAttempt.objects.get(enrolment=enrolled).location == ""


def test_forged_tokens_are_refused(package12):
    with pytest.raises(RuntimeRefused) as refused:
        attempt_commit(token="WzEsMiwiYWJjIiwxXQ:forged:sig", data=cmi12(), seq=1)
    assert str(refused.value) == "學習紀錄憑證無效或已逾時，請重新進入課程"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (cmi12(status="excellent"), "cmi.core.lesson_status「excellent」不是允許的值"),
        (cmi12(suspend="x" * 4097), "cmi.suspend_data 超過 4096 字元"),
        (cmi12(location="x" * 256), "書籤（location）超過 255 字元"),
        (cmi12(session_time="2 minutes"), "cmi.core.session_time「2 minutes」格式錯誤（應為 HHHH:MM:SS.SS）"),
        (cmi12(raw="101"), "cmi.core.score.raw「101」超出範圍"),
        (cmi12(raw="lots"), "cmi.core.score.raw「lots」不是數字"),
        (cmi12(exit_mode="quit"), "cmi.core.exit「quit」不是允許的值"),
    ],
)
def test_scorm12_values_are_checked_and_a_refused_commit_stores_nothing(package12, learner, enrolled, data, message):
    session = open_session(first_sco(package12), learner, enrolled)
    with pytest.raises(RuntimeRefused) as refused:
        attempt_commit(token=session.token, data=data, seq=1)
    assert str(refused.value) == message
    attempt = ScormAttempt.objects.get(enrolment=enrolled)
    assert (attempt.cmi, attempt.completion_status, attempt.session_seq) == ({}, "", 0)


def test_scorm12_mastery_score_decides_pass_or_fail(package12, learner, enrolled):
    session = open_session(first_sco(package12), learner, enrolled)
    failed = attempt_commit(token=session.token, data=cmi12(status="completed", raw="70"), seq=1)
    assert (failed.completion_status, failed.done) == ("failed", False)
    passed = attempt_commit(token=session.token, data=cmi12(status="completed", raw="80"), seq=2)
    assert (passed.completion_status, passed.success_status, passed.done) == ("passed", "passed", True)
    # the one SCORM unit done and no reading time required: the course completes, with an audit trail
    assert Enrolment.objects.get(pk=enrolled.pk).completed_at is not None
    tracked = AuditEvent.objects.filter(action="learning.scorm_tracked").order_by("pk")
    assert [event.changes.get("completion_status") for event in tracked] == [["", "failed"], ["failed", "passed"]]
    assert "done_at" in tracked.last().changes


def cmi2004(completion="incomplete", success="unknown", scaled="", suspend="", session_time="", progress=""):
    data = {
        "completion_status": completion,
        "success_status": success,
        "score": {"scaled": scaled},
        "suspend_data": suspend,
        "location": "",
        "exit": "",
    }
    if session_time:
        data["session_time"] = session_time
    if progress:
        data["progress_measure"] = progress
    return {"cmi": data}


def test_scorm2004_scaled_passing_score_decides_each_scos_success(package2004, learner, enrolled):
    first, second = list(package2004.scos.exclude(launch="").order_by("order"))
    session = open_session(first, learner, enrolled)
    assert (session.initial["entry"], session.initial["scaled_passing_score"]) == ("ab-initio", "0.8")
    low = attempt_commit(token=session.token, data=cmi2004("completed", "passed", scaled="0.3"), seq=1)
    assert (low.completion_status, low.success_status, low.done) == ("completed", "failed", False)
    high = attempt_commit(
        token=session.token, data=cmi2004("completed", "unknown", scaled="0.85", session_time="PT1M30.5S"), seq=2
    )
    assert (high.success_status, high.done) == ("passed", True)
    attempt = ScormAttempt.objects.get(sco=first)
    assert (attempt.score_scaled, attempt.session_ms) == (Decimal("0.85"), 90_500)
    other = open_session(second, learner, enrolled)
    attempt_commit(token=other.token, data=cmi2004("completed", "passed", scaled="0.9"), seq=1)
    assert ScormAttempt.objects.filter(enrolment=enrolled, done_at__isnull=False).count() == 2
    # a 2004 course is done by the root's rollup, which the sequencing engine reports (test_scorm_sequencing.py),
    # not by counting SCOs
    assert not scorm_units_done(enrolment=enrolled, unit_ids={package2004.unit_id})
    assert Enrolment.objects.get(pk=enrolled.pk).completed_at is None


def test_scorm2004_re_entry_after_a_normal_exit_is_a_new_attempt_and_a_done_sco_stays_done(
    package2004, learner, enrolled
):
    from civlearn.core.models import AuditEvent

    first = first_sco(package2004)
    # given an attempt that passed and ended normally (exit "")
    session = open_session(first, learner, enrolled)
    data = cmi2004("completed", "passed", scaled="0.9", suspend="s1", session_time="PT2M")
    data["cmi"]["location"] = "page-9"
    attempt_commit(token=session.token, data=data, seq=1)
    # when the learner enters it again
    again = open_session(first, learner, enrolled)
    # then a new attempt begins: ab-initio, no bookmark, no suspend data, statuses unknown, time from zero
    initial = again.initial
    assert (initial["entry"], initial["location"], initial["suspend_data"], initial["total_time"]) == (
        "ab-initio",
        "",
        "",
        "PT0H0M0.00S",
    )
    assert (initial["completion_status"], initial["success_status"], initial["score"]) == ("unknown", "unknown", {})
    attempt = ScormAttempt.objects.get(sco=first)
    assert (attempt.completion_status, attempt.score_scaled, attempt.total_ms, attempt.session_count) == (
        "",
        None,
        0,
        2,
    )
    # and the SCO stays done for the course; the restart is audited with what the ended attempt held
    assert attempt.done_at is not None
    event = AuditEvent.objects.get(action="learning.scorm_attempt_restarted")
    assert event.changes == {
        "completion_status": ["completed", ""],
        "success_status": ["passed", ""],
        "score_scaled": ["0.90000", None],
        "total_ms": [120_000, 0],
    }
    # when that attempt is suspended, the next entry resumes it (no new attempt)
    suspended = cmi2004("incomplete", suspend="s2")
    suspended["cmi"]["exit"] = "suspend"
    attempt_commit(token=again.token, data=suspended, seq=1)
    resumed = open_session(first, learner, enrolled).initial
    assert (resumed["entry"], resumed["suspend_data"]) == ("resume", "s2")


def test_scorm2004_completion_threshold_and_progress_measure_decide_completion(
    provider, scorm_course, scorm_dir, learner, enrolled
):
    # given a SCO with a 4th-edition completion threshold of 0.75 and no passing score
    manifest = testing.manifest_2004(scos=1, passing="").replace(
        "<title>第 1 節</title>", '<title>第 1 節</title><adlcp:completionThreshold minProgressMeasure="0.75"/>'
    )
    data = testing.package_with({"imsmanifest.xml": manifest, "sco1/index.html": "x"})
    package = testing.upload(actor=provider, course=scorm_course, data=data)
    session = open_session(first_sco(package), learner, enrolled)
    assert session.initial["completion_threshold"] == "0.75"
    # then the measure decides, whatever the SCO says (RTE 4.2.4.1)
    short = attempt_commit(token=session.token, data=cmi2004("completed", progress="0.5"), seq=1)
    assert (short.completion_status, short.done) == ("incomplete", False)
    enough = attempt_commit(token=session.token, data=cmi2004("incomplete", progress="0.75"), seq=2)
    assert (enough.completion_status, enough.done) == ("completed", True)


def test_scorm12_re_entry_after_a_normal_exit_keeps_the_data(package12, learner, enrolled):
    sco = first_sco(package12)
    session = open_session(sco, learner, enrolled)
    attempt_commit(token=session.token, data=cmi12(status="completed", location="p2", suspend="x"), seq=1)
    core = open_session(sco, learner, enrolled).initial["core"]
    # SCORM 1.2 has no new-attempt rule: entry "" with the stored status and bookmark
    assert (core["entry"], core["lesson_status"], core["lesson_location"]) == ("", "completed", "p2")


@pytest.mark.parametrize(
    ("edition", "size", "refused"),
    [("3rd", 4000, False), ("3rd", 4001, True), ("4th", 64000, False), ("4th", 64001, True)],
)
def test_scorm2004_suspend_data_limit_follows_the_edition(
    provider, scorm_course, scorm_dir, learner, enrolled, edition, size, refused
):
    package = testing.upload(actor=provider, course=scorm_course, data=testing.package_2004(scos=1, edition=edition))
    session = open_session(first_sco(package), learner, enrolled)
    data = cmi2004(suspend="x" * size)
    if refused:
        with pytest.raises(RuntimeRefused) as error:
            attempt_commit(token=session.token, data=data, seq=1)
        assert str(error.value) == f"cmi.suspend_data 超過 {size - 1} 字元"
    else:
        assert attempt_commit(token=session.token, data=data, seq=1).stored


def test_preview_sessions_store_nothing(package12, provider):
    session = session_open(
        launch=launch_token(sco=first_sco(package12), user=provider, enrolment=None, parent_origin=PARENT)
    )
    assert (session.preview, session.initial["core"]["credit"], session.initial["core"]["lesson_mode"]) == (
        True,
        "no-credit",
        "browse",
    )
    result = attempt_commit(token=session.token, data=cmi12(status="passed"), seq=1)
    assert (result.stored, result.done) == (False, True)
    assert not ScormAttempt.objects.exists()


def test_draft_packages_cannot_be_launched_by_learners_and_do_not_count(
    provider, scorm_course, scorm_dir, learner, enrolled
):
    package = testing.upload(actor=provider, course=scorm_course, data=testing.package_12(), publish=False)
    with pytest.raises(RuntimeRefused) as refused:
        open_session(first_sco(package), learner, enrolled)
    assert str(refused.value) == "這份教材尚未發布"
    assert scorm_units_done(enrolment=enrolled, unit_ids={package.unit_id})


@pytest.mark.parametrize(
    ("value", "version", "ms"),
    [
        ("0000:01:02.5", "1.2", 62_500),
        ("12:00:00", "1.2", 43_200_000),
        ("PT1H2M3.25S", "2004-4", 3_723_250),
        ("P1DT1S", "2004-3", 86_401_000),
        ("PT0S", "2004-3", 0),
    ],
)
def test_session_times_parse(value, version, ms):
    assert parse_session_time(value, version) == ms


def test_total_time_formats():
    assert format_time(3_723_250, "1.2") == "0001:02:03.25"
    assert format_time(3_723_250, "2004-4") == "PT1H2M3.25S"
