"""View markers read by middleware."""

from __future__ import annotations

from collections.abc import Callable


def session_free(view: Callable) -> Callable:
    """Mark a view that authenticates by its own token and never reads the signed-in user.

    Middleware that would otherwise load the session and the user for every request (the forced password change)
    leaves such views alone, which keeps the hottest endpoints (reading-time heartbeats) at their own queries only.
    """
    view.civlearn_session_free = True  # type: ignore[attr-defined]
    return view
