"""Passkeys (通行金鑰), the modern form of 行動自然人憑證: WebAuthn with py_webauthn.

Registration happens in My Area within PASSKEY_REAUTH_MINUTES of re-entering the password; sign-in uses
discoverable credentials (no name typed) with user verification required. The challenge of each ceremony is kept
by the caller (the session) and handed back here once: it cannot be replayed.

Errors are `IdentityError` with zh-Hant messages.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import parse_authentication_credential_json
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidJSONStructure, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from civlearn.core import clock, national_id
from civlearn.core.services import audit_record
from civlearn.identity import throttle
from civlearn.identity.models import METHOD_PASSKEY, Passkey, User
from civlearn.identity.services import IdentityError, credential_remove, signin_record_failure

logger = logging.getLogger(__name__)

NAME_MAX = 60
TIMEOUT_MS = 180_000


def user_handle(user: User) -> bytes:
    """The WebAuthn user id: stable per account and free of personal data (the spec forbids names or IDs here)."""
    return f"ecpa-user-{user.pk}".encode()


def _credential_hash(credential_id: bytes) -> str:
    return hashlib.sha256(credential_id).hexdigest()


def passkeys_of(user: User) -> list[Passkey]:
    return list(Passkey.objects.filter(user=user))


# ---- re-entering the password -----------------------------------------------------------------------------------


def passkey_reauthenticate(*, user: User, password: str, ip_address: str | None) -> dt.datetime:
    """The password again before a passkey is added; wrong passwords count toward the same lock as 修改密碼."""
    until = throttle.locked_until("password-change", str(user.pk))
    if until:
        from civlearn.identity import passwords

        raise IdentityError(
            {"password": [_("密碼錯誤次數過多，請於 %(when)s 後再試") % {"when": passwords.display_time(until)}]}
        )
    if not user.check_password(password or ""):
        throttle.count(
            "password-change", str(user.pk), limit=settings.SIGNIN_MAX_FAILURES, minutes=settings.SIGNIN_LOCK_MINUTES
        )
        raise IdentityError({"password": [_("密碼不正確")]})
    return clock.now()


def _reauth_valid(reauthenticated_at: dt.datetime | None) -> bool:
    if reauthenticated_at is None:
        return False
    return clock.now() - reauthenticated_at <= dt.timedelta(minutes=settings.PASSKEY_REAUTH_MINUTES)


def msg_reauth_needed() -> str:
    return _("為保護您的帳號，新增通行金鑰前請再次輸入密碼")


# ---- registration ---------------------------------------------------------------------------------------------


def registration_options(*, user: User, reauthenticated_at: dt.datetime | None) -> tuple[str, bytes]:
    """(options JSON for navigator.credentials.create, the challenge to keep)."""
    if not _reauth_valid(reauthenticated_at):
        raise IdentityError(msg_reauth_needed())
    person = user.person if user.person_id else None
    # What the authenticator shows when choosing a passkey: the masked ID or custom account, and the name.
    user_name = user.username or (national_id.mask(person.national_id) if person else f"user{user.pk}")
    options = generate_registration_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        rp_name=settings.WEBAUTHN_RP_NAME,
        user_id=user_handle(user),
        user_name=user_name,
        user_display_name=person.name if person else user_name,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            require_resident_key=True,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=bytes(key.credential_id)) for key in Passkey.objects.filter(user=user)
        ],
    )
    return options_to_json(options), options.challenge


def _clean_name(name: str, *, default: str) -> str:
    name = " ".join((name or "").split())
    if len(name) > NAME_MAX:
        raise IdentityError({"name": [_("名稱請勿超過 %(max)s 個字") % {"max": NAME_MAX}]})
    return name or default


def passkey_register(
    *,
    user: User,
    credential: str | dict,
    expected_challenge: bytes | None,
    origins: list[str],
    name: str,
    reauthenticated_at: dt.datetime | None,
    ip_address: str | None,
) -> Passkey:
    """Verify the authenticator's answer and keep the new passkey (user verification required)."""
    if not _reauth_valid(reauthenticated_at):
        raise IdentityError(msg_reauth_needed())
    if not expected_challenge:
        raise IdentityError(_("通行金鑰設定已逾時，請重新操作"))
    default_name = _("通行金鑰 %(n)s") % {"n": Passkey.objects.filter(user=user).count() + 1}
    clean_name = _clean_name(name, default=default_name)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=expected_challenge,
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=origins,
            require_user_verification=True,
        )
    except (InvalidRegistrationResponse, InvalidJSONStructure, ValueError, KeyError, TypeError) as exc:
        logger.info("passkey registration refused: %s", exc)
        raise IdentityError(_("通行金鑰驗證失敗，請重新操作")) from None
    transports = []
    if isinstance(credential, dict):
        transports = list((credential.get("response") or {}).get("transports") or [])
    try:
        with transaction.atomic():
            passkey = Passkey.objects.create(
                user=user,
                name=clean_name,
                credential_id=verified.credential_id,
                credential_id_hash=_credential_hash(verified.credential_id),
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                aaguid=str(verified.aaguid or ""),
                transports=transports,
                backed_up=bool(verified.credential_backed_up),
                created_at=clock.now(),
            )
            audit_record(
                actor=user,
                action="identity.passkey_added",
                subject=user,
                changes={"passkey": passkey.pk, "name": clean_name, "aaguid": passkey.aaguid},
                ip_address=ip_address,
            )
    except IntegrityError:
        raise IdentityError(_("此通行金鑰已經登錄過")) from None
    return passkey


# ---- sign-in -------------------------------------------------------------------------------------------------------


def authentication_options() -> tuple[str, bytes]:
    """(options JSON for navigator.credentials.get, the challenge to keep). No allow list: discoverable keys."""
    options = generate_authentication_options(
        rp_id=settings.WEBAUTHN_RP_ID, timeout=TIMEOUT_MS, user_verification=UserVerificationRequirement.REQUIRED
    )
    return options_to_json(options), options.challenge


def msg_signin_failed() -> str:
    return _("通行金鑰登入失敗，請重新操作；若尚未設定通行金鑰，請先以帳號密碼登入後於「我的專區 → 通行金鑰」新增")


def passkey_signin(
    *, credential: str | dict, expected_challenge: bytes | None, origins: list[str], ip_address: str | None
) -> User:
    """Verify an assertion from a registered passkey; returns the account (the caller calls
    `sessions.signin_finish`)."""
    if not expected_challenge:
        raise IdentityError(_("通行金鑰登入已逾時，請重新操作"))
    try:
        text = credential if isinstance(credential, str) else json.dumps(credential)
        parsed = parse_authentication_credential_json(text)
    except (InvalidJSONStructure, ValueError, KeyError, TypeError):
        raise IdentityError(msg_signin_failed()) from None
    passkey = (
        Passkey.objects.select_related("user__person")
        .filter(credential_id_hash=_credential_hash(parsed.raw_id))
        .first()
    )
    if passkey is None:
        raise IdentityError(msg_signin_failed())
    user = passkey.user
    handle = parsed.response.user_handle
    try:
        if handle is not None and handle != user_handle(user):
            raise InvalidAuthenticationResponse("user handle does not match the credential's account")
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=expected_challenge,
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=origins,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (InvalidAuthenticationResponse, ValueError) as exc:
        logger.info("passkey assertion refused: %s", exc)
        signin_record_failure(user=user, method=METHOD_PASSKEY, ip_address=ip_address)
        raise IdentityError(msg_signin_failed()) from None
    if not user.is_active or (user.person_id and not user.person.is_active):
        signin_record_failure(user=user, method=METHOD_PASSKEY, ip_address=ip_address)
        raise IdentityError(_("帳號已停用"))
    Passkey.objects.filter(pk=passkey.pk).update(
        sign_count=verified.new_sign_count, last_used_at=clock.now(), backed_up=bool(verified.credential_backed_up)
    )
    return user


# ---- managing ---------------------------------------------------------------------------------------------------


def passkey_rename(*, user: User, passkey_id: int, name: str, ip_address: str | None) -> Passkey:
    with transaction.atomic():
        passkey = Passkey.objects.select_for_update().filter(pk=passkey_id, user=user).first()
        if passkey is None:
            raise IdentityError(_("找不到此通行金鑰"))
        new_name = " ".join((name or "").split())
        if not new_name:
            raise IdentityError({"name": [_("請輸入名稱")]})
        new_name = _clean_name(new_name, default=new_name)
        if new_name != passkey.name:
            audit_record(
                actor=user,
                action="identity.passkey_renamed",
                subject=user,
                changes={"passkey": passkey.pk, "name": [passkey.name, new_name]},
                ip_address=ip_address,
            )
            passkey.name = new_name
            passkey.save(update_fields=["name"])
    return passkey


def passkey_remove(*, user: User, passkey_id: int, ip_address: str | None) -> None:
    credential_remove(
        user=user,
        credential=Passkey.objects.filter(pk=passkey_id),
        not_found=_("找不到此通行金鑰"),
        action="identity.passkey_removed",
        changes=lambda passkey: {"passkey": passkey.pk, "name": passkey.name},
        ip_address=ip_address,
    )
