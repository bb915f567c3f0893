"""The one place the platform asks what time it is, so tests can move the clock.

Code calls `clock.now()` instead of `timezone.now()` for every rule that depends on elapsed time
(password age, code expiry, locks, reading time).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

_offset = dt.timedelta(0)


def now() -> dt.datetime:
    return timezone.now() + _offset


def today() -> dt.date:
    return timezone.localdate(now())


def advance(delta: dt.timedelta) -> None:
    """Move the clock forward (tests only)."""
    global _offset
    _offset += delta


def reset() -> None:
    global _offset
    _offset = dt.timedelta(0)


def travel_to(moment: dt.datetime) -> None:
    """Set the clock to `moment`, from where it goes on ticking (tests only: fixed windows then start where a
    test expects)."""
    global _offset
    _offset = moment - timezone.now()
