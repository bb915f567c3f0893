"""/api/v1/hours/records against its own OpenAPI schema, with schemathesis: every check it has, positive and
negative examples, a real client-credentials token and the real database. Whatever it sends, the API answers
without a server error and as the schema says (a request the schema forbids is refused, one it allows is not).
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings

from civlearn.hours.tests.test_api_records import make_client, token_for

# Bounded: examples per operation and generation mode (4 runs in all), a minute or so on the shared machine.
EXAMPLES = 150


@pytest.fixture
def bearer(client, agency, learner_person, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    return {"Authorization": f"Bearer {token_for(client, make_client(agency))}"}


@pytest.fixture
def wsgi_app(bearer):
    # The real WSGI handler closes the database connection after each request when it is not in autocommit;
    # inside the test's transaction that would close it for good. Django's test client unhooks the same two
    # receivers around each of its requests (and hooks them again after), so this comes after the token.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_the_api_answers_as_its_schema_says(wsgi_app, bearer):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema?format=json", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    statuses: Counter[tuple[str, int]] = Counter()
    assert {op.label for op in operations} == {"GET /api/v1/hours/records", "POST /api/v1/hours/records"}

    for operation in operations:
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            run(operation, mode, bearer, statuses)
    print(sorted(statuses.items()))
    assert not [key for key in statuses if key[1] >= 500]


def run(operation, mode, bearer, statuses) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )  # fmt: skip
    def call(case):
        # The WSGI test client does not undo Content-Encoding (GZipMiddleware compresses for any client that asks),
        # so this client asks for the body as it is, as a client that cannot decompress would.
        response = case.call_and_validate(headers={**bearer, "Accept-Encoding": "identity"})
        statuses[(f"{operation.label} {mode.value}", response.status_code)] += 1

    call()
