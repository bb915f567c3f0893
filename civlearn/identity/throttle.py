"""Cache-based attempt counters and temporary locks, checked before any password hash or registry query.

Keys hold a keyed hash of what they count (a sign-in name, a national ID, an address), never the value itself,
so a cache dump shows no national ID. Counters live in fixed windows (`cache.incr` is atomic on Redis and within
one process on the local-memory cache); a lock stores its end time, compared with `clock.now()` so tests can move
the clock instead of waiting.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache

from civlearn.core import clock


def _digest(scope: str, value: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{scope}\0{value}".encode(), hashlib.sha256).hexdigest()[:32]


def _window(minutes: int) -> int:
    return int(clock.now().timestamp() // (minutes * 60))


def locked_until(scope: str, value: str) -> dt.datetime | None:
    """The end of the lock on (scope, value), or None when not locked."""
    until = cache.get(f"lock:{_digest(scope, value)}")
    if until is None:
        return None
    end = dt.datetime.fromtimestamp(until, tz=dt.UTC)
    return end if end > clock.now() else None


def count(scope: str, value: str, *, limit: int, minutes: int) -> tuple[int, dt.datetime | None]:
    """Add one to the counter of (scope, value); lock it for `minutes` when it reaches `limit`.

    Returns the count in this window and the lock's end if this call set one.
    """
    key = f"count:{_digest(scope, value)}:{_window(minutes)}"
    timeout = minutes * 60 * 2
    cache.add(key, 0, timeout)
    try:
        current = cache.incr(key)
    except ValueError:
        # The entry expired between add and incr.
        cache.set(key, 1, timeout)
        current = 1
    if current >= limit:
        end = clock.now() + dt.timedelta(minutes=minutes)
        # The cache keeps the entry a little longer than the lock; the stored time decides.
        cache.set(f"lock:{_digest(scope, value)}", end.timestamp(), minutes * 60 + 60)
        cache.delete(key)
        return current, end
    return current, None


def clear(scope: str, value: str, *, minutes: int) -> None:
    """Forget the counter of this window (failures before a successful sign-in)."""
    cache.delete(f"count:{_digest(scope, value)}:{_window(minutes)}")
