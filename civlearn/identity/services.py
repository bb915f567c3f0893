"""eCPA account operations (manual steps 四 to 十一). Views, the API and commands call these; each one checks its
own rules, writes in one transaction and records an audit event for every change to an account.

Errors are `IdentityError` with zh-Hant messages by form field ("__all__" for the form as a whole).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from civlearn.core import clock, national_id
from civlearn.core.generations import generation_renew
from civlearn.core.mail import mail_send
from civlearn.core.services import audit_record
from civlearn.identity import devices, passwords, tasks, throttle
from civlearn.identity.accounts import account_name_problems, phone_problems
from civlearn.identity.models import EmailVerification, PasswordHistory, SigninRecord, User
from civlearn.identity.selectors import SIGNIN_PAGE_GENERATION_KEY, find_account
from civlearn.registry.models import Person

logger = logging.getLogger(__name__)

ALL = "__all__"


class IdentityError(Exception):
    """A refused operation. `errors` maps a form field (or "__all__") to its messages."""

    def __init__(self, errors: dict[str, list[str]] | str, *, until: dt.datetime | None = None):
        self.errors = {ALL: [errors]} if isinstance(errors, str) else errors
        self.until = until
        super().__init__("; ".join(m for ms in self.errors.values() for m in ms))

    @property
    def messages(self) -> list[str]:
        return [m for ms in self.errors.values() for m in ms]


# ---- sign-in -------------------------------------------------------------------------------------------------


def signin_page_changed(**kwargs) -> None:
    """Something the sign-in page's shared fragments show changed: a new generation stamp, now and when the caller's
    transaction commits (a signal receiver: content's and sso's apps connect it to their models' saves and deletes)."""
    generation_renew(SIGNIN_PAGE_GENERATION_KEY)


@dataclass(frozen=True)
class SigninResult:
    user: User | None
    error: str = ""
    locked_until: dt.datetime | None = None
    password_expired: bool = False
    # After a success: the device cookie's new value (devices.py), for the caller to set.
    device_cookie: str = ""


def _msg_signin_failed() -> str:
    return _("帳號或密碼錯誤，請重新輸入")


def _msg_locked(until: dt.datetime) -> str:
    return _("登入失敗次數過多，已暫時鎖定，請於 %(when)s 後再試") % {"when": passwords.display_time(until)}


def _signin_key(login: str) -> str:
    # Upper-cased so that "a123456789" and "A123456789" (or two spellings of a custom account) share a counter.
    return national_id.normalize(login)


def signin_attempt(
    *,
    login: str,
    password: str,
    ip_address: str | None,
    device_cookie: str | None = None,
    method: str = SigninRecord.PASSWORD,
) -> SigninResult:
    """Check a national ID or 自訂帳號 and a password. Returns a SigninResult; the caller starts the session.

    The one place every password check goes through (the sign-in page, the admin login through the auth backend).
    A browser with a device cookie for the account (devices.py) is limited by its own device lock only; any other
    browser by the account lock, the sign-in name's lock and the address's limit. Locks are read before any hash.
    Unknown names get the same message and the same hashing work as a wrong password, and are locked the same way.
    """
    key = _signin_key(login)
    address = ip_address or "unknown"
    user = find_account(login) if key else None
    entries = devices.entries(device_cookie)
    nonce = devices.nonce_for(entries, user.pk) if user is not None else None
    if nonce is not None:
        checks = [("signin-device", nonce)]
    else:
        checks = [("signin-account", key), ("signin-address", address)]
        if user is not None:
            # The account's own lock, whichever of its names (national ID, 自訂帳號) was typed.
            checks.append(("signin-user", str(user.pk)))
    until = throttle.first_lock(checks)
    if until:
        return SigninResult(user=None, error=_msg_locked(until), locked_until=until)

    if user is None:
        # Same cost as a real check, so response time does not tell whether the account exists.
        make_password(password)
        ok = False
    else:
        ok = user.check_password(password) and user.is_active

    limits = {"minutes": settings.SIGNIN_LOCK_MINUTES}
    if not ok:
        if nonce is not None:
            _count, lock = throttle.count("signin-device", nonce, limit=settings.SIGNIN_MAX_FAILURES, **limits)
            account_lock = lock
        else:
            _count, name_lock = throttle.count("signin-account", key, limit=settings.SIGNIN_MAX_FAILURES, **limits)
            # Per address: slows down untrusted browsers only (a device cookie skips it), so a guesser behind an
            # agency's shared address does not lock its people out.
            _count, address_lock = throttle.count(
                "signin-address",
                address,
                limit=settings.SIGNIN_MAX_PER_ADDRESS,
                lock_minutes=settings.SIGNIN_ADDRESS_SLOWDOWN_MINUTES,
                **limits,
            )
            user_lock = None
            if user is not None:
                _count, user_lock = throttle.count(
                    "signin-user", str(user.pk), limit=settings.SIGNIN_MAX_FAILURES, **limits
                )
            account_lock = user_lock or name_lock
            lock = account_lock or address_lock
        if user is not None:
            with transaction.atomic():
                signin_record_failure(user=user, method=method, ip_address=ip_address)
                if account_lock:
                    audit_record(
                        actor=None,
                        action="identity.account_locked",
                        subject=user,
                        changes={
                            "locked_until": account_lock.isoformat(),
                            "reason": "signin_failures",
                            "trusted_device": nonce is not None,
                        },
                        ip_address=ip_address,
                    )
        if lock:
            return SigninResult(user=None, error=_msg_locked(lock), locked_until=lock)
        return SigninResult(user=None, error=_msg_signin_failed())

    # The counters forgotten and the sign-in recorded in one transaction.
    with transaction.atomic():
        if nonce is not None:
            throttle.clear([("signin-device", nonce)], **limits)
        else:
            throttle.clear([("signin-account", key), ("signin-user", str(user.pk))], **limits)
        signin_record_success(user=user, method=method, ip_address=ip_address)
    return SigninResult(
        user=user,
        password_expired=passwords.password_expired(user),
        device_cookie=devices.cookie_after_signin(entries, user.pk),
    )


def signin_record_success(*, user: User, method: str, ip_address: str | None, details: dict | None = None) -> None:
    """The one record of a successful sign-in, whatever the method: the counters, the 登入資訊 record and the audit
    event, in one transaction (the caller's, when it has one). `user` then holds the new values: `last_login` (the
    one write of it: identity.apps disconnects Django's second one at login()), `last_signin_ip`, and `signin_count`
    read from the row when next used."""
    now = clock.now()
    # No savepoint inside a caller's transaction: nothing here is caught and retried, the caller's rolls back whole.
    with transaction.atomic(savepoint=False):
        User.objects.filter(pk=user.pk).update(
            signin_count=F("signin_count") + 1, last_login=now, last_signin_ip=ip_address
        )
        SigninRecord.objects.create(user=user, at=now, ip_address=ip_address, method=method, success=True)
        audit_record(
            actor=user,
            action="identity.signed_in",
            subject=user,
            changes={"method": method, **(details or {})},
            ip_address=ip_address,
        )
    user.last_login, user.last_signin_ip = now, ip_address
    # The count was raised in the row (F(), so concurrent sign-ins each count); a deleted field is loaded again from
    # the database when next read (Django's documented deferred loading), and most sign-ins never read it.
    del user.signin_count


def account_for_person(*, person: Person, email: str, via: str, ip_address: str | None) -> User:
    """The account of a registry person, locked for the caller's transaction; created (no password, signs in
    through `via` until one is set) when the person has none. Must run inside the caller's transaction."""
    user = User.objects.select_for_update().filter(person=person).first()
    if user is None:
        user = User.objects.create_user(person=person, email=email)
        audit_record(
            actor=None,
            action="identity.account_created",
            subject=user,
            changes={"email": [None, email], "via": via},
            ip_address=ip_address,
        )
    return user


def signin_record_failure(*, user: User, method: str, ip_address: str | None) -> None:
    """The 登入資訊 record of a failed sign-in to a known account, whatever the method."""
    SigninRecord.objects.create(user=user, at=clock.now(), ip_address=ip_address, method=method, success=False)


def credential_remove(
    *,
    user: User,
    credential: QuerySet,
    not_found: str,
    action: str,
    changes: Callable[[Any], dict],
    ip_address: str | None,
) -> None:
    """The one way a sign-in credential of the account (a bound certificate, a passkey) is removed: locked, audited
    and deleted in one transaction. `credential` is the credential's queryset filtered to the one to remove; one
    that is not the account's own (someone else's, or gone) is `not_found`, never "forbidden"."""
    with transaction.atomic():
        found = credential.select_for_update().filter(user=user).first()
        if found is None:
            raise IdentityError(not_found)
        audit_record(actor=user, action=action, subject=user, changes=changes(found), ip_address=ip_address)
        found.delete()


# ---- e-mail verification (first sign-in and forgotten password) -----------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _code_hash(token_hash: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{token_hash}:{code}".encode(), hashlib.sha256).hexdigest()


def _msg_too_many_requests(until: dt.datetime) -> str:
    return _("申請次數過多，請於 %(when)s 後再試") % {"when": passwords.display_time(until)}


def msg_request_accepted() -> str:
    return _(
        "若資料正確，認證信已寄出至您填寫的電子信箱，請於%(minutes)s分鐘內收信，點選信中連結並輸入認證碼。"
        "若未收到，請檢查垃圾郵件匣，或逕洽單位人事確認人事資料。"
    ) % {"minutes": settings.FIRST_SIGNIN_CODE_TTL_MINUTES}


def _throttle_request(nid: str, ip_address: str | None) -> None:
    """Per national ID and per address, before any registry query."""
    checks = (
        ("verify-id", nid, settings.FIRST_SIGNIN_MAX_PER_ID),
        ("verify-address", ip_address or "unknown", settings.FIRST_SIGNIN_MAX_PER_ADDRESS),
    )
    until = throttle.first_lock([(scope, value) for scope, value, _limit in checks])
    if until:
        raise IdentityError(_msg_too_many_requests(until), until=until)
    for scope, value, limit in checks:
        throttle.count(scope, value, limit=limit, minutes=60)


def _clean_email(email: str) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise IdentityError({"email": [_("電子郵件格式不正確")]}) from None
    return email


def _clean_national_id(value: str) -> str:
    try:
        return national_id.validate(value)
    except national_id.InvalidNationalId as exc:
        raise IdentityError({"national_id": [str(exc)]}) from None


def _start_verification(*, purpose: str, person: Person, email: str, ip_address: str | None) -> None:
    token = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(10**6):06d}"
    now = clock.now()
    token_hash = _token_hash(token)
    with transaction.atomic():
        # Only the newest message works: an older link someone else may have seen stops working.
        EmailVerification.objects.filter(person=person, purpose=purpose, used_at__isnull=True).update(expires_at=now)
        verification = EmailVerification.objects.create(
            purpose=purpose,
            person=person,
            email=email,
            token_hash=token_hash,
            code_hash=_code_hash(token_hash, code),
            created_at=now,
            expires_at=now + dt.timedelta(minutes=settings.FIRST_SIGNIN_CODE_TTL_MINUTES),
            ip_address=ip_address,
        )
        # The message goes out after commit, from a task when a broker is configured (in-process otherwise), in the
        # language the person is reading the page in.
        language = translation.get_language()
        transaction.on_commit(lambda: tasks.send_verification_mail.delay(verification.pk, token, code, language))


def verification_mail_send(*, verification_id: int, token: str, code: str) -> bool:
    """Send the message of a verification that can still be used; False (and nothing sent) otherwise."""
    verification = EmailVerification.objects.filter(pk=verification_id).first()
    if verification_problem(verification) or not hmac.compare_digest(_token_hash(token), verification.token_hash):
        return False
    link = settings.SITE_URL + reverse("identity:verify", args=[token])
    mail_send(
        template="identity/mail/verification",
        subject=_("人事服務網 eCPA 電子郵件認證"),
        to=[verification.email],
        context={"link": link, "code": code, "when": passwords.display_time(verification.expires_at)},
    )
    return True


def _national_id(user: User) -> str:
    return user.person.national_id if user.person_id else ""


def email_changed_notice_send(*, old_email: str, masked_id: str, new_email: str) -> None:
    mail_send(
        template="identity/mail/email_changed",
        subject=_("人事服務網 eCPA 電子郵件已變更"),
        to=[old_email],
        context={"account": masked_id or "-", "new": new_email},
    )


def first_signin_request(
    *, national_id_value: str, birthday: dt.date, post_start_date: dt.date, email: str, ip_address: str | None
) -> str:
    """Manual step 六: when the four facts match an active registry person, mail a link and a code.

    Returns the one message shown whether or not they matched, so the form never tells which field was wrong.
    """
    nid = _clean_national_id(national_id_value)
    email = _clean_email(email)
    _throttle_request(nid, ip_address)
    person = Person.objects.filter(
        national_id=nid, birthday=birthday, post_start_date=post_start_date, is_active=True
    ).first()
    if person is not None:
        _start_verification(purpose=EmailVerification.FIRST_SIGNIN, person=person, email=email, ip_address=ip_address)
    else:
        logger.info("first sign-in request without a registry match from %s", ip_address)
    return msg_request_accepted()


def password_reset_request(*, national_id_value: str, birthday: dt.date, email: str, ip_address: str | None) -> str:
    """忘記密碼: national ID + birthday + the e-mail on the account → a link and a code to that address."""
    nid = _clean_national_id(national_id_value)
    email = _clean_email(email)
    _throttle_request(nid, ip_address)
    user = (
        User.objects.select_related("person")
        .filter(person__national_id=nid, person__birthday=birthday, person__is_active=True, is_active=True)
        .first()
    )
    if user is not None and user.email and user.email.lower() == email.lower():
        _start_verification(
            purpose=EmailVerification.RESET, person=user.person, email=user.email, ip_address=ip_address
        )
    return msg_request_accepted()


def _msg_link_invalid() -> str:
    return _("認證連結無效，請重新申請認證信")


def _msg_used() -> str:
    return _("此認證連結已使用過，請重新申請認證信")


def _msg_expired() -> str:
    return _("認證碼已逾期，請重新申請認證信")


def _msg_too_many_codes() -> str:
    return _("認證碼錯誤次數過多，請重新申請認證信")


def verification_problem(verification: EmailVerification | None, *, verified_ok: bool = False) -> str:
    """Why this link cannot be used now, or "" when it can."""
    if verification is None:
        return _msg_link_invalid()
    if verification.used_at or (verification.verified_at and not verified_ok):
        return _msg_used()
    if clock.now() >= verification.expires_at:
        return _msg_expired()
    if verification.failed_attempts >= settings.FIRST_SIGNIN_MAX_CODE_ATTEMPTS:
        return _msg_too_many_codes()
    return ""


def verification_by_token(token: str) -> EmailVerification | None:
    return EmailVerification.objects.select_related("person").filter(token_hash=_token_hash(token or "")).first()


def first_signin_verify(*, token: str, code: str, ip_address: str | None) -> EmailVerification:
    """Manual step 七: the code from the message confirms the address. Single use; wrong codes are counted."""
    verification = verification_by_token(token)
    problem = verification_problem(verification)
    if problem:
        raise IdentityError(problem)
    code = (code or "").strip()
    if not hmac.compare_digest(_code_hash(verification.token_hash, code), verification.code_hash):
        EmailVerification.objects.filter(pk=verification.pk).update(failed_attempts=F("failed_attempts") + 1)
        verification.refresh_from_db()
        if verification.failed_attempts >= settings.FIRST_SIGNIN_MAX_CODE_ATTEMPTS:
            raise IdentityError(_msg_too_many_codes())
        left = settings.FIRST_SIGNIN_MAX_CODE_ATTEMPTS - verification.failed_attempts
        raise IdentityError({"code": [_("認證碼不正確（尚可再試 %(left)s 次）") % {"left": left}]})
    now = clock.now()
    with transaction.atomic():
        # Conditional update: two tabs submitting the same code cannot both verify.
        claimed = EmailVerification.objects.filter(pk=verification.pk, verified_at__isnull=True).update(verified_at=now)
        if not claimed:
            raise IdentityError(_msg_used())
        account = User.objects.filter(person=verification.person).first()
        audit_record(
            actor=account,
            action="identity.email_verified",
            subject=account or verification.person,
            changes={"purpose": verification.purpose, "email": verification.email},
            ip_address=ip_address,
        )
    verification.verified_at = now
    return verification


def _remember_password(user: User, now: dt.datetime) -> None:
    PasswordHistory.objects.create(user=user, password=user.password, created_at=now)
    keep = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[: settings.PASSWORD_HISTORY]
    PasswordHistory.objects.filter(user=user).exclude(pk__in=list(keep)).delete()


def _policy_errors(user: User | None, password: str, field_name: str) -> dict[str, list[str]]:
    problems = passwords.password_problems(password, user=user)
    allowed_at = passwords.change_allowed_at(user) if user is not None else None
    if allowed_at:
        problems.append(passwords.msg_min_age(allowed_at))
    return {field_name: problems} if problems else {}


def password_set(*, verification_id: int, password: str, ip_address: str | None) -> User:
    """Manual step 八 after a verified e-mail: create the account or reset its password; the verified address
    becomes the account's e-mail. The link is used up."""
    with transaction.atomic():
        verification = (
            EmailVerification.objects.select_for_update().select_related("person").filter(pk=verification_id).first()
        )
        problem = verification_problem(verification, verified_ok=True)
        if not problem and verification.verified_at is None:
            problem = _msg_link_invalid()
        if problem:
            raise IdentityError(problem)
        person = verification.person
        user = User.objects.select_for_update().filter(person=person).first()
        errors = _policy_errors(user, password, "password")
        if errors:
            raise IdentityError(errors)
        now = clock.now()
        created = user is None
        if created:
            user = User(person=person, email=verification.email, date_joined=now)
            user.set_password(password)
            user.password_changed_at = now
            user.save()
            audit_record(
                actor=user,
                action="identity.account_created",
                subject=user,
                changes={"email": [None, user.email], "via": verification.purpose},
                ip_address=ip_address,
            )
        else:
            old_email = user.email
            user.set_password(password)
            user.password_changed_at = now
            user.email = verification.email
            user.save()
            if old_email != user.email:
                audit_record(
                    actor=user,
                    action="identity.email_changed",
                    subject=user,
                    changes={"email": [old_email, user.email]},
                    ip_address=ip_address,
                )
        _remember_password(user, now)
        audit_record(
            actor=user,
            action="identity.password_reset" if not created else "identity.password_set",
            subject=user,
            changes={"via": verification.purpose},
            ip_address=ip_address,
        )
        verification.used_at = now
        verification.save(update_fields=["used_at"])
    return user


def password_change(
    *, user: User, old_password: str, new_password: str, ip_address: str | None, forced: bool = False
) -> User:
    """修改密碼 (and the forced change after 180 days): old password, then the whole policy."""
    until = throttle.locked_until("password-change", str(user.pk))
    if until:
        raise IdentityError({"old_password": [_msg_locked(until)]}, until=until)
    if not user.check_password(old_password):
        _count, lock = throttle.count(
            "password-change", str(user.pk), limit=settings.SIGNIN_MAX_FAILURES, minutes=settings.SIGNIN_LOCK_MINUTES
        )
        if lock:
            raise IdentityError({"old_password": [_msg_locked(lock)]}, until=lock)
        raise IdentityError({"old_password": [_("舊密碼不正確")]})
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        errors = _policy_errors(locked, new_password, "new_password")
        if errors:
            raise IdentityError(errors)
        now = clock.now()
        locked.set_password(new_password)
        locked.password_changed_at = now
        locked.save(update_fields=["password", "password_changed_at"])
        _remember_password(locked, now)
        audit_record(
            actor=locked,
            action="identity.password_changed",
            subject=locked,
            changes={"forced": forced},
            ip_address=ip_address,
        )
    user.password = locked.password
    user.password_changed_at = locked.password_changed_at
    return user


# ---- My Area ---------------------------------------------------------------------------------------------------


def _username_errors(user: User, username: str) -> list[str]:
    problems = account_name_problems(username)
    if not problems and User.objects.filter(username__iexact=username).exclude(pk=user.pk).exists():
        problems.append(_("此帳號已有人使用，請改用其他帳號"))
    return problems


def account_name_set(*, user: User, username: str, ip_address: str | None) -> User:
    """自訂帳號 (manual step 十): half-width letters and digits, not ID-shaped, unique whatever the case."""
    return profile_update(user=user, username=username, email=user.email, phone=user.phone, ip_address=ip_address)


def profile_update(*, user: User, username: str, email: str, phone: str, ip_address: str | None) -> User:
    """個人資料修改: 自訂帳號, 電子郵件, 個人電話 saved together or not at all."""
    username = (username or "").strip()
    email = (email or "").strip()
    phone = (phone or "").strip()
    errors: dict[str, list[str]] = {}
    new_username: str | None = username or None
    if new_username is None:
        if user.username and not user.person_id:
            # An account with no registry person signs in only with its 自訂帳號.
            errors["username"] = [_("請輸入自訂帳號")]
    elif new_username != user.username:
        problems = _username_errors(user, new_username)
        if problems:
            errors["username"] = problems
    if not email:
        errors["email"] = [_("請輸入電子郵件")]
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("電子郵件格式不正確")]
    problems = phone_problems(phone)
    if problems:
        errors["phone"] = problems
    if errors:
        raise IdentityError(errors)

    actions = {
        "username": "identity.account_name_changed",
        "email": "identity.email_changed",
        "phone": "identity.phone_changed",
    }
    new_values = {"username": new_username, "email": email, "phone": phone}
    try:
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            changed = [name for name, value in new_values.items() if getattr(locked, name) != value]
            for name in changed:
                audit_record(
                    actor=user,
                    action=actions[name],
                    subject=locked,
                    changes={name: [getattr(locked, name), new_values[name]]},
                    ip_address=ip_address,
                )
                setattr(locked, name, new_values[name])
            if changed:
                locked.save(update_fields=changed)
            if "email" in changed and user.email:
                # The address is what a forgotten password is sent to: tell the old one, so a change made from a
                # session someone else took over does not go unnoticed.
                old_email, new_email = user.email, email
                language = translation.get_language()
                transaction.on_commit(
                    lambda: tasks.send_email_changed_notice.delay(
                        old_email, national_id.mask(_national_id(user)), new_email, language
                    )
                )
    except IntegrityError:
        # Someone took the same name between the check and the write.
        raise IdentityError({"username": [_("此帳號已有人使用，請改用其他帳號")]}) from None
    for name, value in new_values.items():
        setattr(user, name, value)
    return user
