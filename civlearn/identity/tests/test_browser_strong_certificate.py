"""自然人憑證上傳 and 自然人憑證登入 in Chromium, through the stand-in signing component running as its own process."""

import subprocess
import sys
from pathlib import Path

import pytest

from civlearn.identity.models import BoundCertificate, SigninRecord
from civlearn.identity.tests import strong_pki
from civlearn.testing.browser import shoot
from conftest import PASSWORD

pki = strong_pki.pki
trust = strong_pki.trust

STANDIN = Path(__file__).resolve().parents[3] / "tools" / "signer_standin.py"


@pytest.fixture
def signer(tmp_path, settings):
    """Start the stand-in component with a card's PKCS#12; point the pages at it. Yields a function to start it."""
    processes = []

    def start(card):
        p12 = tmp_path / f"card-{len(processes)}.p12"
        p12.write_bytes(card.pkcs12(strong_pki.PIN))
        process = subprocess.Popen(
            [sys.executable, str(STANDIN), "--p12", str(p12), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        processes.append(process)
        line = process.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:"), line
        settings.CERT_SIGNER_URL = line.removeprefix("listening on ")
        return settings.CERT_SIGNER_URL

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=5)


def _password_signin(page, login, password):
    section = page.get_by_role("region", name="帳號密碼登入")
    section.get_by_label("帳號", exact=True).fill(login)
    section.get_by_label("密碼", exact=True).fill(password)
    section.get_by_role("button", name="登入", exact=True).click()


@pytest.mark.browser
def test_bind_a_citizen_certificate_then_sign_in_with_it(transactional_db, page, learner, trust, signer):
    # Given 王小明's card in the stand-in component
    card = trust.pki.citizen_card(name="王小明", last4="6789")
    signer(card)

    # When he signs in with his password and opens 我的專區 → 自然人憑證上傳
    page.goto("/ecpa/signin")
    _password_signin(page, "A123456789", PASSWORD)
    page.locator(".ecpa-welcome").get_by_role("link", name="我的專區").click()  # 十: from 首頁 to 我的專區
    page.get_by_role("link", name="自然人憑證上傳").click()
    page.get_by_role("cell", name="尚未上傳自然人憑證").wait_for()

    # A wrong PIN is refused by the component, and nothing is bound
    page.get_by_label("請輸入PinCode").fill("000000")
    page.get_by_role("button", name="讀取憑證並上傳").click()
    page.get_by_text("憑證元件回報錯誤：PIN 碼錯誤").wait_for()
    assert BoundCertificate.objects.count() == 0

    # With the right PIN the card signs the challenge and is bound
    page.get_by_label("請輸入PinCode").fill(strong_pki.PIN)
    shoot(page, "strong-01-bind")
    page.get_by_role("button", name="讀取憑證並上傳").click()
    page.get_by_text("自然人憑證已上傳，之後可使用此憑證登入").wait_for()
    bound = BoundCertificate.objects.get()
    row = page.get_by_role("row").filter(has_text=bound.serial_display)
    assert "內政部憑證管理中心 測試" in row.inner_text()
    shoot(page, "strong-02-bound")
    assert (bound.user_id, bound.serial) == (learner.pk, card.serial_hex)

    # Then, signed out, he signs in with the card alone
    page.get_by_role("button", name="登出").click()
    page.get_by_text("您已登出").wait_for()
    page.goto("/ecpa/signin")
    section = page.get_by_role("region", name="自然人憑證", exact=True)
    section.get_by_label("請輸入PinCode").fill(strong_pki.PIN)
    shoot(page, "strong-03-signin")
    section.get_by_role("button", name="登入", exact=True).click()
    # 首頁, then 我的專區
    page.locator(".ecpa-welcome").get_by_role("link", name="我的專區").click()
    page.get_by_role("heading", name="個人資料修改").wait_for()
    page.get_by_text("自然人憑證登入").first.wait_for()
    record = SigninRecord.objects.filter(user=learner).first()
    assert (record.method, record.success) == ("moica", True)
    # The PIN never reached the server: the form posted only the challenge and the signature
    shoot(page, "strong-04-my-area")


@pytest.mark.browser
def test_certificate_signin_with_an_unbound_card_explains_what_to_do(transactional_db, page, learner, trust, signer):
    signer(trust.pki.citizen_card())
    page.goto("/ecpa/signin")
    section = page.get_by_role("region", name="自然人憑證", exact=True)
    section.get_by_label("請輸入PinCode").fill(strong_pki.PIN)
    section.get_by_role("button", name="登入", exact=True).click()
    page.get_by_role("alert").filter(has_text="此自然人憑證尚未上傳至任何帳號").wait_for()
    shoot(page, "strong-05-unbound")
    assert not SigninRecord.objects.exists()


@pytest.mark.browser
def test_certificate_signin_without_the_component_says_so(transactional_db, page, trust, settings):
    # Nothing listens on this port
    settings.CERT_SIGNER_URL = "http://127.0.0.1:9"
    page.goto("/ecpa/signin")
    section = page.get_by_role("region", name="自然人憑證", exact=True)
    section.get_by_role("button", name="登入", exact=True).click()
    section.get_by_text("請輸入PinCode", exact=True).last.wait_for()
    section.get_by_label("請輸入PinCode").fill("123456")
    section.get_by_role("button", name="登入", exact=True).click()
    section.get_by_text("無法連線至憑證元件").wait_for()
