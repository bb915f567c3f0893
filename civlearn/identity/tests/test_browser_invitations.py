"""An HR officer creates an uploader account in Chromium; the uploader opens the mailed link and sets a password."""

from __future__ import annotations

import re

import pytest

from civlearn.core.models import AuditEvent
from civlearn.identity.models import User
from civlearn.testing.browser import shoot, sign_in
from conftest import message_text

GOOD_PASSWORD = "Upload-2026!x"


@pytest.mark.browser
def test_hr_officer_invites_and_the_uploader_sets_a_password(
    transactional_db, page, live_server, smtp_server, settings, hr_officer, agency
):
    settings.SITE_URL = live_server.url
    sign_in(page, hr_officer, live_server.url)
    page.goto("/ecpa/my")
    page.get_by_role("link", name="上傳人員帳號").click()

    # a refused form: the summary takes focus, each field says why
    page.get_by_label("學習機關(構)代碼").fill("NOPE")
    page.get_by_label("帳號", exact=True).fill("tcuupload")
    page.get_by_label("電子郵件").fill("not-an-address")
    page.get_by_role("button", name="建立並寄送邀請").click()
    summary = page.locator("#error-summary")
    summary.wait_for()
    assert page.title().startswith("錯誤：")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert "查無機關(構)代碼 NOPE" in summary.inner_text()
    assert page.get_by_label("電子郵件").get_attribute("aria-invalid") == "true"
    assert not User.objects.filter(username="tcuupload").exists()

    page.get_by_label("學習機關(構)代碼").fill(agency.code)
    page.get_by_label("電子郵件").fill("upload@nutc.example.tw")
    shoot(page, "ops-uploaders-form-1280")
    page.get_by_role("button", name="建立並寄送邀請").click()
    page.get_by_text("已建立帳號 tcuupload，邀請信已寄至 upload@nutc.example.tw").wait_for()
    assert "邀請中" in page.locator("table.data").inner_text()
    shoot(page, "ops-uploaders-list-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "ops-uploaders-list-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    (message,) = smtp_server.wait_for(1)
    link = re.search(r"(https?://\S+/ecpa/invitation/\S+)", message_text(message)).group(1)
    page.context.clear_cookies()
    page.goto(link)
    page.get_by_text("您的帳號：").wait_for()
    shoot(page, "ops-invitation-accept-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_label("新密碼", exact=True).fill(GOOD_PASSWORD)
    page.get_by_label("確認新密碼").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="確定").click()
    page.get_by_text("密碼設定完成，請以帳號 tcuupload 及密碼登入").wait_for()
    assert User.objects.get(username="tcuupload").check_password(GOOD_PASSWORD)
    assert AuditEvent.objects.filter(action="identity.password_set", changes__via="invitation").count() == 1

    # the link is used up
    page.goto(link)
    page.get_by_text("邀請連結無效、已使用或已逾期").wait_for()


@pytest.mark.browser
def test_the_uploader_pages_in_english(transactional_db, browser, live_server, settings, hr_officer, agency):
    settings.SITE_URL = live_server.url
    context = browser.new_context(locale="en-US", base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, hr_officer, live_server.url)
        page.goto("/ecpa/my/uploaders")
        page.get_by_role("heading", name="Uploader accounts").wait_for()
        shoot(page, "ops-uploaders-en-390")
        main = page.locator("section[aria-labelledby=page-title]").inner_text()
        assert not re.search(r"[\u4e00-\u9fff]", main), main
        page.context.clear_cookies()
        page.goto("/ecpa/invitation/MQ/bad-token")
        page.get_by_text("This invitation link is not valid").wait_for()
        shoot(page, "ops-invitation-invalid-en-390")
    finally:
        context.close()
