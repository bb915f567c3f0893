"""Passkeys in Chromium with its DevTools virtual authenticator: add one in My Area, sign in with it, manage it."""

from urllib.parse import urlsplit

import pytest

from civlearn.core.models import AuditEvent
from civlearn.identity.models import Passkey, SigninRecord
from civlearn.testing.browser import shoot
from conftest import PASSWORD


@pytest.fixture
def authenticator(page, live_server, settings):
    """A platform authenticator with user verification, on a page opened at http://localhost (a secure context)."""
    port = urlsplit(live_server.url).port
    settings.WEBAUTHN_RP_ID = "localhost"
    settings.WEBAUTHN_ORIGINS = [f"http://localhost:{port}"]
    page.goto(f"http://localhost:{port}/ecpa/signin")
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"], f"http://localhost:{port}"


def _password_signin(page, login, password):
    section = page.get_by_role("region", name="帳號密碼登入")
    section.get_by_label("帳號", exact=True).fill(login)
    section.get_by_label("密碼", exact=True).fill(password)
    section.get_by_role("button", name="登入", exact=True).click()


@pytest.mark.browser
def test_add_a_passkey_then_sign_in_with_it_rename_and_remove(transactional_db, page, learner, authenticator):
    cdp, authenticator_id, origin = authenticator
    # Given the learner signed in with the password, on 我的專區 → 通行金鑰
    _password_signin(page, "A123456789", PASSWORD)
    page.locator(".ecpa-welcome").get_by_role("link", name="我的專區").click()  # 十: from 首頁 to 我的專區
    page.get_by_role("link", name="通行金鑰").click()
    page.get_by_role("cell", name="尚未設定通行金鑰").wait_for()

    # Adding one asks for the password again; a wrong one is refused
    page.get_by_label("密碼", exact=True).fill("Wrong!pass1")
    page.get_by_role("button", name="確認密碼").click()
    page.get_by_text("密碼不正確").first.wait_for()
    page.get_by_label("密碼", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="確認密碼").click()

    # When he names it and creates it with the (virtual) authenticator
    page.get_by_label("通行金鑰名稱").fill("辦公室電腦")
    shoot(page, "passkey-01-add")
    page.get_by_role("button", name="建立通行金鑰").click()
    page.get_by_text("已新增通行金鑰「辦公室電腦」").wait_for()
    shoot(page, "passkey-02-added")

    # Then it is listed, kept as a discoverable credential on the authenticator, and audited
    passkey = Passkey.objects.get(user=learner)
    assert passkey.name == "辦公室電腦"
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    assert [c["isResidentCredential"] for c in credentials] == [True]
    assert AuditEvent.objects.filter(action="identity.passkey_added", actor=learner).count() == 1

    # Signed out, he signs in with the passkey alone: no account name, no password
    page.get_by_role("button", name="登出").click()
    page.get_by_text("您已登出").wait_for()
    page.goto(f"{origin}/ecpa/signin")
    shoot(page, "passkey-03-signin")
    page.get_by_role("button", name="以通行金鑰登入").click()
    page.locator(".ecpa-welcome").get_by_role("link", name="我的專區").click()  # 十: from 首頁 to 我的專區
    page.get_by_role("heading", name="個人資料修改").wait_for()
    page.get_by_text("通行金鑰登入").first.wait_for()
    record = SigninRecord.objects.filter(user=learner).first()
    assert (record.method, record.success) == ("passkey", True)
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None

    # Rename, then remove it
    page.get_by_role("link", name="通行金鑰").click()
    page.get_by_label("「辦公室電腦」的新名稱").fill("我的筆電")
    page.get_by_role("button", name="更名").click()
    page.get_by_text("名稱已更新").wait_for()
    assert Passkey.objects.get(user=learner).name == "我的筆電"
    shoot(page, "passkey-04-renamed")
    page.get_by_role("button", name="移除「我的筆電」").click()
    page.get_by_text("已移除此通行金鑰").wait_for()
    assert not Passkey.objects.filter(user=learner).exists()
    actions = list(AuditEvent.objects.filter(action__startswith="identity.passkey_").values_list("action", flat=True))
    assert sorted(actions) == ["identity.passkey_added", "identity.passkey_removed", "identity.passkey_renamed"]


@pytest.mark.browser
def test_passkey_signin_with_a_removed_passkey_is_refused(transactional_db, page, learner, authenticator):
    _cdp, _authenticator_id, origin = authenticator
    _password_signin(page, "A123456789", PASSWORD)
    page.locator(".ecpa-welcome").get_by_role("link", name="我的專區").click()  # 十: from 首頁 to 我的專區
    page.get_by_role("link", name="通行金鑰").click()
    page.get_by_label("密碼", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="確認密碼").click()
    page.get_by_role("button", name="建立通行金鑰").click()
    page.get_by_text("已新增通行金鑰「通行金鑰 1」").wait_for()
    # The server forgets it, the authenticator still offers it
    Passkey.objects.all().delete()
    page.get_by_role("button", name="登出").click()
    page.get_by_text("您已登出").wait_for()
    page.goto(f"{origin}/ecpa/signin")
    page.get_by_role("button", name="以通行金鑰登入").click()
    page.get_by_role("alert").filter(has_text="通行金鑰登入失敗").wait_for()
    shoot(page, "passkey-05-refused")
    assert not SigninRecord.objects.filter(method="passkey").exists()
