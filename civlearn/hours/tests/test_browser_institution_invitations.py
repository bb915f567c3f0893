"""An institution administrator invites a staff member who has no account, in Chromium: a refused form first, then
the invitation (real SMTP), the invitee sets a password through the link, signs in and works in the institution's
area. zh-Hant and English at 390 and 1280 px, axe-core clean."""

from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings

from civlearn.hours.models import InstitutionMember
from civlearn.hours.tests.classes_fixtures import approved_institution
from civlearn.identity.models import User
from civlearn.testing.axe import assert_no_axe_violations
from civlearn.testing.browser import shoot, sign_in
from conftest import PASSWORD, message_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GOOD_PASSWORD = "Staff-2026!xyz"


@pytest.fixture
def admin(db):
    return User.objects.create_user("tcadmin", PASSWORD, email="admin@example.org")


def test_an_administrator_invites_staff_who_accepts_and_works(page, live_server, smtp_server, settings, admin):
    settings.SITE_URL = live_server.url
    institution = approved_institution(admin)
    sign_in(page, admin, live_server.url)
    page.goto(f"/lifelong/institutions/{institution.pk}/")

    # refused: the administrator's own e-mail is already a member's; nothing is made
    page.locator("#id_invite-name").fill("陳承辦")
    page.locator("#id_invite-username").fill("tcstaff01")
    page.locator("#id_invite-email").fill("admin@example.org")
    page.locator("#id_invite-role").select_option("staff")
    page.get_by_role("button", name="建立帳號並寄送邀請").click()
    summary = page.locator("#error-summary")
    summary.wait_for()
    assert "admin@example.org 已是本機關(構)人員" in summary.inner_text()
    assert not User.objects.filter(username="tcstaff01").exists()

    page.locator("#id_invite-email").fill("staff@example.org")
    page.get_by_role("button", name="建立帳號並寄送邀請").click()
    page.get_by_text("已新增人員 陳承辦，邀請信已寄至 staff@example.org").wait_for()
    assert "陳承辦（承辦人員） 邀請中，尚未設定密碼" in page.locator("#members + ul").inner_text()
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") == 0
        shoot(page, f"institution-invite-zh-hant-{width}")
        assert_no_axe_violations(page, f"學習機關(構)專區 with an invitation ({width} px)")

    (message,) = smtp_server.wait_for(1)
    link = re.search(r"(https?://\S+/ecpa/invitation/\S+)", message_text(message)).group(1)
    page.context.clear_cookies()
    page.goto(link)
    page.get_by_text("您的帳號：").wait_for()
    page.get_by_label("新密碼", exact=True).fill(GOOD_PASSWORD)
    page.get_by_label("確認新密碼").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="確定").click()
    page.get_by_text("密碼設定完成，請以帳號 tcstaff01 及密碼登入").wait_for()

    section = page.get_by_role("region", name="帳號密碼登入")
    section.get_by_label("帳號", exact=True).fill("tcstaff01")
    section.get_by_label("密碼", exact=True).fill(GOOD_PASSWORD)
    section.get_by_role("button", name="登入", exact=True).click()
    page.wait_for_load_state("load")
    page.goto(f"/lifelong/institutions/{institution.pk}/")
    page.get_by_role("heading", name="機關(構)人員").wait_for()
    assert "陳承辦（承辦人員）" in page.locator("#members + ul").inner_text()
    assert "邀請中" not in page.locator("#members + ul").inner_text()
    assert InstitutionMember.objects.get(user__username="tcstaff01").role == "staff"

    # the link is used up
    page.goto(link)
    page.get_by_text("邀請連結無效、已使用或已逾期，請洽邀請您的人員重新寄送").wait_for()


def test_the_invitation_form_in_english(page, live_server, admin):
    institution = approved_institution(admin)
    page.context.add_cookies([{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}])
    sign_in(page, admin, live_server.url)
    page.goto(f"/lifelong/institutions/{institution.pk}/")
    page.get_by_role("heading", name="Invite someone who has no account yet").wait_for()
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        shoot(page, f"institution-invite-en-{width}")
        assert_no_axe_violations(page, f"the institution's area in English ({width} px)")
