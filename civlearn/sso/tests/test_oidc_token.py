"""The token endpoint (django-oauth-toolkit through its public extension points, ADR 0011): upper bounds on its
queries for both grants, a changed or deleted client refused at once, a replayed code refused with nothing
written."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from jwcrypto import jwt
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken, get_application_model

from civlearn.core import clock
from civlearn.identity.models import SigninRecord
from civlearn.sso import oidc
from civlearn.sso.models import RelyingParty
from civlearn.sso.tests.sso_support import (
    CHALLENGE,
    MACHINE_SECRET,
    REDIRECT,
    RP_SECRET,
    exchange_body,
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
    # the code is read once by the validator's hooks and once more by DOT's own resource check (RFC 8707); the
    # client comes from the shared cache after its first use (below)
    assert tables.count("SELECT oauth2_provider_grant") <= 2, tables
    assert len(tables) <= 16, tables
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


# ---- the grant read once per request: DOT's answers kept (ADR 0011) ------------------------------------------------


def _nothing_minted():
    return (IDToken.objects.count(), AccessToken.objects.count(), RefreshToken.objects.count()) == (0, 0, 0)


def test_an_expired_code_is_refused(client, learner):
    application = register_rp(name="差勤", redirect_uri=REDIRECT, first_party=True)
    client.force_login(learner)
    code = _code(client, application)
    Grant.objects.filter(code=code).update(expires=clock.now() - dt.timedelta(seconds=1))

    response = exchange_code(client, application, code)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert _nothing_minted()
    assert Grant.objects.filter(code=code).exists()


def test_a_code_presented_with_another_redirect_uri_is_refused(client, learner):
    application = register_rp(name="差勤", redirect_uri=REDIRECT, first_party=True)
    application.redirect_uris = f"{REDIRECT} https://rp.example.tw/other"
    application.save()
    client.force_login(learner)
    code = _code(client, application)

    response = client.post("/o/token/", exchange_body(application, code, redirect_uri="https://rp.example.tw/other"))

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert response.json()["error_description"] == "Mismatching redirect URI."
    assert _nothing_minted()


def test_a_code_without_its_verifier_is_refused(client, learner):
    application = register_rp(name="差勤", redirect_uri=REDIRECT, first_party=True)
    client.force_login(learner)
    code = _code(client, application)

    response = client.post("/o/token/", exchange_body(application, code, code_verifier=None))

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert _nothing_minted()


def test_an_id_token_carries_no_nonce_when_the_request_had_none(client, learner):
    application = register_rp(name="差勤", redirect_uri=REDIRECT, first_party=True)
    client.force_login(learner)
    params = {
        "response_type": "code",
        "client_id": application.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    code = parse_qs(urlsplit(client.get("/o/authorize/", params)["Location"]).query)["code"][0]

    body = exchange_code(client, application, code).json()

    claims = json.loads(jwt.JWT(jwt=body["id_token"], key=oidc.signing_key()).claims)
    assert "nonce" not in claims
    assert claims["sub"] == str(learner.pk)
    assert body["scope"] == "openid"


def test_a_plain_oauth_code_without_openid_gets_no_id_token(client, learner):
    # the scopes hook answers from the same read: without openid, oauthlib's plain OAuth grant handles the code
    application = register_rp(name="差勤", redirect_uri=REDIRECT, first_party=True)
    client.force_login(learner)
    params = {
        "response_type": "code",
        "client_id": application.client_id,
        "redirect_uri": REDIRECT,
        "scope": "profile",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    code = parse_qs(urlsplit(client.get("/o/authorize/", params)["Location"]).query)["code"][0]

    response = exchange_code(client, application, code)

    assert response.status_code == 200
    assert "id_token" not in response.json()
    assert IDToken.objects.count() == 0
    assert AccessToken.objects.get().scope == "profile"


# ---- clients from the shared cache ----------------------------------------------------------------------------


def test_a_cached_client_is_read_without_a_query(client, machine):
    assert _client_credentials(client, machine).status_code == 200

    with CaptureQueriesContext(connection) as queries:
        response = _client_credentials(client, machine)

    assert response.status_code == 200
    assert "SELECT oauth2_provider_application" not in _tables(queries)


def test_a_row_read_before_a_change_never_comes_back(machine):
    # given a process that read the client's row and the generation stamp just before an operator's change committed
    cache.clear()
    oidc.cached_client(machine.client_id)
    stale = cache.get(oidc._client_key(machine.client_id))

    # when the change commits (another process: the stamp is replaced) and the slow reader then stores its old row
    machine.client_secret = "new-" + MACHINE_SECRET
    machine.save()
    cache.set(oidc._client_key(machine.client_id), stale)

    # then the next look-up does not take it: it was stored under the stamp the change replaced
    assert oidc.cached_client(machine.client_id).client_secret == Application.objects.get(pk=machine.pk).client_secret
    assert oidc.cached_client(machine.client_id).client_secret != stale[1].client_secret


def test_a_relying_party_change_is_seen_at_once(client, learner):
    # given a relying party whose client has been cached by a first exchange
    application = register_rp(name="差勤", redirect_uri=REDIRECT, scopes="openid profile agency", first_party=True)
    client.force_login(learner)
    assert exchange_code(client, application, _code(client, application)).status_code == 200

    # when the operator narrows its scopes
    rp = RelyingParty.objects.get(application=application)
    rp.allowed_scopes = "openid"
    rp.save()

    # then the next authorization grants only what is now allowed
    params = {
        "response_type": "code",
        "client_id": application.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid profile",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    response = client.get("/o/authorize/", params)
    assert parse_qs(urlsplit(response["Location"]).query)["error"] == ["invalid_scope"]


def test_a_key_rotation_between_two_exchanges_signs_the_second_with_the_new_key(client, learner):
    application = register_rp(name="差勤", redirect_uri=REDIRECT, first_party=True)
    client.force_login(learner)
    first = exchange_code(client, application, _code(client, application)).json()["id_token"]

    new = oidc.rotate_key()
    second = exchange_code(client, application, _code(client, application)).json()["id_token"]

    def kid(token):
        header = token.split(".")[0]
        return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]

    assert kid(second) == new.kid
    assert kid(first) != new.kid
