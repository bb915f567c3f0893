"""The separate origin SCORM content runs on (docs/scorm.md, "Where content runs").

Package JavaScript is third-party code. It runs on SCORM_CONTENT_ORIGIN, a host name of its own that points at
the same application: the browser sends that host no platform cookie (the session and CSRF cookies are
host-only), and the content origin cannot read the platform's pages or its CSRF cookie. The runtime API lives
in a player page on the same content origin, so content finds `window.API` the usual way, and the player talks
to the server with per-attempt signed tokens instead of the learner's session.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import Http404

CONTENT_PREFIX = "/elearn/scorm-content/"
LOOPBACK_SWAP = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}


class ContentOriginMissing(Exception):
    """SCORM_CONTENT_ORIGIN is not set (or unsafe); the message is shown as is."""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def configured_origin() -> str:
    return _origin(getattr(settings, "SCORM_CONTENT_ORIGIN", "") or "")


def content_origin() -> str:
    """The content origin. Unset on a development machine (SITE_URL on 127.0.0.1 or localhost), the other
    loopback name with the same port is used: a different host, so cookies stay apart as in production."""
    origin = configured_origin()
    site = _origin(settings.SITE_URL)
    if not origin:
        parts = urlsplit(site)
        swapped = LOOPBACK_SWAP.get(parts.hostname or "")
        if swapped:
            origin = f"{parts.scheme}://{swapped}" + (f":{parts.port}" if parts.port else "")
    if not origin:
        raise ContentOriginMissing("系統尚未設定 SCORM 教材網域（SCORM_CONTENT_ORIGIN），暫時無法播放 SCORM 教材")
    if origin == site:
        raise ContentOriginMissing("SCORM 教材網域（SCORM_CONTENT_ORIGIN）不可與平臺網址相同，暫時無法播放 SCORM 教材")
    return origin


def request_origin(request) -> str:
    return f"{request.scheme}://{request.get_host()}".lower()


def require_content_origin(request) -> None:
    """Content, player and runtime endpoints answer on the content origin only (404 elsewhere), so package files
    are never same-origin with the platform."""
    try:
        expected = content_origin()
    except ContentOriginMissing as exc:
        raise Http404(str(exc)) from exc
    if request_origin(request) != expected:
        raise Http404("SCORM 教材只在教材網域提供")


class ContentOriginMiddleware:
    """On the content host (when SCORM_CONTENT_ORIGIN is set) serve SCORM content and static files only: no
    sign-in page, no session, nothing a package could use to act as the learner."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        origin = configured_origin()
        if origin:
            try:
                on_content_host = request_origin(request) == origin
            except DisallowedHost:
                on_content_host = False
            if on_content_host and not request.path.startswith((CONTENT_PREFIX, settings.STATIC_URL)):
                from django.http import HttpResponseNotFound

                return HttpResponseNotFound("Not found", content_type="text/plain")
        return self.get_response(request)
