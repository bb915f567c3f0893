"""Certificate card sign-in (自然人憑證, 機關憑證) and 自然人憑證上傳 (binding a citizen certificate to an account).

The flow: the page asks for a one-time challenge (`challenge_issue`), the local signing component on the person's
machine signs it with the card, the page posts the signature; the operation here claims the challenge (single use,
expires after CERT_CHALLENGE_TTL_SECONDS), checks signature and certificate (`certificates`), then applies its rule:

- binding: the certificate's last 4 ID digits and name match the account's person; one certificate, one account;
- citizen sign-in: the certificate is bound (issuer + serial) to an active account whose person still matches;
- agency sign-in: the agency certificate's agency identifier is an agency the named account is an HR officer of.

Errors are `IdentityError` with zh-Hant messages, like the rest of identity's services.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import unicodedata

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civlearn.core import clock
from civlearn.core.services import audit_record
from civlearn.identity import certificates, selectors, throttle
from civlearn.identity.certificates import CertificateError, CertificateFacts
from civlearn.identity.models import (
    METHOD_AGENCY_CERT,
    METHOD_MOICA,
    AgencyRole,
    BoundCertificate,
    CertificateChallenge,
    User,
)
from civlearn.identity.selectors import find_account
from civlearn.identity.services import IdentityError, credential_remove, signin_record_failure
from civlearn.registry.models import Agency


def _address_locked(ip_address: str | None) -> None:
    until = throttle.locked_until("signin-address", ip_address or "unknown")
    if until:
        from civlearn.identity import passwords

        raise IdentityError(
            _("登入失敗次數過多，已暫時鎖定，請於 %(when)s 後再試") % {"when": passwords.display_time(until)},
            until=until,
        )


def _count_failure(ip_address: str | None) -> None:
    throttle.count(
        "signin-address",
        ip_address or "unknown",
        limit=settings.SIGNIN_MAX_PER_ADDRESS,
        minutes=settings.SIGNIN_LOCK_MINUTES,
    )


# ---- challenges -------------------------------------------------------------------------------------------------


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def challenge_issue(*, purpose: str, user: User | None = None) -> tuple[str, dt.datetime]:
    """A fresh one-time value for the card to sign. Returns (value, expires_at); only its hash is stored."""
    if purpose not in dict(CertificateChallenge.PURPOSE_CHOICES):
        raise ValueError(f"unknown challenge purpose {purpose!r}")
    if purpose == CertificateChallenge.BIND and user is None:
        raise ValueError("a binding challenge belongs to an account")
    now = clock.now()
    # Plain ASCII: the component signs the text as given (tbsEncoding NONE).
    value = f"eCPA:{purpose}:{secrets.token_urlsafe(24)}"
    expires_at = now + dt.timedelta(seconds=settings.CERT_CHALLENGE_TTL_SECONDS)
    # Expired challenges are of no use to anyone; clearing them here keeps the table small without a cron job.
    CertificateChallenge.objects.filter(expires_at__lt=now - dt.timedelta(hours=1)).delete()
    CertificateChallenge.objects.create(
        purpose=purpose, value_hash=_hash(value), user=user, created_at=now, expires_at=expires_at
    )
    return value, expires_at


def msg_challenge_used() -> str:
    return _("此挑戰值已使用過，請重新操作")


def msg_challenge_expired() -> str:
    return _("挑戰值已逾期，請重新操作")


def msg_challenge_invalid() -> str:
    return _("挑戰值無效，請重新操作")


def challenge_claim(*, value: str, purpose: str, user: User | None = None) -> None:
    """Use up a challenge: known, of this purpose (and account), not used, not expired — else IdentityError.

    A conditional update claims it, so two requests carrying the same signature cannot both get through.
    """
    challenge = CertificateChallenge.objects.filter(value_hash=_hash(value or "")).first()
    if challenge is None or challenge.purpose != purpose:
        raise IdentityError(msg_challenge_invalid())
    if purpose == CertificateChallenge.BIND and (user is None or challenge.user_id != user.pk):
        raise IdentityError(msg_challenge_invalid())
    if challenge.used_at is not None:
        raise IdentityError(msg_challenge_used())
    now = clock.now()
    if now >= challenge.expires_at:
        raise IdentityError(msg_challenge_expired())
    claimed = CertificateChallenge.objects.filter(pk=challenge.pk, used_at__isnull=True).update(used_at=now)
    if not claimed:
        raise IdentityError(msg_challenge_used())


def _checked(*, challenge: str, signature: str, certificate: str, purpose: str, user: User | None = None):
    challenge_claim(value=challenge, purpose=purpose, user=user)
    try:
        found, _others = certificates.check_signed_challenge(
            challenge=challenge, signature_b64=signature, certificate_b64=certificate
        )
    except CertificateError as exc:
        raise IdentityError({"certificate": [str(exc)]}) from None
    return found


# ---- binding (自然人憑證上傳) -------------------------------------------------------------------------------------


def _same_name(a: str, b: str) -> bool:
    # NFKC folds full-width and compatibility forms; spaces inside Chinese names are not significant.
    def norm(text: str) -> str:
        return "".join(unicodedata.normalize("NFKC", text or "").split())

    return bool(norm(a)) and norm(a) == norm(b)


def _person_mismatch(found: CertificateFacts, user: User) -> str:
    person = user.person if user.person_id else None
    if person is None:
        return _("此帳號沒有人事資料，無法上傳自然人憑證")
    if not found.id_last4:
        return _("此憑證不是自然人憑證（沒有身分證字號末四碼）")
    if found.id_last4 != person.national_id[-4:]:
        return _("憑證的身分證字號末四碼與您的人事資料不符")
    if not _same_name(found.subject_name, person.name):
        return _("憑證姓名與您的人事資料不符")
    return ""


def certificate_bind(
    *, user: User, challenge: str, signature: str, certificate: str = "", ip_address: str | None
) -> BoundCertificate:
    """自然人憑證上傳: a valid citizen certificate that signed this account's challenge is bound to the account."""
    if not user.is_active:
        raise IdentityError(_("帳號已停用"))
    found = _checked(
        challenge=challenge, signature=signature, certificate=certificate, purpose=CertificateChallenge.BIND, user=user
    )
    problem = _person_mismatch(found, user)
    if problem:
        raise IdentityError({"certificate": [problem]})
    existing = BoundCertificate.objects.filter(issuer=found.issuer, serial=found.serial).first()
    if existing is not None:
        if existing.user_id == user.pk:
            raise IdentityError({"certificate": [_("此憑證已上傳過")]})
        raise IdentityError({"certificate": [_("此憑證已綁定其他帳號，無法上傳")]})
    try:
        with transaction.atomic():
            bound = BoundCertificate.objects.create(
                user=user,
                issuer=found.issuer,
                serial=found.serial,
                subject_name=found.subject_name,
                fingerprint=found.fingerprint,
                not_before=found.not_before,
                not_after=found.not_after,
                created_at=clock.now(),
            )
            audit_record(
                actor=user,
                action="identity.certificate_bound",
                subject=user,
                changes={"issuer": found.issuer, "serial": found.serial, "not_after": found.not_after.isoformat()},
                ip_address=ip_address,
            )
    except IntegrityError:
        # The same card bound by another request between the check and the insert.
        raise IdentityError({"certificate": [_("此憑證已綁定其他帳號，無法上傳")]}) from None
    return bound


def certificate_unbind(*, user: User, certificate_id: int, ip_address: str | None) -> None:
    """Remove one of the account's own bound certificates; someone else's is "not found", not "forbidden"."""
    credential_remove(
        user=user,
        credential=BoundCertificate.objects.filter(pk=certificate_id),
        not_found=_("找不到此憑證"),
        action="identity.certificate_unbound",
        changes=lambda bound: {"issuer": bound.issuer, "serial": bound.serial},
        ip_address=ip_address,
    )


def bound_certificates(user: User) -> list[BoundCertificate]:
    return list(BoundCertificate.objects.filter(user=user))


# ---- sign-in ----------------------------------------------------------------------------------------------------


def msg_not_bound() -> str:
    return _("此自然人憑證尚未上傳至任何帳號。請先以帳號密碼登入，於「我的專區 → 自然人憑證上傳」上傳憑證後再使用。")


def certificate_signin(*, challenge: str, signature: str, certificate: str = "", ip_address: str | None) -> User:
    """自然人憑證登入. Returns the account; the caller finishes with `sessions.signin_finish`."""
    _address_locked(ip_address)
    try:
        found = _checked(
            challenge=challenge, signature=signature, certificate=certificate, purpose=CertificateChallenge.SIGNIN
        )
        if not found.id_last4:
            raise IdentityError({"certificate": [_("此憑證不是自然人憑證，機關憑證請使用「機關憑證」登入")]})
        bound = (
            BoundCertificate.objects.select_related("user__person")
            .filter(issuer=found.issuer, serial=found.serial)
            .first()
        )
        if bound is None:
            raise IdentityError({"certificate": [msg_not_bound()]})
        user = bound.user
        # The registry may have changed since the binding (a new name); the card must still fit the person.
        problem = _person_mismatch(found, user)
        if not user.is_active or (user.person_id and not user.person.is_active):
            problem = _("帳號已停用")
        if problem:
            signin_record_failure(user=user, method=METHOD_MOICA, ip_address=ip_address)
            raise IdentityError({"certificate": [problem]})
    except IdentityError:
        _count_failure(ip_address)
        raise
    BoundCertificate.objects.filter(pk=bound.pk).update(last_used_at=clock.now())
    return user


def agency_certificate_signin(
    *, login_name: str, challenge: str, signature: str, certificate: str = "", ip_address: str | None
) -> User:
    """機關憑證登入 (GCA/XCA): the named account must be an HR officer of the agency the certificate names."""
    _address_locked(ip_address)
    try:
        if not (login_name or "").strip():
            raise IdentityError({"login": [_("請輸入身分證字號或自訂帳號")]})
        found = _checked(
            challenge=challenge,
            signature=signature,
            certificate=certificate,
            purpose=CertificateChallenge.AGENCY_SIGNIN,
        )
        if not found.agency_id:
            raise IdentityError({"certificate": [_("此憑證不是機關憑證（沒有機關代碼）")]})
        agency = Agency.objects.filter(code=found.agency_id).first()
        user = find_account(login_name)
        # One message for "no such account" and "not this agency's HR officer": the form does not tell which.
        if agency is None or user is None or not selectors.user_has_role(user, agency, AgencyRole.HR_OFFICER):
            if user is not None:
                signin_record_failure(user=user, method=METHOD_AGENCY_CERT, ip_address=ip_address)
            raise IdentityError({"certificate": [_("此帳號不是憑證所屬機關的人事人員，無法以此機關憑證登入")]})
    except IdentityError:
        _count_failure(ip_address)
        raise
    return user
