"""Manual steps 四 to 十一 in Chromium: first sign-in by e-mail, password rules, sign-in, My Area, custom account."""

import datetime as dt

import pytest

from civlearn.identity.models import User
from civlearn.identity.tests.mail import link_and_code
from civlearn.testing.browser import shoot
from conftest import make_person, message_text

GOOD_PASSWORD = "Taichung~2026"


def _password_signin(page, login, password):
    # The sign-in page has a section per method; the password one is 帳號密碼登入.
    section = page.get_by_role("region", name="帳號密碼登入")
    section.get_by_label("帳號", exact=True).fill(login)
    section.get_by_label("密碼", exact=True).fill(password)
    section.get_by_role("button", name="登入", exact=True).click()


@pytest.mark.browser
def test_first_signin_to_custom_account(transactional_db, page, live_server, smtp_server, settings, agency):
    # Given a person in the registry with no account yet
    settings.SITE_URL = live_server.url
    make_person(agency, "A223456781", "李新人", birthday=dt.date(1990, 5, 17), post_start_date=dt.date(2020, 9, 1))

    # 四: the sign-in page offers the first sign-in explanation
    page.goto("/ecpa/signin")
    shoot(page, "01-signin")
    page.get_by_role("link", name="首次登入說明").click()
    # 五: 設定 EMAIL 認證
    page.get_by_role("link", name="設定 EMAIL 認證").click()
    # 六: the four facts, ROC dates as in the manual
    page.get_by_label("身分證字號").fill("a223456781")
    page.get_by_label("生日").fill("0790517")
    page.get_by_label("任現職之實際到職日期").fill("1090901")
    page.get_by_label("Email").fill("li.xinren@example.tw")
    shoot(page, "02-first-signin")
    page.get_by_role("button", name="送出").click()
    page.get_by_text("若資料正確，認證信已寄出").wait_for()

    # 七: the message arrives at the real SMTP server; open its link and type the code
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "li.xinren@example.tw"
    link, code = link_and_code(message_text(message))
    assert "A223456781" not in link
    page.goto(link)
    page.get_by_label("認證碼").fill(code)
    shoot(page, "03-verify")
    page.get_by_role("button", name="確定").click()

    # 八: every rule refuses with the manual's own message on the page
    page.get_by_role("heading", name="重設密碼").wait_for()
    refused = {
        "Ab1!xyz": "密碼長度需8碼以上",
        "12345678!": "密碼須包含英文字母",
        "Abcdefgh!": "密碼須包含阿拉伯數字",
        "Abcdefgh1": "密碼須包含特殊符號",
        "Abcdefg1!%": "密碼請勿輸入下列特殊字元 % & + ' \" ? < > / \\",
        "Abcd efg1!": "密碼中請勿使用空白字元",
    }
    for password, expected in refused.items():
        page.get_by_label("新密碼", exact=True).fill(password)
        page.get_by_label("確認新密碼").fill(password)
        page.get_by_role("button", name="確定").click()
        assert page.locator("#id_password_error").inner_text() == expected
        assert page.get_by_label("新密碼", exact=True).get_attribute("aria-invalid") == "true"
        # Focus goes to the error summary, so a keyboard or screen-reader user starts at what to fix
        assert page.evaluate("document.activeElement.id") == "error-summary"
    shoot(page, "04-password-refused")
    assert not User.objects.exists()
    page.get_by_label("新密碼", exact=True).fill(GOOD_PASSWORD)
    page.get_by_label("確認新密碼").fill(GOOD_PASSWORD + "x")
    page.get_by_role("button", name="確定").click()
    assert page.locator("#id_password2_error").inner_text() == "確認新密碼與新密碼不一致"
    page.get_by_label("新密碼", exact=True).fill(GOOD_PASSWORD)
    page.get_by_label("確認新密碼").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="確定").click()

    # 九: sign in with national ID and password
    page.get_by_text("密碼設定完成，請以身分證字號（或自訂帳號）及密碼登入").wait_for()
    _password_signin(page, "A223456781", GOOD_PASSWORD)

    # 十: My Area shows agency, name and the masked ID; set the custom account
    page.locator(".ecpa-welcome").get_by_role("link", name="我的專區").click()  # 十: from 首頁 to 我的專區
    page.get_by_role("heading", name="個人資料修改").wait_for()
    header = page.locator(".my-header").inner_text()
    assert "國立臺中科技大學 李新人" in header
    assert "A22345****" in header
    assert "A223456781" not in page.content()
    page.get_by_label("自訂帳號").fill("A223456")
    page.get_by_role("button", name="儲存").click()
    assert page.locator("#id_username_error").inner_text() == "帳號請勿使用身分證字號格式如：A123456XXXX"
    page.get_by_label("自訂帳號").fill("LiXinren90")
    page.get_by_role("button", name="儲存").click()
    page.get_by_text("個人資料已儲存").wait_for()
    shoot(page, "05-my-area")
    assert User.objects.get().username == "LiXinren90"

    # 十一: sign out, then sign in again with the custom account
    page.get_by_role("button", name="登出").click()
    page.get_by_text("您已登出").wait_for()
    # ... this time with the keyboard only: type, Tab to the password, Enter submits
    page.get_by_role("region", name="帳號密碼登入").get_by_label("帳號", exact=True).focus()
    page.keyboard.type("lixinren90")
    page.keyboard.press("Tab")
    page.keyboard.type(GOOD_PASSWORD)
    page.keyboard.press("Enter")
    page.locator(".ecpa-welcome").get_by_role("link", name="我的專區").click()  # 十: from 首頁 to 我的專區
    page.get_by_role("heading", name="個人資料修改").wait_for()
    assert page.locator("#signin-count").inner_text() == "這是您第2次登入"
    assert page.get_by_label("自訂帳號").input_value() == "LiXinren90"
