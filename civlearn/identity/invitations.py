"""Accounts of institution uploaders (學習機關(構)上傳人員), created by an operator or an agency's HR officer and
invited by e-mail to set their own password; and the same invited account for the staff a learning institution's
administrator adds (hours/institutions/services.py `member_invite`: `invited_account_problems`,
`invited_account_create`, `invitation_link`), who accept on the same page.

An uploader is often not in the personnel registry (a university's training office, a contractor), so the account
is a 自訂帳號 with an e-mail address and a course-provider role (AgencyRole.PROVIDER) for one agency, which lets it
upload hours for that institution (hours/jobs.py `upload_institutions`). It starts without a usable password.

The invitation link carries Django's password-reset token (a distinct salt): signed with SECRET_KEY, expiring after
PASSWORD_RESET_TIMEOUT seconds, and used up as soon as a password is set (the token covers the password hash).
The password rules are eCPA's own (`passwords.password_problems`), as on every other password form.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from civlearn.core import clock
from civlearn.core.mail import mail_send
from civlearn.core.services import audit_record
from civlearn.identity import passwords
from civlearn.identity.accounts import account_name_problems
from civlearn.identity.models import AgencyRole, PasswordHistory, User
from civlearn.identity.selectors import agencies_managed_by
from civlearn.registry.models import Agency


class InvitationTokens(PasswordResetTokenGenerator):
    # Its own salt: a password-reset token is not an invitation and the other way round.
    key_salt = "civlearn.identity.invitations.InvitationTokens"


tokens = InvitationTokens()


def inviting_agencies(actor: User) -> QuerySet[Agency]:
    """The agencies `actor` may create uploader accounts for: operators any; HR officers the agencies they manage."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return Agency.objects.none()
    if actor.is_superuser:
        return Agency.objects.all()
    return agencies_managed_by(actor, AgencyRole.HR_OFFICER)


def may_invite(actor: User) -> bool:
    return inviting_agencies(actor).exists()


def uploaders_visible_to(actor: User) -> QuerySet[User]:
    """Uploader accounts (no registry person, a provider role) of the agencies `actor` may invite for."""
    agencies = inviting_agencies(actor)
    return (
        User.objects.filter(
            person__isnull=True, agency_roles__role=AgencyRole.PROVIDER, agency_roles__agency__in=agencies
        )
        .distinct()
        .prefetch_related("agency_roles__agency")
        .order_by("username")
    )


def invitation_link(user: User) -> str:
    """A fresh invitation address for an account without a password: signed, expiring, used up by the password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return settings.SITE_URL + reverse("identity:invitation_accept", args=[uid, tokens.make_token(user)])


def invitation_expires_text() -> str:
    """When a link made now stops working, as the e-mails say it."""
    return passwords.display_time(clock.now() + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT))


def invited_account_problems(*, username: str, email: str) -> dict[str, list[str]]:
    """What is wrong with the 自訂帳號 and e-mail of an account about to be invited, per field ({} when nothing)."""
    errors: dict[str, list[str]] = {}
    username_problems = account_name_problems(username)
    if not username_problems and User.objects.filter(username__iexact=username).exists():
        username_problems = [_("此帳號已有人使用，請改用其他帳號")]
    if username_problems:
        errors["username"] = username_problems
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("電子郵件格式不正確")]
    return errors


def invited_account_create(*, username: str, email: str) -> User:
    """An account with no registry person and no usable password yet, for input `invited_account_problems` passed.
    The caller holds the transaction, grants the account its role and records the audit event."""
    user = User(username=username, email=email, date_joined=clock.now())
    user.set_unusable_password()
    user.save()
    return user


def invitation_mail_send(*, user_id: int, agency_id: int, inviter_id: int) -> bool:
    """Mail the invitation of an account that has no password yet (a fresh link each time); False if it has one."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    agency = Agency.objects.filter(pk=agency_id).first()
    inviter = User.objects.filter(pk=inviter_id).first()
    if user is None or agency is None or inviter is None or user.has_usable_password():
        return False
    mail_send(
        template="identity/mail/invitation",
        subject=_("人事服務網 eCPA 學習機關(構)上傳帳號邀請"),
        to=[user.email],
        context={
            "username": user.username,
            "agency": agency.name,
            "inviter": inviter.display_name or inviter.get_username(),
            "link": invitation_link(user),
            "when": invitation_expires_text(),
        },
    )
    return True


def _send(user: User, agency: Agency, inviter: User) -> None:
    from civlearn.identity import tasks

    transaction.on_commit(lambda: tasks.send_invitation_mail.delay(user.pk, agency.pk, inviter.pk))


@transaction.atomic(durable=True)
def uploader_invite(*, actor: User, agency_code: str, username: str, email: str, ip_address: str | None = None) -> User:
    """Create an uploader account for an agency and mail its invitation. Raises PermissionDenied outside the actor's
    agencies and ValidationError({field: [message]}) for bad input; nothing is written then."""
    if not may_invite(actor):
        raise PermissionDenied(_("您沒有建立上傳人員帳號的權限"))
    errors: dict[str, list[str]] = {}
    agency_code, username, email = agency_code.strip(), username.strip(), email.strip()
    agency = Agency.objects.filter(code=agency_code).first() if agency_code else None
    if agency is None:
        errors["agency_code"] = [_("查無機關(構)代碼 %(code)s") % {"code": agency_code or "—"}]
    elif not inviting_agencies(actor).filter(pk=agency.pk).exists():
        errors["agency_code"] = [_("您不是機關(構) %(code)s 的人事人員，不能為其建立帳號") % {"code": agency_code}]
    errors.update(invited_account_problems(username=username, email=email))
    if errors:
        raise ValidationError(errors)
    assert agency is not None
    user = invited_account_create(username=username, email=email)
    AgencyRole.objects.create(user=user, agency=agency, role=AgencyRole.PROVIDER, include_subagencies=False)
    audit_record(
        actor=actor,
        action="identity.uploader_invited",
        subject=user,
        changes={"username": [None, username], "email": [None, email], "agency": [None, agency.code]},
        ip_address=ip_address,
    )
    _send(user, agency, actor)
    return user


@transaction.atomic(durable=True)
def uploader_invite_again(*, actor: User, user: User, ip_address: str | None = None) -> None:
    """Mail a new invitation to an uploader who has not set a password yet."""
    account = uploaders_visible_to(actor).filter(pk=user.pk).first()
    if account is None:
        raise PermissionDenied(_("您不能管理此帳號"))
    if account.has_usable_password():
        raise ValidationError(_("此帳號已設定密碼，不需要再寄送邀請"))
    role = account.agency_roles.filter(role=AgencyRole.PROVIDER).select_related("agency").first()
    if role is None:
        raise PermissionDenied(_("您不能管理此帳號"))
    audit_record(actor=actor, action="identity.uploader_invited_again", subject=account, ip_address=ip_address)
    _send(account, role.agency, actor)


def invited_account_withdraw(*, user: User) -> bool:
    """Switch off an invited account that never set a password and holds no agency role, so its link stops
    working (the caller, which took away the reason for the invitation, records the audit event). Returns whether
    it did."""
    if user.person_id is not None or user.has_usable_password() or not user.is_active or user.agency_roles.exists():
        return False
    user.is_active = False
    user.save(update_fields=["is_active"])
    return True


def invited_user(uidb64: str, token: str) -> User | None:
    """The account an invitation link is for, if the link is valid, unexpired and unused; None otherwise."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, OverflowError):
        return None
    user = User.objects.filter(pk=pk, is_active=True, person__isnull=True).first()
    if user is None or user.has_usable_password() or not tokens.check_token(user, token):
        return None
    return user


@transaction.atomic(durable=True)
def invitation_accept(*, uidb64: str, token: str, password: str, ip_address: str | None = None) -> User:
    """Set the invited account's first password (eCPA's rules). Raises ValidationError({"password": [...]}) for a
    refused password and PermissionDenied for a link that is not (or no longer) valid."""
    found = invited_user(uidb64, token)
    if found is None:
        raise PermissionDenied(_("邀請連結無效、已使用或已逾期，請洽邀請您的人員重新寄送"))
    user = User.objects.select_for_update().get(pk=found.pk)
    if user.has_usable_password():  # another request used the link first
        raise PermissionDenied(_("邀請連結無效、已使用或已逾期，請洽邀請您的人員重新寄送"))
    problems = passwords.password_problems(password, user=user)
    if problems:
        raise ValidationError({"password": problems})
    now = clock.now()
    user.set_password(password)
    user.password_changed_at = now
    user.save(update_fields=["password", "password_changed_at"])
    PasswordHistory.objects.create(user=user, password=user.password, created_at=now)
    audit_record(actor=user, action="identity.password_set", subject=user, changes={"via": "invitation"},
                 ip_address=ip_address)  # fmt: skip
    return user
