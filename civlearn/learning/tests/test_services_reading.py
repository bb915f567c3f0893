"""Reading-time crediting: gaps, the stretch cap, several tabs and devices, clock skew, forged tokens.

Every test runs twice: on the database alone and with Redis (reading_fixtures.reading_store)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from civlearn.core import clock
from civlearn.learning.catalogue.services import enrol
from civlearn.learning.models import Enrolment, LearnerClock
from civlearn.learning.reading.services import (
    TOKEN_SALT,
    HeartbeatRefused,
    heartbeat_credit,
    reading_ms_exact,
    reading_stream_open,
)
from civlearn.testing.required import postgresql_only

from .conftest import make_course
from .reading_fixtures import reading_store  # noqa: F401  (a fixture)

START = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def store(reading_store):  # noqa: F811
    return reading_store


@pytest.fixture
def frozen(monkeypatch):
    """Stop real time so that only clock.advance moves the server clock and credits are exact."""
    monkeypatch.setattr("civlearn.core.clock.timezone.now", lambda: START)
    return START


@pytest.fixture
def enrolment(consenting_learner, course, frozen):
    return enrol(user=consenting_learner, course=course)


def seconds(n: float) -> dt.timedelta:
    return dt.timedelta(seconds=n)


def beat_after(token: str, wait: float):
    clock.advance(seconds(wait))
    return heartbeat_credit(token=token)


def reading_ms(enrolment: Enrolment) -> int:
    enrolment.refresh_from_db()
    return reading_ms_exact(enrolment=enrolment)


def test_beats_a_minute_apart_credit_each_minute(enrolment):
    # given a page view opened now
    token = reading_stream_open(enrolment=enrolment)
    # when three beats arrive 60 s apart
    first = beat_after(token, 60)
    second = beat_after(first.token, 60)
    third = beat_after(second.token, 60)
    # then three minutes are credited, and each answer shows the running total
    assert [first.credited_ms, second.credited_ms, third.credited_ms] == [60_000, 60_000, 60_000]
    assert third.reading_ms == 180_000
    assert reading_ms(enrolment) == 180_000


def test_a_gap_of_exactly_three_minutes_is_credited(enrolment):
    token = reading_stream_open(enrolment=enrolment)
    assert beat_after(token, 180).credited_ms == 180_000


def test_a_gap_over_three_minutes_is_not_credited_and_starts_a_new_stretch(enrolment):
    token = reading_stream_open(enrolment=enrolment)
    first = beat_after(token, 60)
    # when the laptop sleeps for 3 min 1 s
    late = beat_after(first.token, 181)
    # then nothing is credited for the gap, but the next beat counts again from the late one
    after = beat_after(late.token, 60)
    assert (first.credited_ms, late.credited_ms, after.credited_ms) == (60_000, 0, 60_000)
    assert reading_ms(enrolment) == 120_000


def test_a_stretch_is_capped_at_six_hours(enrolment):
    token = reading_stream_open(enrolment=enrolment)
    beat = None
    # when a page stays open and beating for 6 h 30 min
    for _ in range(390):
        beat = beat_after(token if beat is None else beat.token, 60)
    # then 6 hours are credited and the last half hour is not
    assert reading_ms(enrolment) == 6 * 3600 * 1000
    assert beat.credited_ms == 0


def test_the_cap_applies_per_stretch_so_a_new_page_view_counts_again(enrolment, settings):
    settings.LEARNING_STRETCH_CAP_SECONDS = 120
    first = beat_after(reading_stream_open(enrolment=enrolment), 60)
    second = beat_after(first.token, 60)
    capped = beat_after(second.token, 60)
    fresh = beat_after(reading_stream_open(enrolment=enrolment), 60)
    assert [first.credited_ms, second.credited_ms, capped.credited_ms, fresh.credited_ms] == [60_000, 60_000, 0, 60_000]


def test_two_tabs_of_one_course_credit_wall_clock_time_once(enrolment):
    # given two tabs opened at the same moment
    tab_a = reading_stream_open(enrolment=enrolment)
    tab_b = reading_stream_open(enrolment=enrolment)
    # when both beat every minute, B 20 s after A, for 5 minutes
    for _ in range(5):
        tab_a = beat_after(tab_a, 40).token
        tab_b = beat_after(tab_b, 20).token
    # then 5 minutes of wall-clock time are credited, not 10
    assert reading_ms(enrolment) == 5 * 60_000


def test_two_courses_on_two_devices_share_one_credit_stream(consenting_learner, agency, frozen):
    env = enrol(user=consenting_learner, course=make_course(agency, code="EL-A"))
    gender = enrol(user=consenting_learner, course=make_course(agency, code="EL-B", title="性別平等"))
    phone = reading_stream_open(enrolment=env)
    laptop = reading_stream_open(enrolment=gender)
    phone_beat = beat_after(phone, 30)
    laptop_beat = beat_after(laptop, 30)
    # each device beat once, 30 s apart: one minute of the learner's time, split where it was credited first
    assert (phone_beat.credited_ms, laptop_beat.credited_ms) == (30_000, 30_000)
    assert reading_ms(env) + reading_ms(gender) == 60_000


def test_a_replayed_token_credits_nothing_twice(enrolment):
    token = reading_stream_open(enrolment=enrolment)
    first = beat_after(token, 60)
    # when the same (old) token is sent again 10 s later
    replay = beat_after(token, 10)
    # then only the 10 s after the last credited instant count
    assert (first.credited_ms, replay.credited_ms) == (60_000, 10_000)
    assert reading_ms(enrolment) == 70_000


def test_server_clock_stepping_back_credits_nothing_and_never_subtracts(enrolment):
    token = reading_stream_open(enrolment=enrolment)
    first = beat_after(token, 60)
    # when the server clock is stepped back by five minutes (an NTP correction)
    back = beat_after(first.token, -300)
    # then no credit, no negative credit, and crediting resumes only past the instant already credited
    resumed = beat_after(back.token, 60)
    again = beat_after(resumed.token, 60)
    assert back.credited_ms == 0
    assert resumed.credited_ms == 0  # still before the instant already credited
    assert again.credited_ms == 0  # 2 min after the step back is still 2 min earlier than the first credit ended
    later = beat_after(again.token, 60)
    assert later.credited_ms == 0
    final = beat_after(later.token, 180)
    assert final.credited_ms == 60_000
    assert reading_ms(enrolment) == 120_000


def test_a_forged_or_altered_token_is_refused_and_changes_nothing(enrolment, other_agency):
    token = reading_stream_open(enrolment=enrolment)
    enrolment_id, user_id, previous, stretch, required = signing.loads(token, salt=TOKEN_SALT)
    # a token claiming an hour-old stream start, signed with a different key
    forged = signing.dumps(
        [enrolment_id, user_id, previous - 3_600_000, stretch, required], key="x" * 50, salt=TOKEN_SALT
    )
    clock.advance(seconds(60))
    for bad in [forged, token[:-2] + "xx", "", "not-a-token"]:
        with pytest.raises(HeartbeatRefused, match="無效的閱讀計時憑證"):
            heartbeat_credit(token=bad)
    assert reading_ms(enrolment) == 0
    assert LearnerClock.objects.get(user_id=user_id).last_credited_ms == 0


def test_a_token_for_a_deleted_enrolment_is_refused_and_the_clock_is_not_moved(enrolment, store):
    token = reading_stream_open(enrolment=enrolment)
    user_id = enrolment.user_id
    Enrolment.objects.filter(pk=enrolment.pk).delete()
    # With Redis, the flush finds the enrolment gone and drops its keys.
    store.flush()
    clock.advance(seconds(60))
    with pytest.raises(HeartbeatRefused, match="找不到此選課紀錄"):
        heartbeat_credit(token=token)
    assert LearnerClock.objects.get(user_id=user_id).last_credited_ms == 0


def _union_ms(intervals: list[tuple[int, int]]) -> int:
    total, end = 0, None
    for start, stop in sorted(intervals):
        if end is None or start > end:
            total += stop - start
            end = stop
        elif stop > end:
            total += stop - end
            end = stop
    return total


def _replay(enrolment, schedule, store):
    """Run a schedule of (tab, wait ms) beats; return the credited total, the union of the intervals the beats
    cover (previous beat of the tab → now, when within 3 minutes) and how many streams started or restarted."""
    clock.reset()
    if store.redis:
        store.lose_redis()
    LearnerClock.objects.filter(user_id=enrolment.user_id).update(last_credited_ms=0, prev_credited_ms=0)
    Enrolment.objects.filter(pk=enrolment.pk).update(reading_ms=0)
    now = 0
    tokens = [reading_stream_open(enrolment=enrolment) for _ in range(3)]
    previous = [0, 0, 0]
    intervals = []
    starts = 3
    for tab, wait_ms in schedule:
        clock.advance(dt.timedelta(milliseconds=wait_ms))
        now += wait_ms
        tokens[tab] = heartbeat_credit(token=tokens[tab]).token
        if now - previous[tab] <= 180_000:
            if now > previous[tab]:
                intervals.append((previous[tab], now))
        else:
            starts += 1
        previous[tab] = now
    return reading_ms(enrolment), _union_ms(intervals), starts


beats = st.lists(
    st.tuples(st.integers(min_value=0, max_value=2), st.integers(min_value=0, max_value=240_000)),
    min_size=1,
    max_size=25,
)
examples = hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@examples
@given(schedule=beats)
def test_property_several_tabs_never_credit_more_than_wall_clock_time(enrolment, store, schedule):
    """However beats from three tabs interleave, the credit never exceeds the union of the covered intervals
    (no second counted twice). It may fall short of it only where a tab starts (or restarts after a gap) while
    another is open: the single "last credited instant" then skips at most one gap-length per start."""
    credited, union, starts = _replay(enrolment, schedule, store)
    assert credited <= union
    assert credited >= union - starts * 180_000


@examples
@given(schedule=beats)
def test_property_one_tab_is_credited_exactly_its_covered_time(enrolment, store, schedule):
    credited, union, _starts = _replay(enrolment, [(0, wait) for _tab, wait in schedule], store)
    assert credited == union


@pytest.mark.django_db(transaction=True)
def test_concurrent_tabs_on_postgresql_never_double_count_and_are_never_refused(consenting_learner, course):
    """Real threads, real row locks: eight tabs of one learner beat as fast as they can for about a second.
    Every beat is answered, and the credited total is at most the wall-clock time since the tabs opened."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    postgresql_only("row-lock concurrency is exercised on PostgreSQL")
    enrolment = enrol(user=consenting_learner, course=course)
    opened = clock.now()
    tokens = [reading_stream_open(enrolment=enrolment) for _ in range(8)]

    def tab(token: str) -> int:
        refused = 0
        try:
            deadline = clock.now() + dt.timedelta(seconds=1)
            while clock.now() < deadline:
                try:
                    token = heartbeat_credit(token=token).token
                except HeartbeatRefused:
                    refused += 1
        finally:
            connections.close_all()
        return refused

    with ThreadPoolExecutor(max_workers=8) as pool:
        refusals = sum(pool.map(tab, tokens))
    elapsed_ms = (clock.now() - opened).total_seconds() * 1000
    assert refusals == 0
    credited = reading_ms(enrolment)
    assert 0 < credited <= elapsed_ms
    assert credited >= elapsed_ms - 1500  # the threads started within the first half second


@pytest.mark.django_db(transaction=True)
def test_a_lost_database_connection_is_replaced_on_the_next_beat(consenting_learner, course, store):
    from django.db import connection

    if store.redis:
        pytest.skip("the SQL store's connection only")
    postgresql_only("the PostgreSQL path uses the raw connection; SQLite's in-memory test database dies with it")
    enrolment = enrol(user=consenting_learner, course=course)
    token = reading_stream_open(enrolment=enrolment)
    # given the server's connection was closed under it (a database restart, an idle timeout)
    connection.ensure_connection()
    connection.connection.close()
    # then the next beat still works
    assert heartbeat_credit(token=token).reading_ms >= 0


def test_tokens_are_django_signed_objects_both_ways(enrolment, settings, monkeypatch):
    import time

    from civlearn.learning.reading.services import _sign, _unsign

    signed_at = time.time()
    monkeypatch.setattr("time.time", lambda: signed_at)  # both signatures in the same second

    # what the fast signer makes, Django's signing reads, and the reverse
    token = _sign(enrolment.pk, enrolment.user_id, 1_000, 2_000, 600_000)
    assert signing.loads(token, salt=TOKEN_SALT) == [enrolment.pk, enrolment.user_id, 1_000, 2_000, 600_000]
    assert token == signing.dumps([enrolment.pk, enrolment.user_id, 1_000, 2_000, 600_000], salt=TOKEN_SALT)
    assert _unsign(signing.dumps([1, 2, 3, 4, 5], salt=TOKEN_SALT)) == [1, 2, 3, 4, 5]
    # a token signed before a key rotation still works while the old key is a fallback
    old = signing.dumps([1, 2, 3, 4, 5], key="o" * 50, salt=TOKEN_SALT)
    settings.SECRET_KEY_FALLBACKS = ["o" * 50]
    assert _unsign(old) == [1, 2, 3, 4, 5]


def test_a_token_older_than_a_day_is_refused(enrolment, monkeypatch):
    import time

    token = reading_stream_open(enrolment=enrolment)
    signed_at = time.time()
    monkeypatch.setattr("time.time", lambda: signed_at + 24 * 3600 + 5)
    with pytest.raises(HeartbeatRefused, match="無效的閱讀計時憑證"):
        heartbeat_credit(token=token)
    assert reading_ms(enrolment) == 0
