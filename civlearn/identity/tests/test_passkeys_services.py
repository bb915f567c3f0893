"""Passkey registration, sign-in and management against a software authenticator (real WebAuthn messages, signed
with `cryptography`, verified by py_webauthn): the refusals a browser test cannot easily produce."""

import base64
import datetime as dt
import hashlib
import json
import os
import struct

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from civlearn.core import clock
from civlearn.core.models import AuditEvent
from civlearn.identity import signin_passkey as sp
from civlearn.identity.models import Passkey, SigninRecord
from civlearn.identity.services import IdentityError
from conftest import PASSWORD

ORIGIN = "http://localhost:8000"
IP = "192.0.2.30"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SoftAuthenticator:
    """A discoverable-credential authenticator in software: P-256 keys, "none" attestation, a sign counter."""

    def __init__(self, rp_id: str = "localhost", *, user_verified: bool = True):
        self.rp_id = rp_id
        self.user_verified = user_verified
        self.credentials: dict[bytes, tuple[ec.EllipticCurvePrivateKey, bytes]] = {}
        self.counter = 0

    def _flags(self, attested: bool) -> int:
        return 0x01 | (0x04 if self.user_verified else 0) | (0x40 if attested else 0)

    def _client_data(self, kind: str, options: dict, origin: str) -> bytes:
        return json.dumps({"type": kind, "challenge": options["challenge"], "origin": origin}).encode()

    def create(self, options_json: str, *, origin: str = ORIGIN) -> dict:
        options = json.loads(options_json)
        key = ec.generate_private_key(ec.SECP256R1())
        credential_id = os.urandom(16)
        numbers = key.public_key().public_numbers()
        cose_key = cbor2.dumps(
            {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        )
        auth_data = (
            hashlib.sha256(self.rp_id.encode()).digest()
            + bytes([self._flags(attested=True)])
            + struct.pack(">I", self.counter)
            + bytes(16)
            + struct.pack(">H", len(credential_id))
            + credential_id
            + cose_key
        )
        user_handle = base64.urlsafe_b64decode(options["user"]["id"] + "==")
        self.credentials[credential_id] = (key, user_handle)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(credential_id),
            "rawId": b64url(credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(self._client_data("webauthn.create", options, origin)),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
        }

    def get(self, options_json: str, *, origin: str = ORIGIN, credential_id: bytes | None = None) -> dict:
        options = json.loads(options_json)
        credential_id = credential_id or next(iter(self.credentials))
        key, user_handle = self.credentials[credential_id]
        self.counter += 1
        auth_data = (
            hashlib.sha256(self.rp_id.encode()).digest()
            + bytes([self._flags(attested=False)])
            + struct.pack(">I", self.counter)
        )
        client_data = self._client_data("webauthn.get", options, origin)
        signature = key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(credential_id),
            "rawId": b64url(credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(user_handle),
            },
        }


@pytest.fixture(autouse=True)
def _relying_party(settings):
    settings.WEBAUTHN_RP_ID = "localhost"


def _register(user, authenticator, *, name="辦公室電腦", origin=ORIGIN, reauth=None):
    reauth = reauth or clock.now()
    options, challenge = sp.registration_options(user=user, reauthenticated_at=reauth)
    return sp.passkey_register(
        user=user,
        credential=authenticator.create(options, origin=origin),
        expected_challenge=challenge,
        origins=[ORIGIN],
        name=name,
        reauthenticated_at=reauth,
        ip_address=IP,
    )


def _signin(authenticator, *, origin=ORIGIN, challenge_override=None):
    options, challenge = sp.authentication_options()
    credential = authenticator.get(options, origin=origin)
    return sp.passkey_signin(
        credential=credential,
        expected_challenge=challenge_override if challenge_override is not None else challenge,
        origins=[ORIGIN],
        ip_address=IP,
    )


# ---- registration ---------------------------------------------------------------------------------------------


def test_registration_options_require_a_discoverable_credential_with_user_verification(learner):
    options, challenge = sp.registration_options(user=learner, reauthenticated_at=clock.now())
    data = json.loads(options)
    assert data["rp"] == {"id": "localhost", "name": "人事服務網 eCPA"}
    assert data["authenticatorSelection"]["residentKey"] == "required"
    assert data["authenticatorSelection"]["userVerification"] == "required"
    # The authenticator shows the masked national ID, never the full one
    assert data["user"]["name"] == "A12345****"
    assert data["user"]["displayName"] == "王小明"
    assert base64.urlsafe_b64decode(data["user"]["id"] + "==") == f"ecpa-user-{learner.pk}".encode()
    assert len(challenge) >= 32


def test_registering_a_passkey_keeps_it_and_audits(learner):
    authenticator = SoftAuthenticator()
    passkey = _register(learner, authenticator)
    assert (passkey.user, passkey.name, passkey.sign_count) == (learner, "辦公室電腦", 0)
    assert passkey.transports == ["internal"]
    event = AuditEvent.objects.get(action="identity.passkey_added")
    assert (event.actor, event.changes["name"], event.ip_address) == (learner, "辦公室電腦", IP)


def test_a_passkey_without_a_name_gets_a_numbered_one(learner):
    authenticator = SoftAuthenticator()
    assert _register(learner, authenticator, name="  ").name == "通行金鑰 1"
    assert _register(learner, authenticator, name="").name == "通行金鑰 2"


def test_registration_needs_the_password_entered_again_recently(learner, settings):
    # Without re-entering the password, no options are even given
    with pytest.raises(IdentityError) as refused:
        sp.registration_options(user=learner, reauthenticated_at=None)
    assert refused.value.messages == ["為保護您的帳號，新增通行金鑰前請再次輸入密碼"]
    # A re-entry older than PASSKEY_REAUTH_MINUTES no longer counts
    old = clock.now() - dt.timedelta(minutes=settings.PASSKEY_REAUTH_MINUTES, seconds=1)
    with pytest.raises(IdentityError):
        sp.registration_options(user=learner, reauthenticated_at=old)
    assert not Passkey.objects.exists()


def test_reauthentication_checks_the_password(learner):
    with pytest.raises(IdentityError) as refused:
        sp.passkey_reauthenticate(user=learner, password="Wrong!pass1", ip_address=IP)
    assert refused.value.errors == {"password": ["密碼不正確"]}
    at = sp.passkey_reauthenticate(user=learner, password=PASSWORD, ip_address=IP)
    assert abs((clock.now() - at).total_seconds()) < 5


def test_registration_from_another_origin_is_refused(learner):
    authenticator = SoftAuthenticator()
    with pytest.raises(IdentityError) as refused:
        _register(learner, authenticator, origin="https://evil.example")
    assert refused.value.messages == ["通行金鑰驗證失敗，請重新操作"]
    assert not Passkey.objects.exists()
    assert not AuditEvent.objects.filter(action="identity.passkey_added").exists()


def test_registration_without_user_verification_is_refused(learner):
    with pytest.raises(IdentityError) as refused:
        _register(learner, SoftAuthenticator(user_verified=False))
    assert refused.value.messages == ["通行金鑰驗證失敗，請重新操作"]
    assert not Passkey.objects.exists()


def test_registration_without_a_kept_challenge_is_refused(learner):
    authenticator = SoftAuthenticator()
    options, _challenge = sp.registration_options(user=learner, reauthenticated_at=clock.now())
    with pytest.raises(IdentityError) as refused:
        sp.passkey_register(
            user=learner,
            credential=authenticator.create(options),
            expected_challenge=None,
            origins=[ORIGIN],
            name="x",
            reauthenticated_at=clock.now(),
            ip_address=IP,
        )
    assert refused.value.messages == ["通行金鑰設定已逾時，請重新操作"]


def test_a_name_longer_than_60_characters_is_refused(learner):
    with pytest.raises(IdentityError) as refused:
        _register(learner, SoftAuthenticator(), name="名" * 61)
    assert refused.value.errors == {"name": ["名稱請勿超過 60 個字"]}
    assert not Passkey.objects.exists()


# ---- sign-in -------------------------------------------------------------------------------------------------------


def test_signin_with_a_registered_passkey_returns_its_account_and_advances_the_counter(learner):
    authenticator = SoftAuthenticator()
    passkey = _register(learner, authenticator)
    assert _signin(authenticator) == learner
    passkey.refresh_from_db()
    assert passkey.sign_count == 1
    assert passkey.last_used_at is not None


def test_signin_with_a_replayed_or_foreign_challenge_is_refused_and_recorded(learner):
    authenticator = SoftAuthenticator()
    _register(learner, authenticator)
    with pytest.raises(IdentityError) as refused:
        _signin(authenticator, challenge_override=b"a challenge the server never issued....")
    assert refused.value.messages == [sp.msg_signin_failed()]
    record = SigninRecord.objects.get(user=learner)
    assert (record.method, record.success) == ("passkey", False)


def test_signin_from_another_origin_is_refused(learner):
    authenticator = SoftAuthenticator()
    _register(learner, authenticator)
    with pytest.raises(IdentityError):
        _signin(authenticator, origin="https://evil.example")
    assert not SigninRecord.objects.filter(success=True).exists()


def test_signin_without_user_verification_is_refused(learner):
    authenticator = SoftAuthenticator()
    _register(learner, authenticator)
    authenticator.user_verified = False
    with pytest.raises(IdentityError):
        _signin(authenticator)


def test_signin_with_an_unknown_passkey_is_refused(learner):
    # A credential made for this site but never registered with it
    stranger = SoftAuthenticator()
    stranger.create(json.dumps({"challenge": "AA", "user": {"id": "AA"}}))
    with pytest.raises(IdentityError) as refused:
        _signin(stranger)
    assert refused.value.messages == [sp.msg_signin_failed()]
    assert not SigninRecord.objects.exists()


def test_signin_without_a_kept_challenge_is_refused(learner):
    with pytest.raises(IdentityError) as refused:
        sp.passkey_signin(credential={}, expected_challenge=None, origins=[ORIGIN], ip_address=IP)
    assert refused.value.messages == ["通行金鑰登入已逾時，請重新操作"]


def test_signin_of_a_deactivated_account_is_refused(learner):
    authenticator = SoftAuthenticator()
    _register(learner, authenticator)
    learner.is_active = False
    learner.save()
    with pytest.raises(IdentityError) as refused:
        _signin(authenticator)
    assert refused.value.messages == ["帳號已停用"]


# ---- managing ----------------------------------------------------------------------------------------------------


def test_rename_and_remove_only_ones_own_passkeys(learner, hr_officer):
    passkey = _register(learner, SoftAuthenticator())
    for operation in (
        lambda: sp.passkey_rename(user=hr_officer, passkey_id=passkey.pk, name="偷改", ip_address=IP),
        lambda: sp.passkey_remove(user=hr_officer, passkey_id=passkey.pk, ip_address=IP),
    ):
        with pytest.raises(IdentityError) as refused:
            operation()
        assert refused.value.messages == ["找不到此通行金鑰"]
    passkey.refresh_from_db()
    assert passkey.name == "辦公室電腦"

    sp.passkey_rename(user=learner, passkey_id=passkey.pk, name=" 我的 筆電 ", ip_address=IP)
    passkey.refresh_from_db()
    assert passkey.name == "我的 筆電"
    renamed = AuditEvent.objects.get(action="identity.passkey_renamed")
    assert renamed.changes["name"] == ["辦公室電腦", "我的 筆電"]

    with pytest.raises(IdentityError) as refused:
        sp.passkey_rename(user=learner, passkey_id=passkey.pk, name="   ", ip_address=IP)
    assert refused.value.errors == {"name": ["請輸入名稱"]}

    sp.passkey_remove(user=learner, passkey_id=passkey.pk, ip_address=IP)
    assert not Passkey.objects.exists()
    assert AuditEvent.objects.get(action="identity.passkey_removed").changes["name"] == "我的 筆電"
