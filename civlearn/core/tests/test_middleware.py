"""core.middleware.ShortcutMiddleware: listed machine endpoints skip the site middleware, nothing else does."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import RequestFactory

from civlearn.core.middleware import ShortcutMiddleware


def _rest_of_the_site(request):
    return HttpResponse("site", status=299)


def test_a_listed_path_goes_straight_to_its_view_with_a_content_length(db, settings):
    settings.SHORTCUT_URL_NAMES = ["learning:heartbeat"]
    middleware = ShortcutMiddleware(_rest_of_the_site)
    response = middleware(RequestFactory().post("/elearn/heartbeat", {"token": "forged"}))
    assert response.status_code == 403  # the heartbeat view's refusal, not the rest of the site
    assert response["Content-Length"] == str(len(response.content))


def test_other_paths_pass_through(settings):
    settings.SHORTCUT_URL_NAMES = ["learning:heartbeat"]
    middleware = ShortcutMiddleware(_rest_of_the_site)
    assert middleware(RequestFactory().post("/elearn/heartbeat/")).status_code == 299
    assert middleware(RequestFactory().get("/ecpa/")).status_code == 299


def test_the_host_is_still_checked_against_allowed_hosts(db, client):
    response = client.post("/elearn/heartbeat", {"token": "forged"}, HTTP_HOST="evil.example")
    assert response.status_code == 400


def test_a_view_that_reads_the_session_may_not_be_listed(settings):
    settings.SHORTCUT_URL_NAMES = ["identity:signin"]
    middleware = ShortcutMiddleware(_rest_of_the_site)
    with pytest.raises(ImproperlyConfigured, match="identity:signin"):
        middleware(RequestFactory().get("/ecpa/"))
