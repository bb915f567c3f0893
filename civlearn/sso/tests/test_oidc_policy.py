"""What operators decide per relying party: consent for third parties, exact redirect URIs, PKCE S256, allowed
scopes and the national-ID scope, hashed client secrets; and amr/auth_time from the real sign-in."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from jwcrypto import jwt
from oauth2_provider.models import AccessToken, Grant

from civlearn.core import clock
from civlearn.identity.models import SigninRecord
from civlearn.sso import oidc
from civlearn.sso.tests.sso_support import CHALLENGE, REDIRECT, RP_SECRET, VERIFIER, exchange_code, register_rp

pytestmark = pytest.mark.usefixtures("oidc_keys")


def _authorize_params(application, **extra):
    params = {
        "response_type": "code",
        "client_id": application.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid profile",
        "state": "s1",
        "nonce": "n1",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


def _query(response) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


def _id_claims(id_token: str) -> dict:
    return json.loads(jwt.JWT(jwt=id_token, key=oidc.signing_key()).claims)


def test_third_party_gets_a_consent_page_and_first_party_does_not(client, learner):
    # given a third-party and a first-party relying party, and a signed-in person
    third = register_rp(name="臺北市政府差勤系統", redirect_uri=REDIRECT)
    first = register_rp(name="e等公務園+學習平臺", redirect_uri=REDIRECT, first_party=True)
    client.force_login(learner)

    # when the third party asks
    page = client.get("/o/authorize/", _authorize_params(third))

    # then the person sees what it will receive and decides
    assert page.status_code == 200
    html = page.content.decode()
    assert "「臺北市政府差勤系統」要求使用您的 eCPA 帳號登入" in html
    assert "<li>姓名</li>" in html
    assert Grant.objects.count() == 0

    # when they refuse, the system gets access_denied and no code
    refused = client.post("/o/authorize/", {**_authorize_params(third), "scope": "openid profile"})
    assert refused.status_code == 302
    assert _query(refused)["error"] == "access_denied"
    assert Grant.objects.count() == 0

    # when they agree, a code goes back
    agreed = client.post("/o/authorize/", {**_authorize_params(third), "allow": "1"})
    assert agreed.status_code == 302
    assert set(_query(agreed)) == {"code", "state"}

    # and the first party gets its code at once
    direct = client.get("/o/authorize/", _authorize_params(first))
    assert direct.status_code == 302
    assert direct["Location"].startswith(REDIRECT + "?code=")


@pytest.mark.parametrize(
    "redirect_uri",
    [
        REDIRECT + "/more",
        REDIRECT + "?next=/x",
        "https://rp.example.tw/Callback",
        "https://evil.example/callback",
    ],
)
def test_redirect_uris_must_match_exactly(client, learner, redirect_uri):
    # given a registered relying party
    application = register_rp(name="差勤", redirect_uri=REDIRECT, first_party=True)
    client.force_login(learner)

    # when a request names any other redirect address
    response = client.get("/o/authorize/", _authorize_params(application, redirect_uri=redirect_uri))

    # then nothing is sent there: the person sees an error page, and no code exists
    assert response.status_code == 400
    assert "無法完成登入要求" in response.content.decode()
    assert Grant.objects.count() == 0


@pytest.mark.parametrize(
    ("challenge", "method"),
    [(None, None), (CHALLENGE, None), (VERIFIER, "plain")],
)
def test_public_clients_must_use_pkce_s256(client, learner, challenge, method):
    # given a public client (no secret can protect its code)
    application = register_rp(name="行動 App", redirect_uri=REDIRECT, first_party=True, client_type="public")
    client.force_login(learner)

    # when it asks without PKCE or with the plain method
    response = client.get(
        "/o/authorize/", _authorize_params(application, code_challenge=challenge, code_challenge_method=method)
    )

    # then the request is refused and no code is issued
    assert response.status_code == 302
    assert _query(response)["error"] == "invalid_request"
    assert Grant.objects.count() == 0


def test_a_code_needs_its_verifier(client, learner):
    application = register_rp(name="差勤", redirect_uri=REDIRECT, first_party=True)
    client.force_login(learner)
    code = _query(client.get("/o/authorize/", _authorize_params(application)))["code"]

    response = client.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": application.client_id,
            "client_secret": RP_SECRET,
            "code_verifier": "w" * 64,
        },
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert AccessToken.objects.count() == 0


def test_scopes_are_limited_to_what_the_operator_allowed(client, learner):
    # given a relying party allowed only openid and profile
    application = register_rp(name="差勤", redirect_uri=REDIRECT, scopes="openid profile", first_party=True)
    client.force_login(learner)

    # when it asks for more
    response = client.get("/o/authorize/", _authorize_params(application, scope="openid profile email"))

    # then it is refused
    assert _query(response)["error"] == "invalid_scope"
    assert Grant.objects.count() == 0


def test_national_id_only_for_clients_an_operator_allowed(client, learner):
    # given two relying parties whose scopes list national_id, one of them allowed to receive it
    listed_only = register_rp(name="甲", redirect_uri=REDIRECT, scopes="openid profile national_id", first_party=True)
    allowed = register_rp(
        name="乙",
        redirect_uri=REDIRECT,
        scopes="openid profile national_id",
        first_party=True,
        national_id_allowed=True,
    )
    client.force_login(learner)

    # when the one not ticked asks for the national ID, it is refused
    refused = client.get("/o/authorize/", _authorize_params(listed_only, scope="openid national_id"))
    assert _query(refused)["error"] == "invalid_scope"

    # when the allowed one asks, its ID token carries the national ID
    code = _query(client.get("/o/authorize/", _authorize_params(allowed, scope="openid national_id")))["code"]
    token = exchange_code(client, allowed, code).json()
    claims = _id_claims(token["id_token"])
    assert claims["national_id"] == "A123456789"
    assert "name" not in claims  # profile was not asked for


def test_auth_time_and_amr_come_from_the_latest_sign_in(client, learner):
    # given a person who signed in with a passkey an hour ago
    signed_in_at = clock.now() - dt.timedelta(hours=1)
    SigninRecord.objects.create(user=learner, at=signed_in_at, method="passkey", success=True)
    SigninRecord.objects.create(user=learner, at=clock.now(), method=SigninRecord.PASSWORD, success=False)
    application = register_rp(name="差勤", redirect_uri=REDIRECT, first_party=True)
    client.force_login(learner)

    # when a relying party gets an ID token
    code = _query(client.get("/o/authorize/", _authorize_params(application)))["code"]
    claims = _id_claims(exchange_code(client, application, code).json()["id_token"])

    # then auth_time is that sign-in (the failed attempt after it does not count) and amr says passkey
    assert claims["auth_time"] == int(signed_in_at.timestamp())
    assert claims["amr"] == ["hwk", "user"]
    assert claims["iss"] == "http://127.0.0.1:8000/o"


def test_client_secrets_are_stored_with_the_fast_keyed_hash(client, db):
    # given an institution's client-credentials application
    from oauth2_provider.models import get_application_model

    Application = get_application_model()
    application = Application.objects.create(
        name="學習機構",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=RP_SECRET,
    )

    # then the stored secret is the keyed SHA-256 form, not the secret
    stored = Application.objects.get(pk=application.pk).client_secret
    assert stored.startswith("client_hmac_sha256$")
    assert RP_SECRET not in stored

    # and the token endpoint accepts the right secret and refuses a wrong one
    ok = client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "client_id": application.client_id, "client_secret": RP_SECRET},
    )
    assert ok.status_code == 200
    assert ok.json()["scope"] == "read write"
    wrong = client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "client_id": application.client_id, "client_secret": RP_SECRET + "x"},
    )
    assert wrong.status_code == 401
    assert AccessToken.objects.count() == 1


def test_consent_is_asked_once_while_a_token_is_valid(client, learner):
    # given a third-party system the person agreed to, which holds a valid token
    third = register_rp(name="臺北市政府差勤系統", redirect_uri=REDIRECT)
    client.force_login(learner)
    agreed = client.post("/o/authorize/", {**_authorize_params(third), "allow": "1"})
    assert exchange_code(client, third, _query(agreed)["code"]).status_code == 200

    # when it sends the person again
    again = client.get("/o/authorize/", _authorize_params(third))

    # then the code comes back without the consent page
    assert again.status_code == 302
    assert again["Location"].startswith(REDIRECT + "?code=")
