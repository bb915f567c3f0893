"""Reading time with Redis: batched flushes, losing Redis, and the exact value wherever it matters.

Tests that hold for both stores take the `reading_store` fixture; the others run with Redis only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from civlearn.core import clock
from civlearn.learning.catalogue.services import enrol
from civlearn.learning.completion.services import completion_evaluate
from civlearn.learning.models import Enrolment, LearnerClock
from civlearn.learning.reading import redis_store as reading_redis
from civlearn.learning.reading.services import heartbeat_credit, reading_ms_exact, reading_stream_open

from .reading_fixtures import reading_store  # noqa: F401  (a fixture)

START = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
START_MS = int(START.timestamp() * 1000)


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr("civlearn.core.clock.timezone.now", lambda: START)
    return START


@pytest.fixture
def redis_store(reading_store):  # noqa: F811
    if not reading_store.redis:
        pytest.skip("Redis only")
    return reading_store


@pytest.fixture
def enrolment(consenting_learner, course, frozen):
    return enrol(user=consenting_learner, course=course)


def beats(token: str, *waits: float):
    beat = None
    for wait in waits:
        clock.advance(dt.timedelta(seconds=wait))
        beat = heartbeat_credit(token=token if beat is None else beat.token)
    return beat


def stored(enrolment: Enrolment) -> tuple[int, int, int]:
    """What the database holds: reading_ms, last_beat_ms and the learner's credited instant."""
    row = Enrolment.objects.values_list("reading_ms", "last_beat_ms").get(pk=enrolment.pk)
    return (*row, LearnerClock.objects.get(user_id=enrolment.user_id).last_credited_ms)


# --- flushing ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reading_store", ["redis"], indirect=True)
def test_beats_reach_the_database_at_the_flush_and_a_second_flush_changes_nothing(reading_store, enrolment):  # noqa: F811
    beat = beats(reading_stream_open(enrolment=enrolment), 60, 60)
    # the learner sees the running total at once, the database only after the flush
    assert beat.reading_ms == 120_000
    assert stored(enrolment) == (0, 0, 0)

    assert reading_redis.reading_flush() == 1
    assert stored(enrolment) == (120_000, START_MS + 120_000, START_MS + 120_000)
    assert reading_redis.reading_flush() == 0
    assert stored(enrolment) == (120_000, START_MS + 120_000, START_MS + 120_000)


@pytest.mark.parametrize("reading_store", ["redis"], indirect=True)
def test_a_flush_never_lowers_what_the_database_holds(reading_store, enrolment):  # noqa: F811
    beats(reading_stream_open(enrolment=enrolment), 60)
    # given the database already holds more (an older Redis value arriving late, or a second flusher)
    Enrolment.objects.filter(pk=enrolment.pk).update(reading_ms=500_000, last_beat_ms=START_MS + 500_000)
    LearnerClock.objects.filter(user_id=enrolment.user_id).update(last_credited_ms=START_MS + 500_000)
    reading_redis.reading_flush()
    assert stored(enrolment) == (500_000, START_MS + 500_000, START_MS + 500_000)


@pytest.mark.parametrize("reading_store", ["redis"], indirect=True)
def test_a_flush_that_crashed_before_writing_is_written_by_the_next_run(reading_store, enrolment):  # noqa: F811
    beats(reading_stream_open(enrolment=enrolment), 60)
    p = reading_redis.prefix()
    # given a flusher moved the dirty set aside and died before writing to the database
    reading_redis.client().rename(f"{p}:dirty", f"{p}:flushing")
    # and the learner read on meanwhile
    clock.advance(dt.timedelta(seconds=60))
    assert reading_redis.reading_flush() == 1
    assert stored(enrolment)[0] == 60_000
    # the next run takes the beats that arrived since
    beats(reading_stream_open(enrolment=enrolment), 30)
    assert reading_redis.reading_flush() == 1
    assert stored(enrolment)[0] == 90_000
    assert not reading_redis.client().exists(f"{p}:flushing")


@pytest.mark.parametrize("reading_store", ["redis"], indirect=True)
def test_the_flush_command_flushes_once_and_reports_how_many(reading_store, enrolment, capsys):  # noqa: F811
    beats(reading_stream_open(enrolment=enrolment), 45)
    call_command("learning_reading_flush")
    assert capsys.readouterr().out == "flushed 1\n"
    assert stored(enrolment)[0] == 45_000


@pytest.mark.parametrize("reading_store", ["database"], indirect=True)
def test_the_flush_command_without_redis_says_there_is_nothing_to_flush(reading_store, db):  # noqa: F811
    with pytest.raises(CommandError, match="未設定 REDIS_URL：閱讀時數直接寫入資料庫，無須排清"):
        call_command("learning_reading_flush")


# --- losing Redis -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reading_store", ["redis"], indirect=True)
def test_losing_redis_loses_at_most_the_time_since_the_last_flush_and_counts_nothing_twice(reading_store, enrolment):  # noqa: F811
    token = reading_stream_open(enrolment=enrolment)
    flushed = beats(token, 60, 60)
    reading_redis.reading_flush()
    unflushed = beats(flushed.token, 60)
    assert unflushed.reading_ms == 180_000
    # when Redis restarts empty
    reading_store.lose_redis()
    # then the next beat is seeded from the database and credits its own minute only
    after = beats(unflushed.token, 60)
    assert (after.credited_ms, after.reading_ms) == (60_000, 180_000)
    # and a replayed token of the flushed part credits nothing the database already has
    replay = heartbeat_credit(token=flushed.token)
    assert replay.credited_ms == 0
    assert reading_ms_exact(enrolment=enrolment) == 180_000


@pytest.mark.parametrize("reading_store", ["redis"], indirect=True)
def test_losing_redis_before_any_flush_restarts_from_the_database(reading_store, enrolment):  # noqa: F811
    token = reading_stream_open(enrolment=enrolment)
    reading_store.lose_redis()
    assert beats(token, 60).reading_ms == 60_000
    reading_redis.reading_flush()
    assert stored(enrolment) == (60_000, START_MS + 60_000, START_MS + 60_000)


# --- the exact value where it matters (both stores) ---------------------------------------------------------------


def test_the_course_page_shows_the_exact_reading_time(reading_store, client, enrolment):  # noqa: F811
    beats(reading_stream_open(enrolment=enrolment), 60, 60, 60)
    client.force_login(enrolment.user)
    response = client.get(f"/elearn/courses/{enrolment.course.code}/learn/")
    assert response.status_code == 200
    assert "3 分鐘 / 10 分鐘" in response.content.decode()
    assert stored(enrolment)[0] == 180_000


def test_the_beat_that_crosses_the_required_time_completes_the_course(reading_store, client, enrolment):  # noqa: F811
    token = reading_stream_open(enrolment=enrolment)
    answers = []
    for _ in range(10):  # the course requires 10 minutes
        clock.advance(dt.timedelta(seconds=60))
        answers.append(client.post("/elearn/heartbeat", {"token": token}).json())
        token = answers[-1]["token"]
    assert [a["completed"] for a in answers] == [False] * 9 + [True]
    assert answers[-1]["reading_ms"] == 600_000
    enrolment.refresh_from_db()
    assert enrolment.completed_at == START + dt.timedelta(minutes=10)
    assert enrolment.reading_ms == 600_000
    assert enrolment.certificate.number


def test_completion_outside_a_beat_uses_the_exact_reading_time(reading_store, enrolment):  # noqa: F811
    # given the reading requirement was met by beats that did not complete the course themselves
    beats(reading_stream_open(enrolment=enrolment), *[60] * 10)
    # when completion is evaluated elsewhere (a test or questionnaire submission does this)
    completed = completion_evaluate(enrolment=Enrolment.objects.get(pk=enrolment.pk))
    # then it sees the 10 minutes, whatever the database held before
    assert completed is True
    assert stored(enrolment)[0] == 600_000


@pytest.mark.parametrize("reading_store", ["redis"], indirect=True)
def test_the_exact_value_writes_nothing_when_the_database_already_has_it(reading_store, enrolment):  # noqa: F811
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    beats(reading_stream_open(enrolment=enrolment), 60)
    reading_redis.reading_flush()
    fresh = Enrolment.objects.get(pk=enrolment.pk)
    with CaptureQueriesContext(connection) as queries:
        assert reading_ms_exact(enrolment=fresh) == 60_000
    assert queries.captured_queries == []


@pytest.mark.parametrize("reading_store", ["redis"], indirect=True)
def test_a_redis_that_forgot_the_script_or_dropped_the_connection_still_credits_the_beat(reading_store, enrolment):  # noqa: F811
    from django.conf import settings

    token = reading_stream_open(enrolment=enrolment)
    first = beats(token, 60)
    # given Redis restarted: its script cache is empty
    reading_redis.client().script_flush()
    second = beats(first.token, 60)
    # and the kept connection was closed under the app (an idle timeout, a proxy)
    reading_redis._connection(settings.REDIS_URL)._sock.close()
    third = beats(second.token, 60)
    assert [b.credited_ms for b in (first, second, third)] == [60_000, 60_000, 60_000]
    assert third.reading_ms == 180_000


@pytest.mark.parametrize("reading_store", ["redis"], indirect=True)
def test_a_large_flush_goes_in_slices_and_drops_keys_of_enrolments_that_are_gone(reading_store, enrolment):  # noqa: F811
    beats(reading_stream_open(enrolment=enrolment), 60)
    p = reading_redis.prefix()
    # given 600 more dirty ids (past Redis's compact set encoding) whose enrolments no longer exist
    missing = range(10_000_000, 10_000_600)
    client = reading_redis.client()
    client.sadd(f"{p}:dirty", *missing)
    client.hset(f"{p}:e:{missing[0]}", mapping={"ms": 5, "beat": 5, "u": enrolment.user_id})
    assert reading_redis.reading_flush(batch=50) == 1
    assert stored(enrolment)[0] == 60_000
    assert not client.exists(f"{p}:e:{missing[0]}", f"{p}:flushing", f"{p}:dirty")
