"""Version stamps in the shared cache: how a process knows its in-memory copy of operator data is out of date.

A process may keep what it built from rows an operator can change (OAuth clients, signing keys) when building it
costs more than a cache read. Every use then reads the stamp (one round trip to the shared cache: Redis, or the
database cache table) and rebuilds when it differs from the stamp the copy was built under; every change bumps
the stamp after its transaction commits. So every process and every server sees the change at once, not after a
timeout, on every setup, as long as the change goes through code that bumps (a `.save()` with its signal, an admin
page, a management command).

A lost stamp (a Redis restart, a culled cache row) reads as a new one: every copy is rebuilt once, never kept stale.
"""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.db import transaction

_PREFIX = "stamp:"


def current(name: str) -> str:
    """The stamp of `name`; a new one when the cache holds none."""
    key = _PREFIX + name
    value = cache.get(key)
    if value is None:
        # add(), not set(): two processes that both found none agree on the first one written.
        cache.add(key, uuid.uuid4().hex, timeout=None)
        value = cache.get(key)
    return value or ""


def bump(name: str) -> None:
    """Mark every copy of `name` out of date: now, and again when the current transaction (if any) commits, because
    a process that rebuilt in between read the old rows and keeps them under the first new stamp."""
    _set_new(name)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _set_new(name))


def _set_new(name: str) -> None:
    cache.set(_PREFIX + name, uuid.uuid4().hex, timeout=None)
