"""A few machine requests answered in front of Django's full handler (ADR 0009).

Django's WSGI handler costs ≈ 0.2 ms of CPU per request before a view runs (signals, the request and response
objects, the middleware chain, the view's decorators); on the reference machine that alone holds a trivial JSON
view at ≈ 3,600 requests/s on two workers. The OAuth token endpoint of a national sign-in storm needs more.

`FrontHandler` wraps the WSGI application. For a POST to a path named in `settings.FRONT_ROUTES` (URL name →
dotted path of a function `answer(request) -> HttpResponse | None`), it builds Django's own `WSGIRequest`, runs the
middleware that comes before `ShortcutMiddleware` in `settings.MIDDLEWARE` (SecurityMiddleware, the SCORM content
origin refusal: their checks and headers still apply), checks the host against ALLOWED_HOSTS and calls the
function. When the function answers None — anything it does not handle — the request goes to Django's handler
unchanged (the body is kept for it), as does every other request. Django's `request_started` and
`request_finished` signals are sent, so database connections are checked and closed as usual, and each layer is
wrapped as Django's handler wraps it, so an exception is logged and answered as Django would answer it.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core import signals
from django.core.exceptions import DisallowedHost
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse
from django.urls import reverse
from django.utils.module_loading import import_string

SHORTCUT = "civlearn.core.middleware.ShortcutMiddleware"
# Set in the WSGI environ (request.META) of a request the front function left to Django: its view need not ask again.
FRONT_DECLINED = "civlearn.front_declined"


class _Unanswered(HttpResponse):
    """What the innermost layer returns when the front function left the request to Django."""


class FrontHandler:
    def __init__(self, application):
        self.application = application
        self._routes: dict | None = None

    def _load(self) -> dict:
        # On the first request: the URLconf is loaded then. PATH_INFO carries no script prefix, and neither does
        # reverse() before any request has set one.
        middleware = list(settings.MIDDLEWARE)
        before = middleware[: middleware.index(SHORTCUT)] if SHORTCUT in middleware else []
        routes = {}
        for name, dotted in getattr(settings, "FRONT_ROUTES", {}).items():
            answer = import_string(dotted)

            def view(request, answer=answer):
                return answer(request) or _Unanswered()

            # As Django's handler builds its chain: an exception in any layer becomes its response (404, 500 logged).
            chain = convert_exception_to_response(view)
            for path in reversed(before):
                chain = convert_exception_to_response(import_string(path)(chain))
            routes[reverse(name)] = chain
        return routes

    def __call__(self, environ, start_response):
        if self._routes is None:
            self._routes = self._load()
        chain = self._routes.get(environ.get("PATH_INFO"))
        if chain is None or environ.get("REQUEST_METHOD") != "POST":
            return self.application(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return self.application(environ, start_response)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            response = self._answer(environ, chain)
        finally:
            signals.request_finished.send(sender=self.__class__)
        if response is None:
            # Django's handler takes the request as it came, body included; FRONT_DECLINED tells the view.
            environ["wsgi.input"] = io.BytesIO(body)
            environ[FRONT_DECLINED] = True
            return self.application(environ, start_response)
        response.headers["Content-Length"] = str(len(response.content))
        headers = [*response.items(), *(("Set-Cookie", c.output(header="")) for c in response.cookies.values())]
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        return [response.content]

    @staticmethod
    def _answer(environ, chain):
        request = WSGIRequest(environ)
        try:
            request.get_host()
        except DisallowedHost:
            return None  # Django answers 400 and logs it, as for any other path
        response = chain(request)
        return None if isinstance(response, _Unanswered) else response
