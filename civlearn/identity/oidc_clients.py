"""A per-process cache of OAuth applications (clients) for the token endpoint.

Every token request authenticates its client; reading the application row costs a query and, in CPU, more than the
rest of a client-credentials request. Applications change rarely (an operator edits one in admin, a command rotates
a secret), so each process keeps the rows it has read for `CLIENT_CACHE_TTL_SECONDS`.

Freshness contract:
- a save or delete of an application (admin, `hours_api_client`, any `.save()`/`.delete()`) takes effect at once in
  every process and on every server: `post_save`/`post_delete` empty this process's cache and bump a version stamp in
  the shared cache (core/stamps.py), now and again when the transaction commits; every lookup compares its entry's
  stamp with the shared one, so a request that read the old row in between does not keep it;
- changes made with `QuerySet.update()` or raw SQL send no signal and are seen within `CLIENT_CACHE_TTL_SECONDS`.
Applications registered through a Client ID Metadata Document are never cached: DOT re-fetches their document.
"""

from __future__ import annotations

import copy
import threading
import time

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from oauth2_provider.models import get_application_model

from civlearn.core import stamps

Application = get_application_model()

CLIENT_CACHE_TTL_SECONDS = 5.0

_lock = threading.Lock()
_entries: dict[str, tuple[float, str, object]] = {}
_STAMP = "identity:clients"
# Bumped by every invalidation: a load that started before one must not store what it read.
_generation = 0


def cached_application(client_id: str, *, shared: bool = False):
    """The application with this client id, or None when there is none (or it is a CIMD one, left to DOT).

    Each caller gets its own copy: DOT and the scopes backend set attributes on `request.client` that belong to
    one request only. `shared=True` hands out the cached instance itself, for a caller that only reads it
    (token_fast).
    """
    stamp = stamps.current(_STAMP)
    entry = _entries.get(client_id)
    if entry is not None and entry[1] == stamp and time.monotonic() - entry[0] < CLIENT_CACHE_TTL_SECONDS:
        return entry[2] if shared else copy.copy(entry[2])
    generation = _generation
    try:
        application = Application.objects.get(client_id=client_id)
    except (Application.DoesNotExist, ValueError):
        # ValueError: PostgreSQL refuses a NUL byte in a parameter; no client id contains one.
        # Unknown ids are not remembered: a client registered a moment later must work at once.
        return None
    if application.registration_source == Application.RegistrationSource.CIMD:
        return None
    with _lock:
        if generation == _generation:
            _entries[client_id] = (time.monotonic(), stamp, application)
    return application if shared else copy.copy(application)


def forget_cached_clients() -> None:
    global _generation
    with _lock:
        _generation += 1
        _entries.clear()


def _application_changed(sender, instance, **kwargs) -> None:
    # Signals here only keep a cache honest; no domain flow hangs on them.
    forget_cached_clients()
    transaction.on_commit(forget_cached_clients)
    stamps.bump(_STAMP)


post_save.connect(_application_changed, sender=Application, dispatch_uid="civlearn.oidc_clients.saved")
post_delete.connect(_application_changed, sender=Application, dispatch_uid="civlearn.oidc_clients.deleted")
