"""Uploader accounts: created by an operator or an HR officer, invited by e-mail (real SMTP) to set a password."""

from __future__ import annotations

import re
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civlearn.core.models import AuditEvent
from civlearn.identity import invitations, selectors, services
from civlearn.identity.models import AgencyRole, User

pytestmark = pytest.mark.django_db(transaction=True)

GOOD_PASSWORD = "Upload-2026!x"


def _link(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    found = re.search(r"(https?://\S+/ecpa/invitation/(\S+)/(\S+))", text)
    assert found is not None, text
    return found.group(1)


def _parts(link: str) -> tuple[str, str]:
    uid, token = link.rstrip("/").split("/")[-2:]
    return uid, token


def test_an_hr_officer_invites_an_uploader_who_sets_a_password_and_uploads(hr_officer, agency, smtp_server):
    user = invitations.uploader_invite(
        actor=hr_officer, agency_code=agency.code, username="tcuupload", email="upload@nutc.example.tw"
    )

    (message,) = smtp_server.wait_for(1)
    assert message["To"] == "upload@nutc.example.tw"
    assert message["Subject"].strip() == "人事服務網 eCPA 學習機關(構)上傳帳號邀請"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert (
        "林人事 已為您建立人事服務網 eCPA 帳號，供您以「國立臺中科技大學」名義於終身學習入口網站上傳學習時數。" in text
    )
    assert "您的帳號：tcuupload" in text and "您的帳號：tcuupload" in html
    link = _link(message)
    assert f'href="{link}"' in html
    assert not user.has_usable_password()
    assert list(AgencyRole.objects.filter(user=user).values_list("agency", "role", "include_subagencies")) == [
        (agency.pk, AgencyRole.PROVIDER, False)
    ]
    event = AuditEvent.objects.get(action="identity.uploader_invited")
    assert (event.actor, event.subject_id) == (hr_officer, str(user.pk))
    assert event.changes == {
        "username": [None, "tcuupload"],
        "email": [None, "upload@nutc.example.tw"],
        "agency": [None, agency.code],
    }

    uid, token = _parts(link)
    invitations.invitation_accept(uidb64=uid, token=token, password=GOOD_PASSWORD)

    user.refresh_from_db()
    assert user.check_password(GOOD_PASSWORD)
    assert services.signin_attempt(login="tcuupload", password=GOOD_PASSWORD, ip_address=None,
                                   device_cookie="").user == user  # fmt: skip
    assert list(selectors.agencies_managed_by(user, selectors.PROVIDER)) == [agency]
    # single use: the link no longer works
    assert invitations.invited_user(uid, token) is None
    with pytest.raises(PermissionDenied):
        invitations.invitation_accept(uidb64=uid, token=token, password="Other-2026!y")


def test_the_password_rules_of_ecpa_apply(hr_officer, agency, smtp_server):
    invitations.uploader_invite(actor=hr_officer, agency_code=agency.code, username="tcuupload", email="u@example.tw")
    uid, token = _parts(_link(smtp_server.wait_for(1)[0]))

    with pytest.raises(ValidationError) as caught:
        invitations.invitation_accept(uidb64=uid, token=token, password="abc")

    assert caught.value.message_dict["password"][0] == "密碼長度需8碼以上"
    user = User.objects.get(username="tcuupload")
    assert not user.has_usable_password()
    assert invitations.invited_user(uid, token) == user  # a refused password leaves the link usable


def test_bad_input_names_each_field_and_creates_nothing(hr_officer, agency, other_agency, smtp_server):
    User.objects.create_user("taken", "Taken-2026!xyz")
    users_before = User.objects.count()

    with pytest.raises(ValidationError) as caught:
        invitations.uploader_invite(actor=hr_officer, agency_code=other_agency.code, username="Taken", email="nope")

    assert caught.value.message_dict == {
        "agency_code": ["您不是機關(構) 379000000A 的人事人員，不能為其建立帳號"],
        "username": ["此帳號已有人使用，請改用其他帳號"],
        "email": ["電子郵件格式不正確"],
    }
    with pytest.raises(ValidationError) as caught:
        invitations.uploader_invite(actor=hr_officer, agency_code="NOPE", username="a", email="a@example.tw")
    assert caught.value.message_dict["agency_code"] == ["查無機關(構)代碼 NOPE"]
    assert User.objects.count() == users_before
    assert not AuditEvent.objects.filter(action="identity.uploader_invited").exists()
    assert smtp_server.messages == []


def test_a_learner_cannot_invite_and_an_operator_can_for_any_agency(learner, operator, other_agency, smtp_server):
    with pytest.raises(PermissionDenied):
        invitations.uploader_invite(actor=learner, agency_code=other_agency.code, username="x1", email="x@example.tw")
    assert not User.objects.filter(username="x1").exists()

    user = invitations.uploader_invite(
        actor=operator, agency_code=other_agency.code, username="tpeupload", email="t@example.tw"
    )
    smtp_server.wait_for(1)
    assert list(selectors.agencies_managed_by(user, selectors.PROVIDER)) == [other_agency]


def test_an_invitation_expires(hr_officer, agency, smtp_server, settings):
    settings.PASSWORD_RESET_TIMEOUT = 1
    invitations.uploader_invite(actor=hr_officer, agency_code=agency.code, username="tcuupload", email="u@example.tw")
    uid, token = _parts(_link(smtp_server.wait_for(1)[0]))

    time.sleep(2.1)  # Django's token carries a timestamp in seconds

    assert invitations.invited_user(uid, token) is None
    with pytest.raises(PermissionDenied):
        invitations.invitation_accept(uidb64=uid, token=token, password=GOOD_PASSWORD)


def test_invite_again_sends_a_new_link_until_a_password_is_set(hr_officer, other_hr_officer, agency, smtp_server):
    user = invitations.uploader_invite(
        actor=hr_officer, agency_code=agency.code, username="tcuupload", email="u@example.tw"
    )
    smtp_server.wait_for(1)

    with pytest.raises(PermissionDenied):
        invitations.uploader_invite_again(actor=other_hr_officer, user=user)
    invitations.uploader_invite_again(actor=hr_officer, user=user)

    second = smtp_server.wait_for(2)[1]
    uid, token = _parts(_link(second))
    invitations.invitation_accept(uidb64=uid, token=token, password=GOOD_PASSWORD)
    with pytest.raises(ValidationError) as caught:
        invitations.uploader_invite_again(actor=hr_officer, user=user)
    assert caught.value.messages == ["此帳號已設定密碼，不需要再寄送邀請"]
