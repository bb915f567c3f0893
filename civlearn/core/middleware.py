"""Machine endpoints skip the site middleware they have no use for.

A few hot endpoints authenticate by their own credential and answer JSON — the reading-time heartbeat (a signed
token) and the OAuth token endpoint (the client's secret): they read no session, user, language, CSRF cookie or
message, and set no cookie. Profiled, the session, locale, common, CSRF, authentication, password-expiry, messages
and clickjacking middleware and a deep URL match cost about as much CPU per request as the heartbeat's crediting
itself (ADR 0006, ADR 0007).

`ShortcutMiddleware` sits after SecurityMiddleware and the SCORM content-origin refusal, so their headers and checks
still apply, and hands the paths of the URL names in `SHORTCUT_URL_NAMES` to their views directly. Only views
marked `session_free` may be listed. What the skipped middleware did that these answers need, it does itself: the
ALLOWED_HOSTS check (CommonMiddleware's `get_host()`; neither view reads the host) and `Content-Length` (without it
the server falls back to a chunked answer). Every other request passes through untouched.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import resolve, reverse


class ShortcutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._routes: dict | None = None

    def _load(self) -> dict:
        # On the first request, when the URLconf is loaded and the script prefix known: reverse() and request.path
        # both carry it.
        routes = {}
        for name in getattr(settings, "SHORTCUT_URL_NAMES", ()):
            path = reverse(name)
            match = resolve(path)
            if not getattr(match.func, "civlearn_session_free", False):
                raise ImproperlyConfigured(f"SHORTCUT_URL_NAMES: the view of {name!r} is not marked session_free")
            routes[path] = match
        return routes

    def __call__(self, request):
        if self._routes is None:
            self._routes = self._load()
        match = self._routes.get(request.path)
        if match is None:
            return self.get_response(request)
        # Raises DisallowedHost (answered 400) for a host not in ALLOWED_HOSTS.
        request.get_host()
        request.resolver_match = match
        response = match.func(request)
        response.headers["Content-Length"] = str(len(response.content))
        return response
