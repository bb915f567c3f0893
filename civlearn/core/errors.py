"""The site's error pages: in its layout, in the person's language, with a way back.

Django's own handlers answer bare English pages. These render the site's templates instead. A server error gets a
short reference id that the page shows and the log line carries, so a person who reports it can be found in the log
without anything personal in either. The 500 page is rendered without the request's context processors: the error may
be the database itself, and the layout's "who is signed in" would query it again. No error page renders a form or
a CSRF token: an answer to a request that came without the CSRF cookie (a browser's favicon fetch) would otherwise
set a new cookie under the forms the person has open.
"""

from __future__ import annotations

import logging
import secrets
import sys

from django.http import HttpResponseBadRequest, HttpResponseForbidden, HttpResponseNotFound, HttpResponseServerError
from django.template import loader

logger = logging.getLogger("civlearn.errors")


def _home_for(path: str) -> str:
    """The front page of the face the person was on, so the way back stays in the system they were using."""
    for prefix in ("/ecpa/", "/elearn/", "/lifelong/"):
        if path.startswith(prefix):
            return prefix
    return "/"


def _render(request, template_name: str, **context) -> str:
    # error_page: the layout leaves out its forms (no CSRF token, so no cookie set by an error answer; see base.html).
    context.setdefault("home_url", _home_for(request.path))
    context["error_page"] = True
    return loader.render_to_string(template_name, context, request)


def bad_request(request, exception=None):
    return HttpResponseBadRequest(_render(request, "errors/400.html"))


def permission_denied(request, exception=None):
    return HttpResponseForbidden(_render(request, "errors/403.html"))


def page_not_found(request, exception=None):
    return HttpResponseNotFound(_render(request, "errors/404.html"))


def csrf_failure(request, reason=""):
    """A refused form post (an expired page, cookies blocked): say what to do rather than Django's bare 403."""
    return HttpResponseForbidden(_render(request, "errors/403_csrf.html"))


def server_error(request):
    reference = secrets.token_hex(4)
    # Called inside Django's exception handling, so the exception is still current; the masking filter on the
    # root handler keeps national IDs out of the traceback's text.
    logger.error("server error reference %s on %s %s", reference, request.method, request.path, exc_info=sys.exc_info())
    template = loader.get_template("errors/500.html")
    html = template.render({"reference": reference, "home_url": _home_for(request.path)})
    return HttpResponseServerError(html)
