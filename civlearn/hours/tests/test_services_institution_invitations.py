"""An institution administrator adds staff who have no account yet: an account and a membership are made, the
invitation goes out by e-mail (real SMTP, text and HTML), and the invitee sets a password through identity's signed,
expiring, single-use link, then acts for the institution. Bad input and bad links change nothing."""

from __future__ import annotations

import re
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civlearn.core.models import AuditEvent
from civlearn.hours.institutions import selectors, services
from civlearn.hours.models import InstitutionMember
from civlearn.hours.tests.classes_fixtures import approved_institution
from civlearn.identity import invitations
from civlearn.identity import services as identity_services
from civlearn.identity.models import User

pytestmark = pytest.mark.django_db(transaction=True)

GOOD_PASSWORD = "Staff-2026!xyz"


@pytest.fixture
def admin(db):
    from conftest import PASSWORD

    return User.objects.create_user("tcadmin", PASSWORD, email="admin@example.org")


@pytest.fixture
def institution(admin):
    return approved_institution(admin)


def invite(actor, institution, **overrides) -> InstitutionMember:
    data = {"name": "陳承辦", "username": "tcstaff01", "email": "staff@example.org", "role": "staff"}
    data.update(overrides)
    return services.member_invite(actor=actor, institution=institution, **data)


def link_parts(message) -> tuple[str, str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    found = re.search(r"(https?://\S+/ecpa/invitation/([^/\s]+)/([^/\s]+))", text)
    assert found is not None, text
    return found.group(1), found.group(2), found.group(3)


def test_an_administrator_invites_staff_who_sets_a_password_and_acts_for_the_institution(
    admin, institution, smtp_server
):
    member = invite(admin, institution)

    (message,) = smtp_server.wait_for(1)
    assert message["To"] == "staff@example.org"
    assert message["Subject"].strip() == "終身學習入口網站 學習機關(構)人員帳號邀請"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "陳承辦 您好：" in text
    assert (
        "tcadmin 邀請您擔任「台中市立人文學苑」的承辦人員，於終身學習入口網站學習機關(構)專區辦理開班及學習時數業務。"
        in text
    )
    assert "您的帳號：tcstaff01" in text and "您的帳號：tcstaff01" in html
    link, uid, token = link_parts(message)
    assert f'href="{link}"' in html

    account = member.user
    assert (account.username, account.email, account.person_id) == ("tcstaff01", "staff@example.org", None)
    assert not account.has_usable_password()
    assert (member.role, member.name, member.display_name, member.invited) == ("staff", "陳承辦", "陳承辦", True)
    event = AuditEvent.objects.get(action="hours.institution_member_invite")
    assert (event.actor, event.subject_id) == (admin, str(member.pk))
    assert event.changes == {
        "institution": [None, institution.pk],
        "user": [None, account.pk],
        "role": [None, "staff"],
        "name": [None, "陳承辦"],
        "email": [None, "staff@example.org"],
    }

    invitations.invitation_accept(uidb64=uid, token=token, password=GOOD_PASSWORD)

    member.refresh_from_db()
    assert not member.invited
    signed_in = identity_services.signin_attempt(
        login="tcstaff01", password=GOOD_PASSWORD, ip_address=None, device_cookie=""
    ).user
    assert signed_in == account
    assert selectors.role_in(signed_in, institution) == "staff"
    # single use
    with pytest.raises(PermissionDenied, match="邀請連結無效、已使用或已逾期，請洽邀請您的人員重新寄送"):
        invitations.invitation_accept(uidb64=uid, token=token, password="Other-2026!xyz")
    assert User.objects.get(pk=account.pk).check_password(GOOD_PASSWORD)


def test_an_email_already_a_member_and_other_bad_input_are_refused_and_change_nothing(admin, institution, smtp_server):
    invite(admin, institution)
    smtp_server.wait_for(1)
    User.objects.create_user("taken01", "Taken-2026!xyz")
    before = (User.objects.count(), InstitutionMember.objects.count(), AuditEvent.objects.count())

    with pytest.raises(ValidationError) as caught:
        invite(admin, institution, username="tcstaff02", email="STAFF@example.org")
    assert caught.value.message_dict == {"email": ["STAFF@example.org 已是本機關(構)人員"]}

    with pytest.raises(ValidationError) as caught:
        invite(admin, institution, name=" ", username="Taken01", email="not-an-email", role="boss")
    assert caught.value.message_dict == {
        "name": ["請輸入姓名"],
        "username": ["此帳號已有人使用，請改用其他帳號"],
        "email": ["電子郵件格式不正確"],
        "role": ["請選擇角色"],
    }
    with pytest.raises(ValidationError) as caught:
        invite(admin, institution, email="admin@example.org", username="tcstaff03")
    assert caught.value.message_dict == {"email": ["admin@example.org 已是本機關(構)人員"]}

    assert (User.objects.count(), InstitutionMember.objects.count(), AuditEvent.objects.count()) == before
    time.sleep(0.2)
    assert len(smtp_server.messages) == 1


def test_only_the_institutions_administrator_or_an_operator_invites(admin, institution, learner, operator, smtp_server):
    staff = User.objects.create_user("tcstaff09", "Staff-2026!xyz", email="s9@example.org")
    InstitutionMember.objects.create(institution=institution, user=staff, role="staff", added_at=institution.created_at)
    users = User.objects.count()
    for actor in (learner, staff):
        with pytest.raises(PermissionDenied):
            invite(actor, institution)
    assert User.objects.count() == users

    member = invite(operator, institution, role="admin")
    smtp_server.wait_for(1)
    assert member.role == "admin"


def test_an_expired_link_is_refused_and_a_new_one_can_be_sent(admin, institution, smtp_server, settings):
    settings.PASSWORD_RESET_TIMEOUT = 1
    member = invite(admin, institution)
    _link, uid, token = link_parts(smtp_server.wait_for(1)[0])

    time.sleep(2.1)  # Django's token carries a timestamp in seconds

    with pytest.raises(PermissionDenied):
        invitations.invitation_accept(uidb64=uid, token=token, password=GOOD_PASSWORD)
    assert not User.objects.get(pk=member.user_id).has_usable_password()

    settings.PASSWORD_RESET_TIMEOUT = 3600
    services.member_invite_again(actor=admin, member=member)
    _link, uid, token = link_parts(smtp_server.wait_for(2)[1])
    invitations.invitation_accept(uidb64=uid, token=token, password=GOOD_PASSWORD)
    assert AuditEvent.objects.filter(action="hours.institution_member_invite_again", subject_id=str(member.pk)).exists()

    member.refresh_from_db()
    with pytest.raises(ValidationError, match="此人員已設定密碼，不需要再寄送邀請"):
        services.member_invite_again(actor=admin, member=member)


def test_removing_an_invited_member_withdraws_the_link(admin, institution, smtp_server):
    member = invite(admin, institution)
    _link, uid, token = link_parts(smtp_server.wait_for(1)[0])
    member_pk, account_pk = member.pk, member.user_id

    services.member_remove(actor=admin, member=member)

    assert invitations.invited_user(uid, token) is None
    with pytest.raises(PermissionDenied):
        invitations.invitation_accept(uidb64=uid, token=token, password=GOOD_PASSWORD)
    account = User.objects.get(pk=account_pk)
    assert not account.is_active and not account.has_usable_password()
    event = AuditEvent.objects.get(action="hours.institution_member_remove")
    assert (event.actor, event.subject_type, event.subject_id) == (admin, "hours.institutionmember", str(member_pk))
    assert event.changes == {
        "institution": [institution.pk, None],
        "user": [account_pk, None],
        "role": ["staff", None],
        "invitation": ["open", "withdrawn"],
    }
