"""The heartbeat skips the middleware it has no use for.

A heartbeat authenticates by its signed reading token and answers JSON: it reads no session, user, language,
CSRF cookie or message, and sets no cookie. Profiled in the WSGI application, the session, locale, common, CSRF,
authentication, password-expiry, messages and clickjacking middleware cost about as much CPU per beat as the
crediting itself. This middleware sits right after SecurityMiddleware and ContentOriginMiddleware (so the security
headers and the SCORM content host's refusal still apply) and hands `POST /elearn/heartbeat` to the view directly.
Every other request passes through untouched.
"""

from __future__ import annotations

from django.urls import reverse

from civlearn.learning.views_media import heartbeat_view


class HeartbeatShortcutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._path: str | None = None

    def __call__(self, request):
        if self._path is None:
            # Resolved on the first request, when the URLconf is loaded (and the script prefix is known: reverse()
            # and request.path both include it).
            self._path = reverse("learning:heartbeat")
        if request.path == self._path:
            response = heartbeat_view(request)
            # CommonMiddleware would set it: without it the server falls back to a chunked answer.
            response.headers["Content-Length"] = str(len(response.content))
            return response
        return self.get_response(request)
