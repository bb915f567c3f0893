"""/healthz (liveness) and /readyz (readiness): exact answers, and a 503 naming the store that cannot be reached."""

from __future__ import annotations

import datetime as dt
import os
import socket

import pytest
from django.core.cache import cache
from django.urls import reverse

from civlearn.core import clock, health

TEST_REDIS_URL = os.environ.get("CIVLEARN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _closed_port() -> int:
    # A port nothing listens on: bound, noted and released, so a connection to it is refused at once.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_cache(settings):
    settings.REDIS_URL = TEST_REDIS_URL
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": TEST_REDIS_URL}
    }
    cache.delete(health.FLUSHER_STATUS_KEY)
    yield
    cache.delete(health.FLUSHER_STATUS_KEY)


def _checks_without_timings(body: dict) -> dict:
    return {name: {k: v for k, v in check.items() if k != "ms"} for name, check in body["checks"].items()}


def test_healthz_answers_without_touching_the_database(client, db, django_assert_max_num_queries):
    with django_assert_max_num_queries(0):
        response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert "Set-Cookie" not in response


DATABASE_CACHE = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "civlearn_cache"}}


def test_readyz_on_the_default_setup_checks_the_database_and_the_database_cache(client, db, settings):
    settings.CACHES = DATABASE_CACHE  # the default outside the test process (settings.py)
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert _checks_without_timings(body) == {"database": {"ok": True}, "cache": {"ok": True, "backend": "database"}}
    assert all(isinstance(check["ms"], float) for check in body["checks"].values())
    assert "no-store" in response["Cache-Control"]


def test_readyz_fails_with_503_when_the_cache_cannot_be_reached(client, db, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": settings.REDIS_URL}
    }
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert _checks_without_timings(body) == {
        "database": {"ok": True},
        "cache": {"ok": False, "error": "ConnectionError"},
    }
    # The address of the store is not in the answer: a probe's reader needs which store, not where it lives.
    assert "127.0.0.1" not in response.content.decode()


def test_readyz_fails_with_503_when_the_broker_cannot_be_reached(client, db, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert _checks_without_timings(response.json())["broker"] == {"ok": False, "error": "OperationalError"}


def test_readyz_checks_a_reachable_broker(client, db, settings):
    settings.CELERY_BROKER_URL = TEST_REDIS_URL
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    assert _checks_without_timings(response.json())["broker"] == {"ok": True}


def test_readyz_with_redis_reports_a_flusher_that_never_reported_as_unknown_and_degraded(client, db, redis_cache):
    response = client.get(reverse("readyz"))
    assert response.status_code == 200  # a silent flusher is a warning, not a reason to stop serving
    body = response.json()
    assert body["status"] == "degraded"
    assert _checks_without_timings(body) == {
        "database": {"ok": True},
        "cache": {"ok": True, "backend": "redis"},
        "flusher": {"ok": False, "state": "unknown"},
    }


def test_readyz_with_redis_and_a_flusher_that_just_flushed_is_ok(client, db, redis_cache):
    cache.set(
        health.FLUSHER_STATUS_KEY, {"ok": True, "at": (clock.now() - dt.timedelta(seconds=3)).isoformat(), "error": ""}
    )
    body = client.get(reverse("readyz")).json()
    assert body["status"] == "ok"
    assert body["checks"]["flusher"]["ok"] is True
    assert body["checks"]["flusher"]["state"] == "running"
    assert 3.0 <= body["checks"]["flusher"]["age_s"] < 10.0


def test_readyz_reports_a_failing_flusher_without_its_error_text(client, db, redis_cache):
    error = "OperationalError: connection to server at 10.0.0.5 failed"
    cache.set(health.FLUSHER_STATUS_KEY, {"ok": False, "at": clock.now().isoformat(), "error": error})
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["flusher"]["state"] == "failing"
    assert "10.0.0.5" not in response.content.decode()


@pytest.mark.parametrize(
    ("status", "seconds_ago", "expected"),
    [
        ({"ok": True}, 59, "running"),
        ({"ok": True}, 61, "stale"),
        ({"ok": False, "error": "x"}, 5, "failing"),
        ({"ok": False, "error": "x"}, 600, "stale"),
    ],
)
def test_flusher_state_is_stale_after_a_minute_of_silence(status, seconds_ago, expected):
    now = dt.datetime(2026, 12, 6, 2, 0, tzinfo=dt.UTC)
    status = {**status, "at": (now - dt.timedelta(seconds=seconds_ago)).isoformat()}
    assert health.flusher_state(status, now=now) == {"state": expected, "age_s": float(seconds_ago)}


@pytest.mark.parametrize("status", [None, "garbage", {"ok": True}, {"ok": True, "at": "yesterday"}])
def test_flusher_state_of_nothing_or_garbage_is_unknown(status):
    now = dt.datetime(2026, 12, 6, 2, 0, tzinfo=dt.UTC)
    assert health.flusher_state(status, now=now) == {"state": "unknown"}


def test_a_naive_flusher_time_is_read_as_utc():
    now = dt.datetime(2026, 12, 6, 2, 0, tzinfo=dt.UTC)
    assert health.flusher_state({"ok": True, "at": "2026-12-06T01:59:30"}, now=now) == {
        "state": "running",
        "age_s": 30.0,
    }
