"""Generation stamps in the shared cache: what cached fragments and computed results are keyed by, so that one
change seen by any process makes every process build the next answer afresh (`{% cache %}` fragments and
cache entries name the stamp in their key; the old entries are never read again and expire).

`generation(key)` reads the stamp (creating it once); `generation_renew(key)` replaces it now and again when the
caller's transaction commits (a reader in between would otherwise cache the old rows under the new stamp).
`cache_forget(key)` does the same for one cached value kept under a key of its own.
"""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.db import transaction


def generation(key: str) -> str:
    stamp = cache.get(key)
    if stamp is None:
        cache.add(key, uuid.uuid4().hex, None)
        stamp = cache.get(key) or ""
    return stamp


def generation_renew(key: str) -> None:
    cache.set(key, uuid.uuid4().hex, None)
    transaction.on_commit(lambda: cache.set(key, uuid.uuid4().hex, None))


def cache_forget(key: str) -> None:
    """Delete one cached value now and again when the caller's transaction commits (a reader in between would
    otherwise cache the old rows again)."""
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))
