"""Attempt counters and temporary locks, checked before any password hash.

Kept in the database (models/throttle.py), so a cache restart lifts no lock. Keys hold a keyed hash of what they
count (a sign-in name, a national ID, an address, a device), never the value itself. Counters live in fixed
windows; a lock stores its end time, compared with `clock.now()` so tests can move the clock instead of waiting.
Expired rows are deleted by `manage.py identity_purge`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from django.conf import settings
from django.db import transaction
from django.db.models import F

from civlearn.core import clock
from civlearn.identity.models import ThrottleCounter, ThrottleLock


def _digest(scope: str, value: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{scope}\0{value}".encode(), hashlib.sha256).hexdigest()[:32]


def _window(minutes: int) -> int:
    return int(clock.now().timestamp() // (minutes * 60))


def _counter_key(scope: str, value: str, minutes: int) -> str:
    return f"{_digest(scope, value)}:{minutes}:{_window(minutes)}"


def locked_until(scope: str, value: str) -> dt.datetime | None:
    """The end of the lock on (scope, value), or None when not locked."""
    return first_lock([(scope, value)])


def first_lock(pairs: list[tuple[str, str]]) -> dt.datetime | None:
    """The latest end among the current locks on these (scope, value) pairs, in one query; None when none is locked."""
    keys = [_digest(scope, value) for scope, value in pairs]
    ends = ThrottleLock.objects.filter(key__in=keys, until__gt=clock.now()).values_list("until", flat=True)
    return max(ends, default=None)


def lock(scope: str, value: str, *, until: dt.datetime) -> None:
    ThrottleLock.objects.update_or_create(key=_digest(scope, value), defaults={"until": until})


def count(
    scope: str, value: str, *, limit: int, minutes: int, lock_minutes: int | None = None
) -> tuple[int, dt.datetime | None]:
    """Add one to the counter of (scope, value); lock it for `lock_minutes` (default `minutes`) when it reaches
    `limit`. Returns the count in this window and the lock's end if this call set one."""
    key = _counter_key(scope, value, minutes)
    now = clock.now()
    expires = now + dt.timedelta(minutes=minutes * 2)
    with transaction.atomic():
        counter, _created = ThrottleCounter.objects.get_or_create(key=key, defaults={"expires_at": expires})
        # F(): concurrent failures each count (the row stays locked until this transaction ends).
        ThrottleCounter.objects.filter(pk=counter.pk).update(count=F("count") + 1)
        current = ThrottleCounter.objects.values_list("count", flat=True).get(pk=counter.pk)
        if current >= limit:
            end = now + dt.timedelta(minutes=lock_minutes if lock_minutes is not None else minutes)
            lock(scope, value, until=end)
            ThrottleCounter.objects.filter(pk=counter.pk).delete()
            return current, end
    return current, None


def clear(pairs: list[tuple[str, str]], *, minutes: int) -> None:
    """Forget the counters of this window of these (scope, value) pairs (failures before a successful sign-in), in one
    statement."""
    ThrottleCounter.objects.filter(key__in=[_counter_key(scope, value, minutes) for scope, value in pairs]).delete()


def purge(*, before: dt.datetime) -> int:
    """Delete counters and locks that ended before `before`; returns how many rows went."""
    counters, _ = ThrottleCounter.objects.filter(expires_at__lt=before).delete()
    locks, _ = ThrottleLock.objects.filter(until__lt=before).delete()
    return counters + locks
