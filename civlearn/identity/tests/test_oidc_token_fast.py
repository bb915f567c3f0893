"""The token endpoint's fast path (token_fast, ADR 0009): it answers the plain requests exactly as DOT does, and
leaves every other request to DOT. Requests here are posted form-encoded, as OAuth clients post them (RFC 6749
4.1.3, 4.4.2); test_oidc_token.py posts multipart bodies, which go to DOT's own endpoint."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from jwcrypto import jwt
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken, get_application_model

from civlearn.identity import oidc, token_fast
from civlearn.identity.models import SigninRecord
from civlearn.identity.tests.sso_support import (
    CHALLENGE,
    MACHINE_SECRET,
    REDIRECT,
    RP_SECRET,
    VERIFIER,
    exchange_body,
    register_rp,
)
from civlearn.testing.required import postgresql_only

Application = get_application_model()
FORM = "application/x-www-form-urlencoded"


pytestmark = pytest.mark.usefixtures("oidc_keys")


@pytest.fixture
def answered(monkeypatch):
    """Records, per request, whether the fast path answered it (True) or left it to DOT (False)."""
    seen = []
    original = token_fast.answer

    def spy(request):
        response = original(request)
        seen.append(response is not None)
        return response

    monkeypatch.setattr(token_fast, "answer", spy)
    return seen


@pytest.fixture
def dot_only(monkeypatch):
    """Call it, and from then on DOT alone answers the endpoint."""
    return lambda: monkeypatch.setattr(token_fast, "answer", lambda request: None)


def post(client, data, **extra):
    return client.post("/o/token/", urlencode(data), FORM, **extra)


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def grant_for(application, user, **changes) -> str:
    """A code as the authorization endpoint stores it (PKCE S256, nonce, scopes the client was allowed)."""
    values = {
        "user": user,
        "application": application,
        "code": f"code-{Grant.objects.count()}-{application.pk}",
        "expires": timezone.now() + dt.timedelta(minutes=1),
        "redirect_uri": REDIRECT,
        "scope": "openid profile agency",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        "nonce": "n1",
        "claims": "{}",
    }
    values.update(changes)
    return Grant.objects.create(**values).code


# Columns that differ between any two tokens; timestamps are compared to the second.
OWN_VALUES = {"id", "token", "token_checksum", "jti", "token_family", "id_token_id", "access_token_id"}


def assert_same_columns(fast_row, dot_row) -> None:
    """Every column of a row the fast path wrote is what DOT wrote for the same request."""
    for field in type(fast_row)._meta.concrete_fields:
        mine, theirs = getattr(fast_row, field.attname), getattr(dot_row, field.attname)
        if field.attname in OWN_VALUES:
            assert (mine is None) == (theirs is None), field.attname
        elif isinstance(mine, dt.datetime):
            assert abs((mine - theirs).total_seconds()) < 5, field.attname
        else:
            assert mine == theirs, field.attname


def test_the_statements_write_the_models_tables():
    for table, model in token_fast.TABLES.items():
        assert model._meta.db_table == table


def id_claims(body: dict) -> dict:
    return json.loads(jwt.JWT(jwt=body["id_token"], key=oidc.signing_key()).claims)


def test_a_client_credentials_token_from_the_fast_path_is_the_one_dot_gives(client, machine, answered, dot_only):
    body = {"grant_type": "client_credentials", "client_id": machine.client_id, "client_secret": MACHINE_SECRET}

    fast = post(client, body)
    dot_only()
    slow = post(client, body)

    assert answered == [True]
    assert fast.status_code == slow.status_code == 200
    fast_body, slow_body = fast.json(), slow.json()
    assert list(fast_body) == list(slow_body) == ["access_token", "expires_in", "token_type", "scope"]
    assert {k: fast_body[k] for k in ("expires_in", "token_type", "scope")} == {
        k: slow_body[k] for k in ("expires_in", "token_type", "scope")
    }
    for header in ("Content-Type", "Cache-Control", "Pragma"):
        assert fast[header] == slow[header], header
    fast_row, slow_row = (
        AccessToken.objects.get(token_checksum=hashlib.sha256(b["access_token"].encode()).hexdigest())
        for b in (fast_body, slow_body)
    )
    assert_same_columns(fast_row, slow_row)
    assert fast_row.token == fast_body["access_token"]
    # the hours API accepts the token
    assert client.get("/api/v1/schema", HTTP_AUTHORIZATION=f"Bearer {fast_body['access_token']}").status_code == 200


@pytest.mark.parametrize("how", ["body", "basic", "basic+client_id", "scope read", "scope write read"])
def test_every_plain_client_credentials_request_is_answered_fast(client, machine, answered, how):
    body = {"grant_type": "client_credentials"}
    extra = {}
    if how.startswith("basic"):
        extra["HTTP_AUTHORIZATION"] = basic(machine.client_id, MACHINE_SECRET)
        if how == "basic+client_id":
            body["client_id"] = machine.client_id
    else:
        body.update(client_id=machine.client_id, client_secret=MACHINE_SECRET)
    if how.startswith("scope"):
        body["scope"] = how.removeprefix("scope ")

    response = post(client, body, **extra)

    assert response.status_code == 200
    assert answered == [True]
    assert response.json()["scope"] == body.get("scope", "read write")


def test_a_code_exchange_from_the_fast_path_is_the_one_dot_gives(client, learner, answered, dot_only):
    # given a first-party system and a person who signed in with a certificate card
    application = register_rp(name="e等公務園+學習平臺", redirect_uri=REDIRECT, first_party=True)
    record = SigninRecord.objects.create(user=learner, method="moica", success=True)
    SigninRecord.objects.create(user=learner, method="password", success=False)  # a later failure does not count

    fast = post(client, exchange_body(application, grant_for(application, learner)))
    dot_only()
    slow = post(client, exchange_body(application, grant_for(application, learner)))

    assert answered == [True]
    assert fast.status_code == slow.status_code == 200
    fast_body, slow_body = fast.json(), slow.json()
    assert list(fast_body) == list(slow_body)
    assert set(fast_body) == {"access_token", "expires_in", "token_type", "scope", "refresh_token", "id_token"}
    for key in ("expires_in", "token_type", "scope"):
        assert fast_body[key] == slow_body[key]
    # the ID tokens carry the same claims, each signed with the published key
    fast_claims, slow_claims = id_claims(fast_body), id_claims(slow_body)
    assert set(fast_claims) == set(slow_claims)
    for claim in set(fast_claims) - {"jti", "iat", "exp", "at_hash"}:
        assert fast_claims[claim] == slow_claims[claim], claim
    assert fast_claims["amr"] == ["hwk", "sc", "pin"]
    assert fast_claims["auth_time"] == int(record.at.timestamp())
    assert fast_claims["agency_code"] == "A09600000Q"
    assert "national_id" not in fast_claims
    header = json.loads(base64.urlsafe_b64decode(fast_body["id_token"].split(".")[0] + "=="))
    assert header == {"typ": "JWT", "alg": "RS256", "kid": oidc.signing_key().thumbprint()}
    # at_hash binds the ID token to its access token (OpenID Connect Core 3.1.3.6)
    digest = hashlib.sha256(fast_body["access_token"].encode()).digest()[:16]
    assert fast_claims["at_hash"] == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    # the same rows: ID token, access token pointing at it, refresh token pointing at that; the codes are spent
    rows = []
    for body in (fast_body, slow_body):
        access = AccessToken.objects.get(token_checksum=hashlib.sha256(body["access_token"].encode()).hexdigest())
        assert access.user == learner and access.application == application
        assert access.scope == "openid profile agency" and access.resource == []
        assert str(access.id_token.jti) == id_claims(body)["jti"]
        refresh = RefreshToken.objects.get(access_token=access)
        assert refresh.token == body["refresh_token"] and refresh.token_family
        rows.append((access.id_token, access, refresh))
    for fast_row, dot_row in zip(*rows, strict=True):
        assert_same_columns(fast_row, dot_row)
    assert not Grant.objects.exists()
    # and userinfo answers for the fast path's access token
    userinfo = client.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {fast_body['access_token']}")
    assert userinfo.status_code == 200
    assert userinfo.json()["sub"] == str(learner.pk)


def test_the_fast_path_s_refresh_token_refreshes_through_dot(client, learner):
    application = register_rp(name="差勤", redirect_uri=REDIRECT, first_party=True)
    first = post(client, exchange_body(application, grant_for(application, learner))).json()

    refreshed = post(
        client,
        {
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": application.client_id,
            "client_secret": RP_SECRET,
        },
    )

    assert refreshed.status_code == 200
    assert refreshed.json()["refresh_token"] != first["refresh_token"]
    assert RefreshToken.objects.get(token=first["refresh_token"]).revoked is not None


def test_a_public_client_exchanges_its_code_with_pkce_alone(client, learner, answered):
    application = register_rp(name="行動版", redirect_uri=REDIRECT, client_type="public")
    body = exchange_body(application, grant_for(application, learner, scope="openid"), client_secret=None)

    response = post(client, body)

    assert response.status_code == 200
    assert answered == [True]
    assert id_claims(response.json())["aud"] == application.client_id


def test_a_code_without_openid_gets_no_id_token(client, learner, answered):
    application = register_rp(name="差勤", redirect_uri=REDIRECT, first_party=True)
    response = post(client, exchange_body(application, grant_for(application, learner, scope="profile", nonce="")))

    assert response.status_code == 200
    assert answered == [True]
    assert "id_token" not in response.json()
    assert IDToken.objects.count() == 0
    assert AccessToken.objects.get().id_token is None


def test_basic_authentication_works_for_a_code_exchange(client, learner, answered):
    application = register_rp(name="差勤", redirect_uri=REDIRECT, first_party=True)
    body = exchange_body(application, grant_for(application, learner), client_secret=None, client_id=None)

    response = post(client, body, HTTP_AUTHORIZATION=basic(application.client_id, RP_SECRET))

    assert response.status_code == 200
    assert answered == [True]


def _declined_cases() -> list[str]:
    """Requests the fast path must leave to DOT: refusals, and the unusual ones DOT may still grant."""
    return [
        "wrong secret",
        "unknown client",
        "repeated parameter",
        "unknown parameter",
        "query string",
        "origin header",
        "secret in body and basic",
        "scope outside the client's",
        "empty scope",
        "repeated scope",
        "code: wrong redirect_uri",
        "code: wrong verifier",
        "code: no verifier",
        "code: expired",
        "code: another client's",
        "code: unknown",
        "code: confidential client without secret",
        "code: resource",
        "code: HS256 client",
        "code: plain PKCE grant",
        "refresh token grant",
    ]


# Unusual but not wrong (or DOT's own choice): DOT decides, and may grant.
DOT_MAY_GRANT = {
    "repeated parameter",
    "unknown parameter",
    "query string",
    "origin header",
    "secret in body and basic",
    "repeated scope",
    "code: resource",
    "code: HS256 client",
    "code: plain PKCE grant",
}


@pytest.mark.parametrize("case", _declined_cases())
def test_the_fast_path_leaves_every_other_request_to_dot(client, machine, learner, answered, case):
    application = register_rp(name="差勤", redirect_uri=REDIRECT, first_party=True)
    cc = {"grant_type": "client_credentials", "client_id": machine.client_id, "client_secret": MACHINE_SECRET}
    extra, path = {}, "/o/token/"
    if case == "wrong secret":
        data = {**cc, "client_secret": "wrong"}
    elif case == "unknown client":
        data = {**cc, "client_id": "nobody"}
    elif case == "repeated parameter":
        data = [*cc.items(), ("client_id", machine.client_id)]
    elif case == "unknown parameter":
        data = {**cc, "resource": "https://api.example.tw/"}
    elif case == "query string":
        data, path = cc, "/o/token/?grant_type=client_credentials"
    elif case == "origin header":
        data, extra = cc, {"HTTP_ORIGIN": "https://rp.example.tw"}
    elif case == "secret in body and basic":
        data, extra = cc, {"HTTP_AUTHORIZATION": basic(machine.client_id, MACHINE_SECRET)}
    elif case == "scope outside the client's":
        data = {**cc, "scope": "openid"}
    elif case == "empty scope":
        data = {**cc, "scope": ""}
    elif case == "repeated scope":
        data = {**cc, "scope": "read read"}
    elif case == "code: wrong redirect_uri":
        data = exchange_body(application, grant_for(application, learner), redirect_uri=REDIRECT + "x")
    elif case == "code: wrong verifier":
        data = exchange_body(application, grant_for(application, learner), code_verifier="w" * 64)
    elif case == "code: no verifier":
        data = exchange_body(application, grant_for(application, learner), code_verifier=None)
    elif case == "code: expired":
        data = exchange_body(
            application, grant_for(application, learner, expires=timezone.now() - dt.timedelta(seconds=1))
        )
    elif case == "code: another client's":
        other = register_rp(name="乙", redirect_uri=REDIRECT, first_party=True)
        data = exchange_body(application, grant_for(other, learner))
    elif case == "code: unknown":
        data = exchange_body(application, "no-such-code")
    elif case == "code: confidential client without secret":
        data = exchange_body(application, grant_for(application, learner), client_secret=None)
    elif case == "code: resource":
        data = exchange_body(application, grant_for(application, learner, resource=["https://api.example.tw/"]))
    elif case == "code: HS256 client":
        # (HS256 signs with the plaintext secret, so DOT needs it stored unhashed)
        application.algorithm = Application.HS256_ALGORITHM
        application.hash_client_secret = False
        application.client_secret = RP_SECRET
        application.save()
        data = exchange_body(application, grant_for(application, learner))
    elif case == "code: plain PKCE grant":
        data = exchange_body(
            application,
            grant_for(application, learner, code_challenge=VERIFIER, code_challenge_method="plain"),
        )
    else:
        data = {"grant_type": "refresh_token", "refresh_token": "x", "client_id": application.client_id}
    grants_before = Grant.objects.count()

    response = client.post(path, urlencode(data), FORM, **extra)

    # the fast path did not answer: the response is DOT's, whatever it is
    assert answered == [False]
    if case in DOT_MAY_GRANT:
        assert response.status_code in (200, 400, 401)
    else:
        assert response.status_code in (400, 401), response.content
    if case.startswith("code:") and response.status_code != 200:
        assert Grant.objects.count() == grants_before  # a refused code stays, as DOT leaves it


def test_the_fast_path_does_not_answer_other_bodies(machine, answered):
    body = {"grant_type": "client_credentials", "client_id": machine.client_id, "client_secret": MACHINE_SECRET}
    request = RequestFactory().post("/o/token/", body)  # multipart

    assert token_fast.answer(request) is None


def test_a_code_consumed_meanwhile_writes_nothing_and_dot_refuses_it(client, learner, answered, monkeypatch):
    # given a code that another request consumes after this one read it (stood in for by deleting the grant while
    # this one signs its ID token)
    application = register_rp(name="差勤", redirect_uri=REDIRECT, first_party=True)
    code = grant_for(application, learner)
    sign = oidc.sign_id_token

    def consumed_meanwhile(claims):
        Grant.objects.filter(code=code).delete()
        return sign(claims)

    monkeypatch.setattr(oidc, "sign_id_token", consumed_meanwhile)

    response = post(client, exchange_body(application, code))

    # then nothing this request minted is stored, and DOT's answer is the refusal
    assert answered == [False]
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert (IDToken.objects.count(), AccessToken.objects.count(), RefreshToken.objects.count()) == (0, 0, 0)


def _statements(queries) -> list[str]:
    out = []
    for query in queries.captured_queries:
        words = query["sql"].split()
        out.append(" ".join(words[:4]) if words[0].upper() == "SET" else words[0].upper())
    return out


def test_the_fast_path_s_statements(client, machine, learner):
    application = register_rp(name="差勤", redirect_uri=REDIRECT, first_party=True)
    cc = {"grant_type": "client_credentials", "client_id": machine.client_id, "client_secret": MACHINE_SECRET}
    post(client, cc)  # the client is cached
    post(client, exchange_body(application, grant_for(application, learner)))

    with CaptureQueriesContext(connection) as for_cc:
        assert post(client, cc).status_code == 200
    code = grant_for(application, learner)
    with CaptureQueriesContext(connection) as for_code:
        assert post(client, exchange_body(application, code)).status_code == 200

    if connection.vendor == "postgresql":
        # prepared statements: the token INSERT; the grant read (with the claims' rows and the latest sign-in) and one
        # statement that consumes the code and writes the rows; each write commits asynchronously
        assert _statements(for_cc) == ["INSERT"]
        assert _statements(for_code) == ["SELECT", "WITH"]
        assert "DELETE FROM oauth2_provider_grant" in for_code.captured_queries[1]["sql"]
        assert all("set_config('synchronous_commit', 'off', true)" in q["sql"] for q in for_cc.captured_queries)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE from_sql IS FALSE")
            assert cursor.fetchone()[0] == 3
    else:
        assert _statements(for_cc) == ["SAVEPOINT", "INSERT", "RELEASE"]
        assert _statements(for_code) == ["SELECT", "SAVEPOINT", "DELETE", "INSERT", "INSERT", "INSERT", "RELEASE"]


def test_a_person_who_never_signed_in_gets_auth_time_from_dot_s_rule(client, learner):
    # (an operator-made account, no sign-in record): DOT's rule applies, last_login or now
    application = register_rp(name="差勤", redirect_uri=REDIRECT, first_party=True)

    body = post(client, exchange_body(application, grant_for(application, learner))).json()

    claims = id_claims(body)
    assert "amr" not in claims
    assert abs(claims["auth_time"] - timezone.now().timestamp()) < 60


def test_a_token_signed_before_a_key_rotation_still_verifies(client, learner):
    application = register_rp(name="差勤", redirect_uri=REDIRECT, first_party=True)
    before = post(client, exchange_body(application, grant_for(application, learner))).json()["id_token"]

    oidc.rotate_key()
    after = post(client, exchange_body(application, grant_for(application, learner))).json()["id_token"]

    keys = {k.thumbprint(): k for k in oidc.published_keys()}
    for token in (before, after):
        jwt.JWT(jwt=token, key=keys[_kid(token)])  # raises when the signature does not verify
    assert _kid(after) != _kid(before)


def _kid(token: str) -> str:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["kid"]


@pytest.mark.django_db(transaction=True)
def test_a_connection_that_went_stale_is_replaced_and_dot_answers(client, machine, answered):
    # given a persistent connection the database has dropped behind Django's back (a restart, a network cut); the
    # fast path skips Django's per-request SELECT 1, so its own statement is the first to find out
    postgresql_only("a server connection: an SQLite file does not drop its connections")
    body = {"grant_type": "client_credentials", "client_id": machine.client_id, "client_secret": MACHINE_SECRET}
    assert post(client, body).status_code == 200
    connection.connection.close()

    response = post(client, body)

    # then the connection is replaced and DOT issues the token
    assert response.status_code == 200
    assert answered == [True, False]
    assert AccessToken.objects.count() == 2
