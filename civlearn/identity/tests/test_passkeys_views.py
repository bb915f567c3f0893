"""The passkey screens over HTTP: re-entering the password, the JSON ceremonies, single-use challenges."""

import json

from civlearn.identity.models import Passkey, SigninRecord
from civlearn.identity.tests.test_passkeys_services import SoftAuthenticator
from conftest import PASSWORD

ORIGIN = "http://testserver"


def _json(client, url, payload=None):
    return client.post(url, data=json.dumps(payload or {}), content_type="application/json")


def _reauthenticate(client):
    response = client.post("/ecpa/my/passkeys", {"password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/ecpa/my/passkeys")


def _register(client, authenticator, name="辦公室電腦"):
    options = _json(client, "/ecpa/my/passkeys/options")
    assert options.status_code == 200
    credential = authenticator.create(json.dumps(options.json()), origin=ORIGIN)
    return _json(client, "/ecpa/my/passkeys/register", {"name": name, "credential": credential})


def test_adding_a_passkey_needs_the_password_again(client, learner, settings):
    settings.WEBAUTHN_RP_ID = "testserver"
    client.force_login(learner)
    page = client.get("/ecpa/my/passkeys").content.decode()
    assert "確認密碼" in page and "建立通行金鑰" not in page
    refused = _json(client, "/ecpa/my/passkeys/options")
    assert (refused.status_code, refused.json()) == (403, {"error": "為保護您的帳號，新增通行金鑰前請再次輸入密碼"})
    wrong = client.post("/ecpa/my/passkeys", {"password": "Wrong!pass1"})
    assert wrong.status_code == 400
    assert "密碼不正確" in wrong.content.decode()
    _reauthenticate(client)
    assert "建立通行金鑰" in client.get("/ecpa/my/passkeys").content.decode()


def test_register_then_sign_in_over_http_with_single_use_challenges(client, learner, settings):
    settings.WEBAUTHN_RP_ID = "testserver"
    authenticator = SoftAuthenticator("testserver")
    client.force_login(learner)
    _reauthenticate(client)
    response = _register(client, authenticator)
    assert (response.status_code, response.json()) == (200, {"redirect": "/ecpa/my/passkeys"})
    assert Passkey.objects.get(user=learner).name == "辦公室電腦"
    assert "已新增通行金鑰「辦公室電腦」" in client.get("/ecpa/my/passkeys").content.decode()

    # Signed out, sign in with it
    client.post("/ecpa/signout")
    options = _json(client, "/ecpa/signin/passkey/options").json()
    assert options["allowCredentials"] == []
    assert options["userVerification"] == "required"
    assertion = authenticator.get(json.dumps(options), origin=ORIGIN)
    response = _json(client, "/ecpa/signin/passkey", {"credential": assertion, "next": "/ecpa/my/signins"})
    assert (response.status_code, response.json()) == (200, {"redirect": "/ecpa/my/signins"})
    assert client.session["_auth_user_id"] == str(learner.pk)
    assert client.session["identity_signin_method"] == "passkey"

    # The same assertion again: the challenge was used up
    client.post("/ecpa/signout")
    again = _json(client, "/ecpa/signin/passkey", {"credential": assertion})
    assert (again.status_code, again.json()) == (400, {"error": "通行金鑰登入已逾時，請重新操作"})
    assert "_auth_user_id" not in client.session
    assert SigninRecord.objects.filter(method="passkey", success=True).count() == 1


def test_passkey_signin_refuses_an_offsite_next(client, learner, settings):
    settings.WEBAUTHN_RP_ID = "testserver"
    authenticator = SoftAuthenticator("testserver")
    client.force_login(learner)
    _reauthenticate(client)
    _register(client, authenticator)
    client.post("/ecpa/signout")
    options = _json(client, "/ecpa/signin/passkey/options").json()
    assertion = authenticator.get(json.dumps(options), origin=ORIGIN)
    response = _json(client, "/ecpa/signin/passkey", {"credential": assertion, "next": "https://evil.example/"})
    assert response.json() == {"redirect": "/ecpa/"}


def test_passkey_signin_with_garbage_is_a_clear_400(client, db):
    _json(client, "/ecpa/signin/passkey/options")
    response = client.post("/ecpa/signin/passkey", data="not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"].startswith("通行金鑰登入失敗")


def test_a_passkey_challenge_older_than_its_timeout_is_refused(client, learner, settings):
    import datetime as dt

    from civlearn.core import clock

    settings.WEBAUTHN_RP_ID = "testserver"
    authenticator = SoftAuthenticator("testserver")
    client.force_login(learner)
    _reauthenticate(client)
    _register(client, authenticator)
    client.post("/ecpa/signout")
    options = _json(client, "/ecpa/signin/passkey/options").json()
    assertion = authenticator.get(json.dumps(options), origin=ORIGIN)
    clock.advance(dt.timedelta(seconds=181))
    response = _json(client, "/ecpa/signin/passkey", {"credential": assertion})
    assert (response.status_code, response.json()) == (400, {"error": "通行金鑰登入已逾時，請重新操作"})
    assert "_auth_user_id" not in client.session
