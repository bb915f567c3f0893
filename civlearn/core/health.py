"""Liveness and readiness: what a reverse proxy or an orchestrator asks every few seconds.

`liveness()` answers from memory (a process that can run Python is alive). `readiness()` touches each store this
process needs to serve a request — the database, the shared cache (the database cache, or Redis when `REDIS_URL` is
set), the Celery broker when one is configured — each with a short timeout, so that a hung store makes the probe
fail fast instead of hanging the proxy's check. It also reports the reading-time flusher's last word, which the
flusher writes to the shared cache under `FLUSHER_STATUS_KEY` (`{"ok": bool, "at": ISO time, "error": str}`).

A failing or silent flusher makes the report "degraded", never "fail": the flusher is one process for the whole
site, so taking every app server out of the proxy because of it would turn a delayed balance into an outage. Nothing
in a report names a person, a host or a password; an error is reported by its class name only.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from civlearn.core import clock

# Written by the reading-time flusher (learning), read here. The key is part of that interface: keep both in step.
FLUSHER_STATUS_KEY = "learning:flusher:status"
# A flusher that said nothing for longer than this is reported stale: it flushes every few seconds.
FLUSHER_STALE_AFTER = dt.timedelta(minutes=1)
# How long one probe may wait for a store before calling it unreachable.
PROBE_TIMEOUT_SECONDS = 2.0


@dataclass
class Check:
    ok: bool
    ms: float
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "ms": round(self.ms, 1), **self.detail}


@dataclass
class Report:
    status: str  # "ok", "degraded" (serving, something to look at) or "fail" (do not send traffic here)
    checks: dict[str, Check]

    @property
    def http_status(self) -> int:
        return 503 if self.status == "fail" else 200

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "checks": {name: check.as_dict() for name, check in self.checks.items()}}


def liveness() -> dict[str, str]:
    return {"status": "ok"}


def _timed(probe: Callable[[], dict[str, Any] | None]) -> Check:
    started = time.perf_counter()
    try:
        detail = probe() or {}
    except Exception as exc:
        return Check(ok=False, ms=(time.perf_counter() - started) * 1000, detail={"error": type(exc).__name__})
    return Check(ok=True, ms=(time.perf_counter() - started) * 1000, detail=detail)


def _probe_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache_backend_name() -> str:
    backend = settings.CACHES["default"]["BACKEND"]
    return {
        "django.core.cache.backends.db.DatabaseCache": "database",
        "django.core.cache.backends.redis.RedisCache": "redis",
        "django_redis.cache.RedisCache": "redis",
    }.get(backend, backend.rsplit(".", 1)[-1])


def _probe_broker() -> None:
    from kombu import Connection

    # A connection of its own, opened and closed: the probe must not share (or break) the one tasks are sent on.
    with Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=PROBE_TIMEOUT_SECONDS,
        transport_options={"socket_timeout": PROBE_TIMEOUT_SECONDS, "socket_connect_timeout": PROBE_TIMEOUT_SECONDS},
    ) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=PROBE_TIMEOUT_SECONDS)


def flusher_state(status: Any, *, now: dt.datetime) -> dict[str, Any]:
    """The flusher's last report as a state: running, failing, stale or unknown (never reported)."""
    if not isinstance(status, dict) or "at" not in status:
        return {"state": "unknown"}
    try:
        at = dt.datetime.fromisoformat(str(status["at"]))
    except ValueError:
        return {"state": "unknown"}
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    age = max(0.0, (now - at).total_seconds())
    if age > FLUSHER_STALE_AFTER.total_seconds():
        state = "stale"
    elif status.get("ok"):
        state = "running"
    else:
        state = "failing"
    return {"state": state, "age_s": round(age, 1)}


def readiness() -> Report:
    """Each store this process serves from, probed once. "fail" when any of them cannot be reached."""
    checks: dict[str, Check] = {"database": _timed(_probe_database)}
    flusher_status: list[Any] = []

    def probe_cache() -> dict[str, Any]:
        # One read serves two purposes: it proves the shared cache answers, and it is the flusher's last report.
        flusher_status.append(cache.get(FLUSHER_STATUS_KEY))
        return {"backend": _cache_backend_name()}

    checks["cache"] = _timed(probe_cache)
    if settings.CELERY_BROKER_URL:
        checks["broker"] = _timed(_probe_broker)
    failed = any(not check.ok for check in checks.values())
    degraded = False
    if settings.REDIS_URL and checks["cache"].ok:
        # The flusher runs only when reading time is kept in Redis (REDIS_URL).
        state = flusher_state(flusher_status[0], now=clock.now())
        checks["flusher"] = Check(ok=state["state"] == "running", ms=0.0, detail=state)
        degraded = not checks["flusher"].ok
    return Report(status="fail" if failed else ("degraded" if degraded else "ok"), checks=checks)
