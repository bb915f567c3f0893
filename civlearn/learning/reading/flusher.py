"""The reading-time flusher (`manage.py learning_reading_flush --every 5`): writes the balances kept in Redis to
the database, round after round, whatever happens to either store.

- A round that fails (PostgreSQL or Redis unreachable, restarted, failing over) is retried with a backoff that
  doubles from the flush interval up to `MAX_BACKOFF_SECONDS`; the process never stops for it.
- Each outage is logged once when it starts (and once more if its error changes) and once when it ends, not on
  every retry, so a long outage does not flood the log.
- After each round the state is published to Django's shared cache under `STATUS_KEY` as
  `{"ok": bool, "at": ISO time, "error": str}`; the readiness endpoint reads it (`selectors.flusher_status`).
  Publishing is best effort: with the cache in Redis, a Redis outage hides the report too, and the readiness
  check sees that outage itself.
- Nothing is lost or doubled by a failed round: the claimed `flushing` set stays in Redis until a round writes it,
  and the database only ever takes the greater value (redis_store.reading_flush).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import DatabaseError, close_old_connections, connection

from civlearn.core import clock, health
from civlearn.learning.reading import redis_store

logger = logging.getLogger(__name__)

# The key core's readiness check (/readyz) reads: one constant for both sides.
STATUS_KEY = health.FLUSHER_STATUS_KEY
MAX_BACKOFF_SECONDS = 30.0
# The report outlives a few missed rounds, not an hour: a stale report must not look current.
STATUS_TTL_SECONDS = 300


@dataclass(frozen=True)
class Round:
    ok: bool
    written: int
    error: str


def flush_round() -> Round:
    """One flush. Never raises for a store's failure: the error is returned."""
    try:
        return Round(ok=True, written=redis_store.reading_flush(), error="")
    except (redis_store.RedisError, DatabaseError, OSError) as exc:
        # A connection broken by a restart stays broken inside Django until it is closed; the next round opens
        # a fresh one.
        with contextlib.suppress(DatabaseError):
            connection.close()
        return Round(ok=False, written=0, error=f"{type(exc).__name__}: {exc}".strip()[:500])


def status_publish(result: Round) -> None:
    # The cache may live in the very store that is down; the next round tries again.
    with contextlib.suppress(Exception):
        cache.set(
            STATUS_KEY, {"ok": result.ok, "at": clock.now().isoformat(), "error": result.error}, STATUS_TTL_SECONDS
        )


def next_delay(*, every: float, failures: int) -> float:
    """Seconds to wait before the next round: the interval, doubled per consecutive failure, capped."""
    if failures == 0:
        return every
    return min(max(every, MAX_BACKOFF_SECONDS), every * 2**failures)


def flusher_run(
    *,
    every: float,
    rounds: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_round: Callable[[Round], None] | None = None,
) -> None:
    """Flush every `every` seconds for ever (or `rounds` times), surviving outages of either store."""
    failures = 0
    last_error = ""
    done = 0
    while rounds is None or done < rounds:
        started = time.monotonic()
        close_old_connections()
        result = flush_round()
        status_publish(result)
        if result.ok:
            if failures:
                logger.warning("reading-time flusher recovered after %d failed rounds", failures)
            failures, last_error = 0, ""
        else:
            failures += 1
            # One outage, one error line: a store going down often fails first with "connection closed" and then
            # with "connection refused"; a changed reason within the same outage is worth a quieter line only.
            if failures == 1:
                logger.error("reading-time flusher: flush failed, retrying with backoff: %s", result.error)
            elif result.error != last_error:
                logger.info("reading-time flusher: still failing: %s", result.error)
            last_error = result.error
        if on_round is not None:
            on_round(result)
        done += 1
        if rounds is not None and done >= rounds:
            return
        sleep(max(0.0, next_delay(every=every, failures=failures) - (time.monotonic() - started)))
