"""The token endpoint (django-oauth-toolkit through its public extension points, ADR 0011): upper bounds on its
queries for both grants, a changed or deleted client refused at once, a replayed code refused with nothing
written."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from jwcrypto import jwt
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken, get_application_model

from civlearn.identity.models import SigninRecord
from civlearn.sso import oidc
from civlearn.sso.tests.sso_support import (
    CHALLENGE,
    MACHINE_SECRET,
    REDIRECT,
    RP_SECRET,
    exchange_code,
    register_rp,
)

Application = get_application_model()


pytestmark = pytest.mark.usefixtures("oidc_keys")


def _client_credentials(client, application, secret=MACHINE_SECRET):
    return client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "client_id": application.client_id, "client_secret": secret},
    )


def _code(client, application) -> str:
    params = {
        "response_type": "code",
        "client_id": application.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid profile agency",
        "state": "s1",
        "nonce": "n1",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    response = client.get("/o/authorize/", params)
    return parse_qs(urlsplit(response["Location"]).query)["code"][0]


def _tables(queries) -> list[str]:
    """Each captured data statement as its verb and table (transaction control left out)."""
    out = []
    for query in queries.captured_queries:
        sql = query["sql"]
        verb = sql.split()[0].upper()
        if verb in ("SELECT", "INSERT", "DELETE", "UPDATE"):
            table = sql.split(" FROM " if verb in ("SELECT", "DELETE") else " INTO ")[1].split()[0].strip('"')
            out.append(f"{verb} {table}")
    return out


def test_a_client_credentials_token_costs_a_few_queries(client, machine):
    # when an institution takes a token
    with CaptureQueriesContext(connection) as queries:
        response = _client_credentials(client, machine)

    # then the client is read and the token stored, within a small bound (DOT's own statements, not pinned)
    assert response.status_code == 200
    tables = _tables(queries)
    assert tables.count("INSERT oauth2_provider_accesstoken") == 1
    assert len(tables) <= 3, tables
    assert AccessToken.objects.filter(application=machine).count() == 1


def test_a_code_exchange_costs_a_bounded_number_of_queries(client, learner):
    # given a first-party system and a person who signed in with a passkey
    application = register_rp(name="e等公務園+學習平臺", redirect_uri=REDIRECT, first_party=True)
    record = SigninRecord.objects.create(user=learner, method="passkey", success=True)
    client.force_login(learner)
    code = _code(client, application)

    # when the system exchanges the code
    with CaptureQueriesContext(connection) as queries:
        response = exchange_code(client, application, code)

    # then the three token rows are written and the code deleted, within a bound on everything DOT reads
    assert response.status_code == 200
    tables = _tables(queries)
    for statement in (
        "INSERT oauth2_provider_idtoken",
        "INSERT oauth2_provider_accesstoken",
        "INSERT oauth2_provider_refreshtoken",
        "DELETE oauth2_provider_grant",
    ):
        assert tables.count(statement) == 1, tables
    assert len(tables) <= 25, tables
    body = response.json()
    claims = json.loads(jwt.JWT(jwt=body["id_token"], key=oidc.signing_key()).claims)
    assert {k: claims[k] for k in ("sub", "name", "agency_code", "agency_name", "nonce", "amr", "auth_time")} == {
        "sub": str(learner.pk),
        "name": "王小明",
        "agency_code": "A09600000Q",
        "agency_name": "國立臺中科技大學",
        "nonce": "n1",
        "amr": ["hwk", "user"],
        "auth_time": int(record.at.timestamp()),
    }
    # the access token points at the ID token issued with it
    access = AccessToken.objects.get(token_checksum=hashlib.sha256(body["access_token"].encode()).hexdigest())
    assert str(access.id_token.jti) == claims["jti"]
    assert RefreshToken.objects.get(access_token=access).user == learner
    assert not Grant.objects.filter(code=code).exists()


def test_a_replayed_code_is_refused_and_writes_nothing(client, learner):
    application = register_rp(name="差勤", redirect_uri=REDIRECT, first_party=True)
    client.force_login(learner)
    code = _code(client, application)
    assert exchange_code(client, application, code).status_code == 200
    before = (IDToken.objects.count(), AccessToken.objects.count(), RefreshToken.objects.count())

    replay = exchange_code(client, application, code)

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert (IDToken.objects.count(), AccessToken.objects.count(), RefreshToken.objects.count()) == before


def test_a_code_issued_to_another_client_is_refused(client, learner):
    # given a code issued to one system, presented by another with its own valid secret
    issued_to = register_rp(name="甲", redirect_uri=REDIRECT, first_party=True)
    other = register_rp(name="乙", redirect_uri=REDIRECT, first_party=True)
    client.force_login(learner)
    code = _code(client, issued_to)

    response = exchange_code(client, other, code)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert AccessToken.objects.count() == 0
    assert Grant.objects.filter(code=code).exists()


def test_a_changed_secret_takes_effect_at_once(client, machine):
    # given a cached client
    assert _client_credentials(client, machine).status_code == 200

    # when an operator gives it a new secret
    machine.client_secret = "new-" + MACHINE_SECRET
    machine.save()

    # then the old secret is refused at once and the new one accepted
    refused = _client_credentials(client, machine)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    assert _client_credentials(client, machine, "new-" + MACHINE_SECRET).status_code == 200
    assert AccessToken.objects.count() == 2


def test_a_deleted_client_is_refused_at_once(client, machine):
    assert _client_credentials(client, machine).status_code == 200
    client_id = machine.client_id

    machine.delete()

    refused = client.post(
        "/o/token/", {"grant_type": "client_credentials", "client_id": client_id, "client_secret": MACHINE_SECRET}
    )
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    assert AccessToken.objects.count() == 0


def test_an_unknown_client_id_is_not_remembered(client, db):
    # given a request from a client id nobody has registered yet
    client_id = "registered-a-moment-later"
    body = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": MACHINE_SECRET}
    assert client.post("/o/token/", body).status_code == 401

    # when an operator registers it, its next request succeeds
    Application.objects.create(
        name="學習機構",
        client_id=client_id,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=MACHINE_SECRET,
    )
    assert client.post("/o/token/", body).status_code == 200


def test_a_replayed_refresh_token_revokes_its_family_for_good(client, learner):
    # given a relying party that refreshed once (rotation: the first refresh token is spent)
    application = register_rp(name="差勤", redirect_uri=REDIRECT, first_party=True)
    client.force_login(learner)
    first = exchange_code(client, application, _code(client, application)).json()["refresh_token"]

    def refresh(token):
        return client.post(
            "/o/token/",
            {
                "grant_type": "refresh_token",
                "refresh_token": token,
                "client_id": application.client_id,
                "client_secret": RP_SECRET,
            },
        )

    second = refresh(first).json()["refresh_token"]

    # when the spent token is presented again (someone copied it)
    replay = refresh(first)

    # then it is refused, and the refusal's revocation of the whole family is kept: the current token is dead too
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert RefreshToken.objects.filter(application=application, revoked__isnull=True).count() == 0
    refused = refresh(second)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"


def test_a_code_consumed_by_a_concurrent_request_leaves_no_tokens(client, learner):
    # given a code that another request consumes while this one is minting tokens (stood in for by deleting the
    # grant as soon as this request has stored its ID token)
    application = register_rp(name="差勤", redirect_uri=REDIRECT, first_party=True)
    client.force_login(learner)
    code = _code(client, application)

    def consumed_meanwhile(sender, instance, created, **kwargs):
        Grant.objects.filter(code=code).delete()

    post_save.connect(consumed_meanwhile, sender=IDToken, dispatch_uid="test-consumed-meanwhile")
    try:
        response = exchange_code(client, application, code)
    finally:
        post_save.disconnect(dispatch_uid="test-consumed-meanwhile", sender=IDToken)

    # then this request is refused and none of the tokens it minted survive
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert (IDToken.objects.count(), AccessToken.objects.count(), RefreshToken.objects.count()) == (0, 0, 0)
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"


def test_the_token_endpoint_reads_no_session_and_keeps_the_security_headers(client, machine, learner):
    # given a person's browser session that also carries a client's token request (its cookie comes along)
    client.force_login(learner)

    with CaptureQueriesContext(connection) as queries:
        response = _client_credentials(client, machine)

    # then no session or user is read, and the security headers are set on the JSON answer
    assert response.status_code == 200
    tables = _tables(queries)
    assert not [t for t in tables if "django_session" in t or "identity_user" in t], tables
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"] == "application/json"


def test_a_token_request_for_another_host_is_refused(client, machine):
    response = client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "client_id": machine.client_id, "client_secret": MACHINE_SECRET},
        HTTP_HOST="evil.example",
    )

    assert response.status_code == 400
    assert AccessToken.objects.count() == 0
