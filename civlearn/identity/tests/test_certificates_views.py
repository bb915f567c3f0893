"""Certificate screens over HTTP: the sign-in page sections, the challenge endpoint, sign-in and 自然人憑證上傳."""

import pytest

from civlearn.identity.models import BoundCertificate, CertificateChallenge, SigninRecord
from civlearn.identity.tests import strong_pki

pki = strong_pki.pki
trust = strong_pki.trust


def _challenge(client, url="/ecpa/signin/certificate/challenge", purpose="signin"):
    response = client.post(url, {"purpose": purpose})
    assert response.status_code == 200
    return response.json()["challenge"]


def test_signin_page_offers_certificate_forms_and_says_why_nhi_card_is_not_offered(client, db, settings):
    settings.CERT_SIGNER_URL = "http://127.0.0.1:61161"
    html = client.get("/ecpa/signin").content.decode()
    # 自然人憑證 and 機關憑證 are forms that call the local component; the PIN input has no name
    assert html.count("data-cert-sign") == 2
    assert 'data-signer-url="http://127.0.0.1:61161"' in html
    assert 'id="moica-pin"' in html and 'name="pin"' not in html
    assert 'action="/ecpa/signin/agency-certificate"' in html
    # 行動自然人憑證 is offered as passkeys; 健保卡 stays unavailable, with the reason
    assert "以通行金鑰登入" in html
    assert "健保卡登入需要健保署提供的非公開元件，本系統暫不提供。" in html


def test_challenge_endpoint_issues_single_use_challenges_of_the_asked_purpose(client, db):
    value = _challenge(client, purpose="agency_signin")
    assert value.startswith("eCPA:agency_signin:")
    stored = CertificateChallenge.objects.get()
    assert stored.purpose == "agency_signin"
    assert value not in stored.value_hash  # only the hash is kept
    refused = client.post("/ecpa/signin/certificate/challenge", {"purpose": "bind"})
    assert (refused.status_code, refused.json()) == (400, {"error": "挑戰值用途不正確"})
    assert client.get("/ecpa/signin/certificate/challenge").status_code == 405
    assert CertificateChallenge.objects.count() == 1


def test_challenge_endpoint_is_rate_limited_per_address(client, db):
    for _ in range(30):
        _challenge(client)
    refused = client.post("/ecpa/signin/certificate/challenge", {"purpose": "signin"})
    assert (refused.status_code, refused.json()) == (429, {"error": "操作過於頻繁，請稍後再試"})
    assert CertificateChallenge.objects.count() == 30  # the 30 issued before the lock, none after


def test_certificate_signin_without_a_signature_explains_and_signs_nobody_in(client, db):
    response = client.post("/ecpa/signin/certificate", {"challenge": "", "signature": ""})
    assert response.status_code == 400
    assert "未取得憑證簽章，請確認已插入憑證卡並啟動憑證元件後再試" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("field", ["signature", "certificate"])
def test_an_oversized_signature_is_called_invalid_not_a_missing_card(client, learner, field):
    _challenge(client)
    response = client.post(
        "/ecpa/signin/certificate", {"challenge": "eCPA:signin:x", "signature": "QUJD", field: "A" * 200_000}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "憑證簽章資料過大，不是有效的簽章，請重新操作" in html
    assert "插入憑證卡" not in html
    assert "_auth_user_id" not in client.session
    assert SigninRecord.objects.count() == 0


def test_a_junk_signature_is_called_malformed_not_a_missing_card(client, learner):
    value = _challenge(client)
    response = client.post("/ecpa/signin/certificate", {"challenge": value, "signature": "%%% not base64 %%%"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "簽章格式不正確" in html
    assert "插入憑證卡" not in html
    assert "_auth_user_id" not in client.session


def test_certificate_signin_with_a_bound_card_starts_a_session(client, learner, trust):
    card = trust.pki.citizen_card()
    BoundCertificate.objects.create(
        user=learner,
        issuer="CN=內政部憑證管理中心 測試,O=行政院,C=TW",
        serial=card.serial_hex,
        subject_name="王小明",
        fingerprint="x",
        not_before=card.certificate.not_valid_before_utc,
        not_after=card.certificate.not_valid_after_utc,
    )
    challenge = _challenge(client)
    response = client.post(
        "/ecpa/signin/certificate",
        {"challenge": challenge, "signature": card.sign_pkcs7(challenge), "next": "/ecpa/my/signins"},
    )
    assert (response.status_code, response["Location"]) == (302, "/ecpa/my/signins")
    assert client.session["_auth_user_id"] == str(learner.pk)
    assert client.session["identity_signin_method"] == "moica"
    page = client.get("/ecpa/my/signins").content.decode()
    assert "自然人憑證登入" in page


def test_certificate_signin_with_an_unbound_card_shows_the_reason_in_its_section(client, learner, trust):
    card = trust.pki.citizen_card()
    challenge = _challenge(client)
    response = client.post(
        "/ecpa/signin/certificate", {"challenge": challenge, "signature": card.sign_pkcs7(challenge)}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="moica-errors"' in html
    assert "此自然人憑證尚未上傳至任何帳號" in html
    assert "_auth_user_id" not in client.session
    assert not SigninRecord.objects.exists()


def test_agency_certificate_signin_over_http(client, hr_officer, agency, trust):
    hr_officer.username = "hrlin"
    hr_officer.save()
    card = trust.pki.agency_card(agency_code=agency.code)
    challenge = _challenge(client, purpose="agency_signin")
    response = client.post(
        "/ecpa/signin/agency-certificate",
        {"login": "hrlin", "challenge": challenge, "signature": card.sign_pkcs7(challenge)},
    )
    assert (response.status_code, response["Location"]) == (302, "/ecpa/")
    assert client.session["identity_signin_method"] == "gca"


def test_my_certificates_needs_a_signed_in_account(client, db):
    response = client.get("/ecpa/my/certificates")
    assert response.status_code == 302
    assert response["Location"].startswith("/ecpa/signin?next=")
    assert client.post("/ecpa/my/certificates/challenge").status_code == 302
    assert not CertificateChallenge.objects.exists()


def test_binding_over_http_then_listing_and_removing(client, learner, hr_officer, trust):
    client.force_login(learner)
    card = trust.pki.citizen_card()
    challenge = _challenge(client, url="/ecpa/my/certificates/challenge")
    assert challenge.startswith("eCPA:bind:")
    response = client.post("/ecpa/my/certificates", {"challenge": challenge, "signature": card.sign_pkcs7(challenge)})
    assert (response.status_code, response["Location"]) == (302, "/ecpa/my/certificates")
    bound = BoundCertificate.objects.get(user=learner)
    page = client.get("/ecpa/my/certificates").content.decode()
    assert "自然人憑證已上傳，之後可使用此憑證登入" in page
    assert bound.serial_display in page
    assert "內政部憑證管理中心 測試" in page

    # Another account cannot remove it
    client.force_login(hr_officer)
    response = client.post(f"/ecpa/my/certificates/{bound.pk}/remove", follow=True)
    assert "找不到此憑證" in response.content.decode()
    assert BoundCertificate.objects.filter(pk=bound.pk).exists()

    client.force_login(learner)
    response = client.post(f"/ecpa/my/certificates/{bound.pk}/remove", follow=True)
    assert "已移除此自然人憑證" in response.content.decode()
    assert not BoundCertificate.objects.exists()


def test_binding_refusal_is_shown_on_the_page_and_binds_nothing(client, learner, trust):
    client.force_login(learner)
    card = trust.pki.citizen_card(last4="0000")
    challenge = _challenge(client, url="/ecpa/my/certificates/challenge")
    response = client.post("/ecpa/my/certificates", {"challenge": challenge, "signature": card.sign_pkcs7(challenge)})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="bind-errors"' in html
    assert "憑證的身分證字號末四碼與您的人事資料不符" in html
    assert not BoundCertificate.objects.exists()


@pytest.mark.parametrize("path", ["/ecpa/signin/certificate", "/ecpa/signin/agency-certificate"])
def test_signin_posts_need_csrf(db, path):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(path, {"challenge": "x", "signature": "y"})
    assert response.status_code == 403


def test_a_refused_certificate_sign_in_shows_its_reason_over_the_cached_blank_forms(client, db):
    # Given the blank certificate forms cached by an earlier page
    assert 'id="moica-errors"' not in client.get("/ecpa/signin").content.decode()

    # When a certificate sign-in is refused, its section shows why
    html = client.post("/ecpa/signin/certificate", {"challenge": "", "signature": ""}).content.decode()
    assert 'id="moica-errors"' in html and "未取得憑證簽章" in html
    html = client.post("/ecpa/signin/agency-certificate", {"challenge": "", "signature": ""}).content.decode()
    assert 'id="agency-errors"' in html and "未取得憑證簽章" in html

    # Then the next page's forms are blank again
    html = client.get("/ecpa/signin").content.decode()
    assert 'id="moica-errors"' not in html and 'id="agency-errors"' not in html and "未取得憑證簽章" not in html
