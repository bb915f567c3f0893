"""What other apps and the operations side may read from the learning app."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache

from civlearn.learning.reading.flusher import STATUS_KEY


def flusher_status() -> dict[str, Any] | None:
    """The reading-time flusher's last report, `{"ok": bool, "at": ISO time, "error": str}`, or None when it has
    not reported (not running, or its report expired). Raises what the cache raises when the cache is down."""
    status = cache.get(STATUS_KEY)
    return status if isinstance(status, dict) else None
