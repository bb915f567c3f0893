"""The heartbeat authenticates by its reading token alone: a signed-in browser's session is never loaded for it."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from civlearn.core import clock
from civlearn.learning.catalogue.services import enrol
from civlearn.learning.reading.services import reading_stream_open

from .conftest import make_course


def test_a_heartbeat_from_a_signed_in_browser_reads_neither_session_nor_user(client, consenting_learner, agency):
    course = make_course(agency)
    enrolment = enrol(user=consenting_learner, course=course)
    token = reading_stream_open(enrolment=enrolment)
    client.force_login(consenting_learner)
    # An expired password sends page views to the forced change, but not a beat from a page already open.
    clock.advance(dt.timedelta(days=400))

    with CaptureQueriesContext(connection) as queries:
        response = client.post("/elearn/heartbeat", {"token": token})

    assert response.status_code == 200 and response.json()["ok"] is True
    tables = " ".join(q["sql"] for q in queries.captured_queries)
    assert "django_session" not in tables
    assert "identity_user" not in tables
    assert client.get("/elearn/my/").url == "/ecpa/password/expired"
