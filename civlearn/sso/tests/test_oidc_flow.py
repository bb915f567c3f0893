"""The authorization-code flow with PKCE, end to end over HTTP, driven by Authlib (an independent client library):
discovery, consent-free first-party sign-in, ID token checked against the JWKS, userinfo, refresh-token rotation,
RP-initiated logout — and all of it again after a signing-key rotation."""

from __future__ import annotations

import json

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from jwcrypto import jws

from civlearn.identity.models import SigninRecord
from civlearn.sso import oidc
from civlearn.sso.models import SigningKey
from civlearn.sso.tests.sso_support import RP_SECRET, register_rp, signed_in_session, verify_id_token
from conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def issuer(live_server, settings, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    url = live_server.url + "/o"
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": url}
    oidc.forget_cached_keys()
    yield url
    oidc.forget_cached_keys()


def _kid(token: str) -> str:
    parsed = jws.JWS()
    parsed.deserialize(token)
    return parsed.jose_header["kid"]


def _sign_in_and_get_tokens(*, base, meta, application, browser, scope="openid profile email agency"):
    redirect_uri = application.redirect_uris
    client = OAuth2Session(
        application.client_id, RP_SECRET, scope=scope, redirect_uri=redirect_uri, code_challenge_method="S256"
    )
    verifier, nonce = generate_token(48), generate_token(20)
    url, _state = client.create_authorization_url(meta["authorization_endpoint"], nonce=nonce, code_verifier=verifier)
    response = browser.get(url, allow_redirects=False, timeout=30)
    assert response.status_code == 302, response.text[:300]
    location = response.headers["Location"]
    assert location.startswith(redirect_uri + "?")
    token = client.fetch_token(meta["token_endpoint"], authorization_response=location, code_verifier=verifier)
    return client, token, nonce


def test_code_flow_with_pkce_userinfo_refresh_logout_and_key_rotation(issuer, live_server, learner):
    # given a first-party relying party and a person signed in to eCPA with a password
    base = live_server.url
    application = register_rp(
        name="e等公務園+學習平臺",
        redirect_uri=f"{base}/rp/callback",
        post_logout_uri=f"{base}/rp/signed-out",
        first_party=True,
    )
    browser = signed_in_session(base, "A123456789", PASSWORD)
    signin = SigninRecord.objects.get(user=learner, success=True)

    # when the relying party reads the discovery document
    meta = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=30).json()

    # then it names the configured issuer and our endpoints
    assert meta["issuer"] == issuer
    assert meta["authorization_endpoint"] == f"{issuer}/authorize/"
    assert meta["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert "end_session_endpoint" in meta
    assert "RS256" in meta["id_token_signing_alg_values_supported"]

    # when it runs the code flow (first party: no consent page)
    client, token, nonce = _sign_in_and_get_tokens(base=base, meta=meta, application=application, browser=browser)

    # then the ID token verifies against the JWKS and says who signed in, when and how
    jwks = requests.get(meta["jwks_uri"], timeout=30).json()
    claims = verify_id_token(
        token["id_token"],
        jwks=jwks,
        issuer=issuer,
        client_id=application.client_id,
        nonce=nonce,
        access_token=token["access_token"],
    )
    assert claims["sub"] == str(learner.pk)
    assert claims["auth_time"] == int(signin.at.timestamp())
    assert claims["amr"] == ["pwd"]
    assert claims["name"] == "王小明"
    assert claims["agency_code"] == "A09600000Q"
    assert "national_id" not in claims
    first_kid = _kid(token["id_token"])

    # and userinfo gives the scoped claims, without the national ID
    info = client.get(meta["userinfo_endpoint"]).json()
    assert info == {
        "sub": str(learner.pk),
        "name": "王小明",
        "preferred_username": "",
        "email": "xiaoming@example.tw",
        "email_verified": True,
        "agency_code": "A09600000Q",
        "agency_name": "國立臺中科技大學",
        "personnel_category": "11-一般人員",
        "identity_type": "公務人員",
    }

    # when it refreshes
    old_refresh = token["refresh_token"]
    new_token = client.refresh_token(meta["token_endpoint"], refresh_token=old_refresh)

    # then it gets a new refresh token, and the old one is refused
    assert new_token["refresh_token"] != old_refresh
    replay = OAuth2Session(application.client_id, RP_SECRET)
    with pytest.raises(OAuthError) as refused:
        replay.refresh_token(meta["token_endpoint"], refresh_token=old_refresh)
    assert refused.value.error == "invalid_grant"

    # when the relying party logs the person out with its ID token
    response = browser.get(
        meta["end_session_endpoint"],
        params={
            "id_token_hint": token["id_token"],
            "post_logout_redirect_uri": f"{base}/rp/signed-out",
            "state": "bye",
        },
        allow_redirects=False,
        timeout=30,
    )

    # then eCPA ends the session and sends the person back
    assert response.status_code == 302
    assert response.headers["Location"] == f"{base}/rp/signed-out?state=bye"
    my_area = browser.get(f"{base}/ecpa/my", allow_redirects=False, timeout=30)
    assert my_area.status_code == 302
    assert my_area.headers["Location"].startswith("/ecpa/signin")

    # when an operator rotates the signing key and the person signs in and enters again
    new_key = oidc.rotate_key()
    browser = signed_in_session(base, "A123456789", PASSWORD)
    client, token2, nonce2 = _sign_in_and_get_tokens(base=base, meta=meta, application=application, browser=browser)

    # then the new token is signed with the new key, and both keys are published
    jwks = requests.get(meta["jwks_uri"], timeout=30).json()
    assert _kid(token2["id_token"]) == new_key.kid != first_kid
    assert {k["kid"] for k in jwks["keys"]} == {first_kid, new_key.kid}
    assert SigningKey.objects.get(kid=first_kid).active is None
    verify_id_token(
        token2["id_token"],
        jwks=jwks,
        issuer=issuer,
        client_id=application.client_id,
        nonce=nonce2,
        access_token=token2["access_token"],
    )
    # a token signed before the rotation still verifies until it expires
    verify_id_token(token["id_token"], jwks=jwks, issuer=issuer, client_id=application.client_id, nonce=nonce)
    assert client.get(meta["userinfo_endpoint"]).json()["sub"] == str(learner.pk)
    refreshed = client.refresh_token(meta["token_endpoint"], refresh_token=token2["refresh_token"])
    assert _kid(refreshed["id_token"]) == new_key.kid

    # and logout works with the new ID token
    response = browser.get(
        meta["end_session_endpoint"],
        params={"id_token_hint": refreshed["id_token"], "post_logout_redirect_uri": f"{base}/rp/signed-out"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"{base}/rp/signed-out"
    assert browser.get(f"{base}/ecpa/my", allow_redirects=False, timeout=30).status_code == 302
    gone = client.get(meta["userinfo_endpoint"])
    assert gone.status_code == 401


def test_id_token_header_and_jwks_agree(issuer, live_server):
    # given a fresh installation (no key yet)
    assert SigningKey.objects.count() == 0

    # when the JWKS is read
    document = requests.get(f"{issuer}/.well-known/jwks.json", timeout=30).json()

    # then one key was generated on first use and is published without its private part
    key = SigningKey.objects.get()
    assert [k["kid"] for k in document["keys"]] == [key.kid]
    assert set(document["keys"][0]) == {"alg", "use", "kid", "kty", "n", "e"}
    assert json.dumps(document).find('"d"') == -1
