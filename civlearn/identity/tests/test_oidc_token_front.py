"""The token endpoint in front of Django's handler (core.front, ADR 0009), called as the WSGI server calls it."""

from __future__ import annotations

import io
import json
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from oauth2_provider.models import AccessToken

from civlearn.core.front import FrontHandler
from civlearn.identity import token_fast
from civlearn.identity.tests.sso_support import MACHINE_SECRET


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # As Django's test client does: the test's transaction must survive the request signals.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def django_must_not_answer(environ, start_response):
    raise AssertionError("Django's handler was called")


def call(app, *, method="POST", path="/o/token/", data=None, host="localhost"):
    body = urlencode(data or {}).encode()
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "HTTP_HOST": host,
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    setup_testing_defaults(environ)
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(headers)

    chunks = app(environ, start_response)
    answer["body"] = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return answer


def test_a_token_is_answered_in_front_of_django_with_its_security_headers(machine):
    front = FrontHandler(django_must_not_answer)
    data = {"grant_type": "client_credentials", "client_id": machine.client_id, "client_secret": MACHINE_SECRET}

    answer = call(front, data=data)

    assert answer["status"] == 200
    body = json.loads(answer["body"])
    assert AccessToken.objects.filter(application=machine).count() == 1
    assert body["token_type"] == "Bearer"
    headers = answer["headers"]
    assert headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Length"] == str(len(answer["body"]))
    # SecurityMiddleware ran, as it does for every answer of the site
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Referrer-Policy" in headers


def test_what_the_front_declines_reaches_dot_with_its_body(machine, monkeypatch):
    calls = []
    original = token_fast.answer
    monkeypatch.setattr(token_fast, "answer", lambda request: calls.append(1) or original(request))
    front = FrontHandler(WSGIHandler())

    answer = call(
        front, data={"grant_type": "client_credentials", "client_id": machine.client_id, "client_secret": "x"}
    )

    # DOT read the same body and refused the secret; the fast path was asked once, not again by the view
    assert answer["status"] == 401
    assert json.loads(answer["body"])["error"] == "invalid_client"
    assert calls == [1]
    assert AccessToken.objects.count() == 0


def test_a_request_for_another_host_gets_django_s_refusal(machine):
    front = FrontHandler(WSGIHandler())
    data = {"grant_type": "client_credentials", "client_id": machine.client_id, "client_secret": MACHINE_SECRET}

    answer = call(front, data=data, host="evil.example")

    assert answer["status"] == 400
    assert AccessToken.objects.count() == 0


@pytest.mark.parametrize("method, path", [("GET", "/o/token/"), ("POST", "/o/revoke_token/")])
def test_other_requests_go_to_django(db, method, path):
    answer = call(FrontHandler(WSGIHandler()), method=method, path=path, data={"token": "x"})

    assert answer["status"] in (400, 401, 405)


def broken(request):
    raise RuntimeError("database gone")


def test_an_exception_is_answered_500_as_django_answers_it(machine, settings, caplog):
    settings.FRONT_ROUTES = {"sso:token": f"{__name__}.broken"}
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    front = FrontHandler(django_must_not_answer)

    answer = call(front, data={"grant_type": "client_credentials"})

    assert answer["status"] == 500
    assert any("database gone" in str(record.exc_info) for record in caplog.records if record.exc_info)
