"""The token endpoint's cost and its client cache: exact statements for both grants (a regression adds one and
fails here), a changed or deleted client refused at once, a replayed code refused with nothing written."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from jwcrypto import jwt
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken, get_application_model

from civlearn.identity import oidc, oidc_clients
from civlearn.identity.models import SigninRecord
from civlearn.identity.tests.sso_support import (
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


def _statements(queries) -> list[str]:
    """Each captured statement as its verb and table; transaction control as itself."""
    out = []
    for query in queries.captured_queries:
        sql = query["sql"]
        verb = sql.split()[0].upper()
        if verb in ("SELECT", "INSERT", "DELETE", "UPDATE"):
            table = sql.split(" FROM " if verb in ("SELECT", "DELETE") else " INTO ")[1].split()[0].strip('"')
            out.append(f"{verb} {table}")
        elif verb == "SET":
            out.append(sql)
        else:
            out.append(verb)  # SAVEPOINT / RELEASE in a test's transaction; BEGIN / COMMIT in production
    return out


def test_a_client_credentials_token_is_one_insert_once_the_client_is_cached(client, machine):
    # when an institution takes a token, and then another
    with CaptureQueriesContext(connection) as first:
        response = _client_credentials(client, machine)
    with CaptureQueriesContext(connection) as second:
        again = _client_credentials(client, machine)

    # then the first reads the client once and stores the token; the second finds the client cached
    assert response.status_code == 200
    assert again.status_code == 200
    assert _statements(first).count("SELECT oauth2_provider_application") == 1
    assert "SELECT oauth2_provider_application" not in _statements(second)
    # Upper bounds, not the exact statements: a library upgrade may reorder or add bookkeeping.
    assert len(first) <= 5
    assert len(second) <= 4
    assert AccessToken.objects.filter(application=machine).count() == 2


def test_a_code_exchange_reads_the_grant_once_with_the_person(client, learner):
    # given a first-party system and a person who signed in with a passkey
    application = register_rp(name="e等公務園+學習平臺", redirect_uri=REDIRECT, first_party=True)
    record = SigninRecord.objects.create(user=learner, method="passkey", success=True)
    client.force_login(learner)
    exchange_code(client, application, _code(client, application))  # the client is now cached
    code = _code(client, application)

    # when the system exchanges the code
    with CaptureQueriesContext(connection) as queries:
        response = exchange_code(client, application, code)

    # then the grant is read once (with the person and agency its claims need), the latest sign-in once, the three
    # token rows are written and the code is deleted — all in one transaction
    assert response.status_code == 200
    statements = _statements(queries)
    assert statements.count("SELECT oauth2_provider_grant") == 1
    assert not [s for s in statements if s.startswith(("SELECT registry_", "SELECT identity_user"))]
    assert "DELETE oauth2_provider_grant" in statements
    assert len(queries) <= 9
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


def test_a_change_without_signals_is_seen_after_the_cache_lifetime(client, machine, monkeypatch):
    # given a cached client whose secret is replaced with a bulk update (no post_save: as another process's
    # change looks to this one)
    now = [1000.0]
    monkeypatch.setattr(oidc_clients.time, "monotonic", lambda: now[0])
    assert _client_credentials(client, machine).status_code == 200
    Application.objects.filter(pk=machine.pk).update(client_secret=make_password("other", hasher="client_hmac_sha256"))

    # then within the cache lifetime the cached secret still applies, and after it the new one does
    now[0] += oidc_clients.CLIENT_CACHE_TTL_SECONDS - 0.1
    assert _client_credentials(client, machine).status_code == 200
    now[0] += 0.2
    assert _client_credentials(client, machine).status_code == 401
    assert _client_credentials(client, machine, "other").status_code == 200


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


def test_the_token_endpoint_skips_the_site_middleware_but_not_security(client, machine, learner):
    # given a person's browser session that also carries a client's token request (its cookie comes along)
    client.force_login(learner)
    _client_credentials(client, machine)  # the client is now cached

    with CaptureQueriesContext(connection) as queries:
        response = _client_credentials(client, machine)

    # then no session or user is read, the security headers are still set, and the JSON answer has its length
    assert response.status_code == 200
    assert not [s for s in _statements(queries) if s in ("SELECT django_session", "SELECT identity_user")]
    assert len(queries) <= 4
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Length"] == str(len(response.content))
    assert "X-Frame-Options" not in response  # the clickjacking middleware is among those skipped


def test_a_token_request_for_another_host_is_refused(client, machine):
    response = client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "client_id": machine.client_id, "client_secret": MACHINE_SECRET},
        HTTP_HOST="evil.example",
    )

    assert response.status_code == 400
    assert AccessToken.objects.count() == 0
