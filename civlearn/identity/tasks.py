"""Background work of identity. With a broker, the first-sign-in page answers before any mail is sent, so its
response time does not tell whether the registry matched."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import translation


@shared_task(name="identity.send_verification_mail", ignore_result=True)
def send_verification_mail(verification_id: int, token: str, code: str, language: str | None = None) -> None:
    """Mail the link and code of one e-mail verification, in `language` (the page's; zh-Hant when not given).

    The token and code travel with the task because only their hashes are stored. Safe to run twice (the same
    message again); does nothing once the link is used, expired or replaced.
    """
    from civlearn.identity import services

    with translation.override(language or settings.LANGUAGE_CODE):
        services.verification_mail_send(verification_id=verification_id, token=token, code=code)


@shared_task(name="identity.send_email_changed_notice", ignore_result=True)
def send_email_changed_notice(old_email: str, masked_id: str, new_email: str, language: str | None = None) -> None:
    """Tell the previous address that the account's e-mail changed, in `language` (the page's; zh-Hant when not
    given). Running twice sends the notice twice."""
    from civlearn.identity import services

    with translation.override(language or settings.LANGUAGE_CODE):
        services.email_changed_notice_send(old_email=old_email, masked_id=masked_id, new_email=new_email)


@shared_task(name="identity.send_invitation_mail", ignore_result=True)
def send_invitation_mail(user_id: int, agency_id: int, inviter_id: int) -> None:
    """Mail an uploader's invitation with a fresh link. Does nothing once the account has a password; running twice
    sends two working links to the same address, either of which sets the password once."""
    from civlearn.identity import invitations

    invitations.invitation_mail_send(user_id=user_id, agency_id=agency_id, inviter_id=inviter_id)
