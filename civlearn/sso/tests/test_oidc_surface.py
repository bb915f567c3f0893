"""The OAuth surface (issue 13 §1): only what clients need is mounted; clients are the operators' to create; the
password grant, implicit and hybrid responses and HS256 ID tokens do not exist; redirect URIs are exact https."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import CommandError, call_command
from oauth2_provider.models import AccessToken, Grant, get_application_model

from civlearn.core.models import AuditEvent
from civlearn.identity.models import SigninRecord
from civlearn.sso.tests.sso_support import CHALLENGE, INLINE, REDIRECT, RP_SECRET, admin_client_form, register_rp
from conftest import PASSWORD

Application = get_application_model()
pytestmark = pytest.mark.usefixtures("oidc_keys")


@pytest.mark.parametrize(
    "path",
    [
        "/o/applications/",
        "/o/applications/register/",
        "/o/applications/1/",
        "/o/applications/1/update/",
        "/o/authorized_tokens/",
        "/o/device-authorization/",
        "/o/register/",
        "/o/introspect/",
        "/o/.well-known/oauth-authorization-server",
    ],
)
def test_management_screens_are_not_there_for_anyone(client, learner, operator, path):
    before = Application.objects.count()  # the platform's own systems, from a data migration
    for person in (learner, operator):
        client.force_login(person)
        assert client.get(path).status_code == 404
    assert client.post(path, {"name": "x", "redirect_uris": "https://evil.example/cb"}).status_code == 404
    assert Application.objects.count() == before


def test_a_learner_cannot_register_an_application(client, learner):
    # given a signed-in learner who tries DOT's registration form as it was exposed before
    client.force_login(learner)

    # when they post an application with the password grant and an outside redirect URI
    response = client.post(
        "/o/applications/register/",
        {
            "name": "猜密碼",
            "client_id": "guesser",
            "client_secret": "s" * 40,
            "client_type": "confidential",
            "authorization_grant_type": "password",
            "redirect_uris": "https://evil.example/cb",
            "algorithm": "",
        },
    )

    # then nothing is there and nothing was made
    assert response.status_code == 404
    assert not Application.objects.filter(client_id="guesser").exists()


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_password_grant_is_refused_even_for_an_existing_password_client(client, learner):
    # given a password-grant application written straight into the table (as one registered before the fix)
    app = Application.objects.create(
        name="舊密碼用戶端",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_PASSWORD,
        client_secret=RP_SECRET,
    )

    # when it sends the learner's right password to the token endpoint
    response = client.post(
        "/o/token/",
        {"grant_type": "password", "username": "A123456789", "password": PASSWORD},
        HTTP_AUTHORIZATION=_basic(app.client_id, RP_SECRET),
    )

    # then the grant type does not exist; no token, and no password was even checked (no sign-in record)
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
    assert AccessToken.objects.count() == 0
    assert SigninRecord.objects.count() == 0


@pytest.mark.parametrize("response_type", ["token", "id_token", "id_token token", "code id_token", "code token"])
def test_implicit_and_hybrid_responses_are_refused(client, learner, response_type):
    # given an implicit-grant application and a relying party, and a signed-in learner
    implicit = Application.objects.create(
        name="舊隱含授權",
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_IMPLICIT,
        redirect_uris=REDIRECT,
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    rp = register_rp(name="差勤系統", redirect_uri=REDIRECT, first_party=True)
    client.force_login(learner)

    for app in (implicit, rp):
        # when either asks for tokens in the redirect
        response = client.get(
            "/o/authorize/",
            {
                "response_type": response_type,
                "client_id": app.client_id,
                "redirect_uri": REDIRECT,
                "scope": "openid",
                "nonce": "n1",
                "state": "s1",
                "code_challenge": CHALLENGE,
                "code_challenge_method": "S256",
            },
        )

        # then no token reaches the redirect URI: an error instead
        assert response.status_code == 302, response.content[:500]
        location = urlsplit(response["Location"])
        query = parse_qs(location.query)
        # oauthlib names the refusal by where it happens: a response type that does not exist here, or a client
        # the validator does not allow it for (the implicit client asking for "code ...").
        assert query["error"] in (["unsupported_response_type"], ["unauthorized_client"])
        assert "access_token" not in location.fragment and "id_token" not in location.fragment
    assert AccessToken.objects.count() == 0
    assert Grant.objects.count() == 0


def test_an_hs256_client_gets_no_code(client, learner):
    # given a relying party whose row says HS256 (written around the admin)
    rp = register_rp(name="HS256 系統", redirect_uri=REDIRECT, first_party=True)
    Application.objects.filter(pk=rp.pk).update(algorithm=Application.HS256_ALGORITHM)
    client.force_login(learner)

    # when it asks for a code
    response = client.get(
        "/o/authorize/",
        {
            "response_type": "code",
            "client_id": rp.client_id,
            "redirect_uri": REDIRECT,
            "scope": "openid",
            "state": "s1",
            "code_challenge": CHALLENGE,
            "code_challenge_method": "S256",
        },
    )

    # then it is refused and no code exists
    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query)["error"] == ["unauthorized_client"]
    assert Grant.objects.count() == 0


def test_discovery_advertises_exactly_what_is_allowed(client, db):
    data = client.get("/o/.well-known/openid-configuration").json()

    assert data["response_types_supported"] == ["code"]
    assert data["grant_types_supported"] == ["authorization_code", "refresh_token", "client_credentials"]
    assert data["id_token_signing_alg_values_supported"] == ["RS256"]
    assert data["code_challenge_methods_supported"] == ["S256"]
    assert data["token_endpoint"] == data["issuer"] + "/token/"
    assert data["revocation_endpoint"] == data["issuer"] + "/revoke_token/"
    assert data["end_session_endpoint"].endswith("/o/logout/")


# ---- operators save clients ----------------------------------------------------------------------------------

PREFIX = INLINE


def _admin_form(**overrides):
    return admin_client_form(**overrides)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "redirect_uris",
            "http://hr.ntpc.example.tw/cb",
            "須使用 https（僅本機開發可用 http://localhost 或 127.0.0.1）：http://hr.ntpc.example.tw/cb",
        ),
        ("redirect_uris", "https://*.example.tw/cb", "網址須完全相符，不可使用萬用字元：https://*.example.tw/cb"),
        ("redirect_uris", "https://hr.example.tw/cb#x", "網址不可含 # 片段：https://hr.example.tw/cb#x"),
        (
            "post_logout_redirect_uris",
            "http://hr.ntpc.example.tw/bye",
            "須使用 https（僅本機開發可用 http://localhost 或 127.0.0.1）：http://hr.ntpc.example.tw/bye",
        ),
        ("algorithm", Application.HS256_ALGORITHM, "請選擇有效的選項, HS256 不是一個可用的選項。"),
        ("authorization_grant_type", Application.GRANT_PASSWORD, "請選擇有效的選項, password 不是一個可用的選項。"),
        ("authorization_grant_type", Application.GRANT_IMPLICIT, "請選擇有效的選項, implicit 不是一個可用的選項。"),
    ],
)
def test_admin_refuses_what_is_not_allowed(client, operator, field, value, message):
    before = Application.objects.count()
    client.force_login(operator)

    response = client.post("/admin/oauth2_provider/application/add/", _admin_form(**{field: value}))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors[field] == [message]
    assert Application.objects.count() == before
    assert not AuditEvent.objects.filter(action="identity.relying_party_saved").exists()


def test_admin_accepts_https_and_loopback_http(client, operator):
    client.force_login(operator)

    response = client.post(
        "/admin/oauth2_provider/application/add/",
        _admin_form(
            redirect_uris="https://hr.ntpc.example.tw/cb http://localhost:8080/cb http://127.0.0.1/cb",
            post_logout_redirect_uris="https://hr.ntpc.example.tw/bye",
        ),
    )

    assert response.status_code == 302
    app = Application.objects.get(client_id="ntpc-attendance")
    assert app.redirect_uris == "https://hr.ntpc.example.tw/cb http://localhost:8080/cb http://127.0.0.1/cb"


def test_command_creates_a_relying_party_and_prints_the_secret_once(capsys, db):
    call_command(
        "oidc_client",
        "create",
        "--name",
        "臺北市差勤系統",
        "--redirect-uri",
        "https://hr.example.tw/oidc/callback",
        "--post-logout-uri",
        "https://hr.example.tw/bye",
    )

    out = capsys.readouterr().out.splitlines()
    client_id = out[0].removeprefix("client_id: ")
    secret = out[1].removeprefix("client_secret: ")
    app = Application.objects.get(client_id=client_id)
    assert app.authorization_grant_type == Application.GRANT_AUTHORIZATION_CODE
    assert app.algorithm == Application.RS256_ALGORITHM
    assert app.redirect_uris == "https://hr.example.tw/oidc/callback"
    assert app.client_secret.startswith("client_hmac_sha256$") and secret not in app.client_secret
    assert app.relying_party.allowed_scopes == "openid profile email agency"
    assert AuditEvent.objects.get(action="identity.oidc_client_created").changes["client_id"] == client_id


def test_command_machine_client_gets_tokens_with_its_secret(client, capsys, db):
    call_command("oidc_client", "create", "--name", "某學院課程系統", "--machine")
    out = capsys.readouterr().out.splitlines()
    client_id, secret = out[0].split(": ")[1], out[1].split(": ")[1]

    response = client.post(
        "/o/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=_basic(client_id, secret)
    )

    assert response.status_code == 200, response.content
    assert Application.objects.get(client_id=client_id).algorithm == Application.NO_ALGORITHM


def test_command_refuses_a_plain_http_redirect_and_saves_nothing(db):
    before = Application.objects.count()
    with pytest.raises(CommandError) as refused:
        call_command(
            "oidc_client", "create", "--name", "不安全系統", "--redirect-uri", "http://hr.example.tw/oidc/callback"
        )

    assert str(refused.value) == (
        "須使用 https（僅本機開發可用 http://localhost 或 127.0.0.1）：http://hr.example.tw/oidc/callback"
    )
    assert Application.objects.count() == before
    assert not AuditEvent.objects.filter(action="identity.oidc_client_created").exists()


# ---- every password check is a sign-in --------------------------------------------------------------------------


def test_admin_login_is_throttled_locked_and_recorded(client, operator, settings):
    # given the operator's account and the usual failure limit
    settings.SIGNIN_MAX_FAILURES = 3

    # when someone guesses at the admin login
    for _ in range(3):
        response = client.post("/admin/login/", {"username": "operator", "password": "wrong-guess"})
        assert response.status_code == 200

    # then the account is locked: even the right password is refused, with the lock's message
    response = client.post("/admin/login/", {"username": "operator", "password": PASSWORD})
    assert response.status_code == 200
    html = response.content.decode()
    assert "登入失敗次數過多，已暫時鎖定" in html
    assert "_auth_user_id" not in client.session
    records = list(SigninRecord.objects.filter(user=operator).values_list("success", flat=True))
    assert records == [False, False, False]
    assert AuditEvent.objects.filter(action="identity.account_locked", subject_id=str(operator.pk)).count() == 1


def test_admin_login_success_is_a_recorded_signin(client, operator):
    response = client.post("/admin/login/?next=/admin/", {"username": "operator", "password": PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(operator.pk)
    record = SigninRecord.objects.get(user=operator)
    assert (record.success, record.method) == (True, SigninRecord.PASSWORD)
    assert AuditEvent.objects.filter(action="identity.signed_in", subject_id=str(operator.pk)).count() == 1
