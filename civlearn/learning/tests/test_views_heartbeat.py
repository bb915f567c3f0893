"""POST /elearn/heartbeat over HTTP, on both reading-time stores: what the answer carries, and that it skips the
middleware it has no use for (civlearn.core.middleware) while keeping the security headers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from civlearn.core import clock
from civlearn.learning.catalogue.services import enrol
from civlearn.learning.models import Enrolment
from civlearn.learning.reading.services import reading_ms_exact, reading_stream_open

from .reading_fixtures import reading_store  # noqa: F401  (a fixture)

START = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr("civlearn.core.clock.timezone.now", lambda: START)


def test_a_beat_answers_json_with_security_headers_and_no_cookie_or_language(
    reading_store,  # noqa: F811
    client,
    consenting_learner,
    course,
):
    enrolment = enrol(user=consenting_learner, course=course)
    token = reading_stream_open(enrolment=enrolment)
    clock.advance(dt.timedelta(seconds=60))
    response = client.post("/elearn/heartbeat", {"token": token}, HTTP_ACCEPT_LANGUAGE="en")
    body = response.json()
    assert response.status_code == 200
    assert (body["ok"], body["credited_ms"], body["reading_ms"], body["required_ms"], body["completed"]) == (
        True,
        60_000,
        60_000,
        600_000,
        False,
    )
    assert response["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware still runs
    assert response["Content-Length"] == str(len(response.content))
    assert "Content-Language" not in response  # LocaleMiddleware does not
    assert "X-Frame-Options" not in response  # nor the clickjacking middleware
    assert response.cookies == {}
    assert reading_ms_exact(enrolment=Enrolment.objects.get(pk=enrolment.pk)) == 60_000


def test_a_bad_token_is_refused_in_chinese_and_credits_nothing(reading_store, client, consenting_learner, course):  # noqa: F811
    enrolment = enrol(user=consenting_learner, course=course)
    reading_stream_open(enrolment=enrolment)
    clock.advance(dt.timedelta(seconds=60))
    response = client.post("/elearn/heartbeat", {"token": "forged:token:x"})
    assert response.status_code == 403
    assert response.json() == {"ok": False, "error": "無效的閱讀計時憑證"}
    assert reading_ms_exact(enrolment=Enrolment.objects.get(pk=enrolment.pk)) == 0


def test_a_get_is_refused_as_before(reading_store, client, db):  # noqa: F811
    assert client.get("/elearn/heartbeat").status_code == 405


def test_other_pages_still_pass_through_every_middleware(client, db):
    response = client.get("/elearn/verify/", HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Language" in response


@pytest.mark.parametrize("reading_store", ["redis"], indirect=True)
def test_with_redis_down_a_beat_is_answered_503_in_chinese_and_credits_nothing(
    reading_store,  # noqa: F811
    client,
    consenting_learner,
    course,
    settings,
):
    enrolment = enrol(user=consenting_learner, course=course)
    token = reading_stream_open(enrolment=enrolment)
    clock.advance(dt.timedelta(seconds=60))
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.post("/elearn/heartbeat", {"token": token})
    assert response.status_code == 503
    assert response.json() == {"ok": False, "error": "閱讀計時暫時無法使用，稍後會自動重試"}
    assert Enrolment.objects.get(pk=enrolment.pk).reading_ms == 0


@pytest.mark.parametrize("reading_store", ["redis"], indirect=True)
def test_with_redis_down_the_scorm_runtime_beat_answers_the_same_message(
    reading_store,  # noqa: F811
    client,
    consenting_learner,
    course,
    settings,
):
    settings.SCORM_CONTENT_ORIGIN = "http://127.0.0.1"
    enrolment = enrol(user=consenting_learner, course=course)
    token = reading_stream_open(enrolment=enrolment)
    clock.advance(dt.timedelta(seconds=60))
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.post("/elearn/scorm-content/beat", token, content_type="text/plain", HTTP_HOST="127.0.0.1")
    assert (response.status_code, response.json()) == (400, {"message": "閱讀計時暫時無法使用，稍後會自動重試"})
    assert Enrolment.objects.get(pk=enrolment.pk).reading_ms == 0


@pytest.mark.parametrize("reading_store", ["redis"], indirect=True)
def test_with_redis_down_the_course_pages_still_open_with_the_database_figure(
    reading_store,  # noqa: F811
    client,
    consenting_learner,
    course,
    settings,
):
    enrolment = enrol(user=consenting_learner, course=course)
    Enrolment.objects.filter(pk=enrolment.pk).update(reading_ms=120_000)  # what the last flush wrote
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    client.force_login(consenting_learner)

    learn = client.get(f"/elearn/courses/{course.code}/learn/")
    page = client.get(f"/elearn/courses/{course.code}/")

    assert learn.status_code == 200
    assert 'data-reading-token="' in learn.content.decode()
    assert page.status_code == 200
    assert "2 分鐘" in page.content.decode()
    assert reading_ms_exact(enrolment=Enrolment.objects.get(pk=enrolment.pk)) == 120_000


def test_the_beat_that_meets_the_reading_condition_brings_the_progress_box(
    reading_store,  # noqa: F811
    client,
    consenting_learner,
    full_course,
):
    # given a two-minute reading requirement, a test and a questionnaire still to do
    full_course.required_reading_minutes = 2
    full_course.save(update_fields=["required_reading_minutes"])
    enrolment = enrol(user=consenting_learner, course=full_course)
    token = reading_stream_open(enrolment=enrolment)
    clock.advance(dt.timedelta(seconds=60))
    first = client.post("/elearn/heartbeat", {"token": token}).json()
    # a beat short of the requirement carries the figure only
    assert (first["reading"], first["progress_html"], first["completed"]) == ("1 分鐘 / 2 分鐘", None, False)
    clock.advance(dt.timedelta(seconds=60))
    second = client.post("/elearn/heartbeat", {"token": first["token"]}).json()
    assert (second["reading"], second["completed"]) == ("2 分鐘 / 2 分鐘", False)
    box = second["progress_html"]
    assert "<strong data-percent>33%</strong>" in box
    assert 'class="status-ok" data-condition="reading"' in box
    assert 'class="pending" data-condition="test"' in box
    # in the page's language
    clock.advance(dt.timedelta(seconds=60))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    third = client.post("/elearn/heartbeat", {"token": second["token"]}).json()
    assert third["reading"] == "3 min / 2 min"
