"""自然人憑證上傳 and certificate sign-in against a CA hierarchy the tests build: every refusal has its message."""

import base64
import datetime as dt

import pytest

from civlearn.core import clock
from civlearn.core.models import AuditEvent
from civlearn.identity import certificates, services
from civlearn.identity import signin_certificate as cs
from civlearn.identity.models import BoundCertificate, CertificateChallenge, SigninRecord
from civlearn.identity.services import IdentityError
from civlearn.identity.tests import strong_pki
from conftest import make_account, make_person

IP = "192.0.2.20"
# Fixtures shared by the strong sign-in tests.
pki = strong_pki.pki
trust = strong_pki.trust

NOT_BOUND = "此自然人憑證尚未上傳至任何帳號。請先以帳號密碼登入，於「我的專區 → 自然人憑證上傳」上傳憑證後再使用。"


def _bind(user, card, *, challenge=None, signature=None):
    challenge = challenge or cs.challenge_issue(purpose=CertificateChallenge.BIND, user=user)[0]
    return cs.certificate_bind(
        user=user, challenge=challenge, signature=signature or card.sign_pkcs7(challenge), ip_address=IP
    )


def _signin(card, *, challenge=None, signature=None):
    challenge = challenge or cs.challenge_issue(purpose=CertificateChallenge.SIGNIN)[0]
    return cs.certificate_signin(challenge=challenge, signature=signature or card.sign_pkcs7(challenge), ip_address=IP)


def _refused_binding(user, card, **kwargs) -> list[str]:
    with pytest.raises(IdentityError) as refused:
        _bind(user, card, **kwargs)
    # Nothing was bound and no audit event written.
    assert BoundCertificate.objects.count() == 0
    assert not AuditEvent.objects.filter(action="identity.certificate_bound").exists()
    return refused.value.messages


def _refused_signin(card, **kwargs) -> list[str]:
    before = SigninRecord.objects.filter(success=True).count()
    with pytest.raises(IdentityError) as refused:
        _signin(card, **kwargs)
    assert SigninRecord.objects.filter(success=True).count() == before
    assert not AuditEvent.objects.filter(action="identity.signed_in").exists()
    return refused.value.messages


# ---- binding ----------------------------------------------------------------------------------------------------


def test_binding_a_matching_citizen_certificate_records_issuer_and_serial(learner, trust):
    # Given 王小明's card (last 4 digits 6789 of A123456789)
    card = trust.pki.citizen_card(name="王小明", last4="6789")
    # When he binds it from My Area
    bound = _bind(learner, card)
    # Then it is bound to his account by issuer + serial, and audited
    assert bound.user == learner
    assert bound.serial == card.serial_hex
    assert bound.issuer == "CN=內政部憑證管理中心 測試,O=行政院,C=TW"
    assert bound.issuer_display == "內政部憑證管理中心 測試"
    assert bound.subject_name == "王小明"
    event = AuditEvent.objects.get(action="identity.certificate_bound")
    assert event.actor == learner
    assert event.changes["serial"] == card.serial_hex
    assert event.ip_address == IP


def test_binding_refuses_wrong_last_four_digits(learner, trust):
    card = trust.pki.citizen_card(name="王小明", last4="1234")
    assert _refused_binding(learner, card) == ["憑證的身分證字號末四碼與您的人事資料不符"]


def test_binding_refuses_a_different_name(learner, trust):
    card = trust.pki.citizen_card(name="王大明", last4="6789")
    assert _refused_binding(learner, card) == ["憑證姓名與您的人事資料不符"]


def test_binding_accepts_full_width_spacing_differences_in_the_name(learner, trust):
    card = trust.pki.citizen_card(name="王　小明", last4="6789")
    assert _bind(learner, card).subject_name == "王　小明"


def test_binding_refuses_a_certificate_bound_to_someone_else(learner, agency, trust):
    # Given another 王小明 whose ID also ends in 6789 has bound the card first
    namesake = make_account(make_person(agency, "B110046789", "王小明", email="w2@example.tw"))
    card = trust.pki.citizen_card(name="王小明", last4="6789")
    _bind(namesake, card)
    # When the learner tries to bind the same card
    with pytest.raises(IdentityError) as refused:
        _bind(learner, card)
    # Then it is refused and still belongs to the first account only
    assert refused.value.messages == ["此憑證已綁定其他帳號，無法上傳"]
    assert list(BoundCertificate.objects.values_list("user_id", flat=True)) == [namesake.pk]


def test_binding_the_same_card_twice_says_so(learner, trust):
    card = trust.pki.citizen_card()
    _bind(learner, card)
    with pytest.raises(IdentityError) as refused:
        _bind(learner, card)
    assert refused.value.messages == ["此憑證已上傳過"]
    assert BoundCertificate.objects.count() == 1


def test_binding_refuses_an_expired_certificate(learner, trust):
    now = clock.now()
    card = trust.pki.citizen_card(not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=2))
    expected = certificates.msg_expired(card.certificate.not_valid_after_utc)
    assert _refused_binding(learner, card) == [expected]
    assert expected.startswith("憑證已逾期（有效期限至 1")


def test_binding_refuses_a_certificate_not_yet_valid(learner, trust):
    now = clock.now()
    card = trust.pki.citizen_card(not_before=now + dt.timedelta(days=3), not_after=now + dt.timedelta(days=400))
    expected = certificates.msg_not_yet_valid(card.certificate.not_valid_before_utc)
    assert _refused_binding(learner, card) == [expected]
    assert expected.startswith("憑證尚未生效（自 1")


def test_binding_refuses_a_revoked_certificate(learner, trust):
    card = trust.pki.citizen_card()
    trust.pki.revoke(card)
    trust.refresh_crls()
    assert _refused_binding(learner, card) == ["憑證已廢止，無法使用"]


def test_binding_refuses_a_certificate_from_an_untrusted_ca(learner, trust):
    # Same CA name as the real one, but its root is not a configured trust anchor
    card = trust.pki.citizen_card(issuer=trust.pki.rogue_ca)
    assert _refused_binding(learner, card) == ["憑證不是由本系統信任的憑證機構所簽發"]


def test_binding_refuses_a_certificate_without_digital_signature_key_usage(learner, trust):
    card = trust.pki.citizen_card(digital_signature=False)
    assert _refused_binding(learner, card) == ["憑證用途不符：此憑證不能用於數位簽章"]


def test_binding_challenge_of_another_account_is_refused(learner, hr_officer, trust):
    card = trust.pki.citizen_card()
    challenge, _expires = cs.challenge_issue(purpose=CertificateChallenge.BIND, user=hr_officer)
    assert _refused_binding(learner, card, challenge=challenge) == ["挑戰值無效，請重新操作"]


def test_unbinding_removes_only_ones_own_certificate(learner, hr_officer, trust):
    bound = _bind(learner, trust.pki.citizen_card())
    # Another account cannot remove it
    with pytest.raises(IdentityError) as refused:
        cs.certificate_unbind(user=hr_officer, certificate_id=bound.pk, ip_address=IP)
    assert refused.value.messages == ["找不到此憑證"]
    assert BoundCertificate.objects.filter(pk=bound.pk).exists()
    # Its owner can, with an audit event
    cs.certificate_unbind(user=learner, certificate_id=bound.pk, ip_address=IP)
    assert not BoundCertificate.objects.exists()
    event = AuditEvent.objects.get(action="identity.certificate_unbound")
    assert (event.actor, event.changes["serial"]) == (learner, bound.serial)


# ---- sign-in --------------------------------------------------------------------------------------------------------


def test_signin_with_a_bound_certificate_returns_the_account(learner, trust):
    card = trust.pki.citizen_card()
    bound = _bind(learner, card)
    # When the card signs a sign-in challenge
    user = _signin(card)
    # Then the bound account is returned and the certificate's last use is kept
    assert user == learner
    bound.refresh_from_db()
    assert bound.last_used_at is not None
    assert bound.last_used_at <= clock.now()


def test_signin_record_success_counts_and_audits(learner):
    services.signin_record_success(user=learner, method="moica", ip_address=IP)
    learner.refresh_from_db()
    assert (learner.signin_count, learner.last_signin_ip) == (1, IP)
    record = SigninRecord.objects.get(user=learner)
    assert (record.method, record.success, record.get_method_display()) == ("moica", True, "自然人憑證登入")
    assert AuditEvent.objects.get(action="identity.signed_in").changes == {"method": "moica"}


def test_signin_with_an_unbound_certificate_is_refused(learner, trust):
    assert _refused_signin(trust.pki.citizen_card()) == [NOT_BOUND]


def test_signin_with_a_bare_pkcs1_signature_and_an_ec_key(learner, trust):
    card = trust.pki.citizen_card(ec_key=True)
    _bind(learner, card)
    challenge, _expires = cs.challenge_issue(purpose=CertificateChallenge.SIGNIN)
    signature, certificate = card.sign_pkcs1(challenge)
    user = cs.certificate_signin(challenge=challenge, signature=signature, certificate=certificate, ip_address=IP)
    assert user == learner


def test_signin_refuses_a_replayed_challenge(learner, trust):
    card = trust.pki.citizen_card()
    _bind(learner, card)
    challenge, _expires = cs.challenge_issue(purpose=CertificateChallenge.SIGNIN)
    signature = card.sign_pkcs7(challenge)
    assert _signin(card, challenge=challenge, signature=signature) == learner
    # The same signed challenge sent again
    assert _refused_signin(card, challenge=challenge, signature=signature) == ["此挑戰值已使用過，請重新操作"]


def test_signin_refuses_an_expired_challenge(learner, trust, settings):
    card = trust.pki.citizen_card()
    _bind(learner, card)
    challenge, expires_at = cs.challenge_issue(purpose=CertificateChallenge.SIGNIN)
    assert settings.CERT_CHALLENGE_TTL_SECONDS == 120
    assert 119 < (expires_at - clock.now()).total_seconds() <= 120
    clock.advance(dt.timedelta(seconds=121))
    assert _refused_signin(card, challenge=challenge) == ["挑戰值已逾期，請重新操作"]


def test_signin_refuses_an_unknown_challenge(learner, trust):
    card = trust.pki.citizen_card()
    _bind(learner, card)
    assert _refused_signin(card, challenge="eCPA:signin:made-up") == ["挑戰值無效，請重新操作"]


def test_signin_refuses_a_signature_over_another_text(learner, trust):
    card = trust.pki.citizen_card()
    _bind(learner, card)
    challenge, _expires = cs.challenge_issue(purpose=CertificateChallenge.SIGNIN)
    other = card.sign_pkcs7("eCPA:signin:something-else")
    assert _refused_signin(card, challenge=challenge, signature=other) == [
        "簽章驗證失敗：簽章與挑戰值或憑證不符，請重新操作"
    ]


def test_signin_refuses_a_tampered_signature(learner, trust):
    card = trust.pki.citizen_card()
    _bind(learner, card)
    challenge, _expires = cs.challenge_issue(purpose=CertificateChallenge.SIGNIN)
    signature, certificate = card.sign_pkcs1(challenge)
    raw = bytearray(base64.b64decode(signature))
    raw[-1] ^= 0x01
    tampered = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(IdentityError) as refused:
        cs.certificate_signin(challenge=challenge, signature=tampered, certificate=certificate, ip_address=IP)
    assert refused.value.messages == ["簽章驗證失敗：簽章與挑戰值或憑證不符，請重新操作"]
    assert not SigninRecord.objects.filter(success=True).exists()


def test_signin_refuses_a_pkcs7_signed_by_another_key(learner, trust):
    # The certificate in the SignedData is the bound one, but the signature comes from another card's key
    card = trust.pki.citizen_card()
    _bind(learner, card)
    challenge, _expires = cs.challenge_issue(purpose=CertificateChallenge.SIGNIN)
    impostor = trust.pki.citizen_card()
    impostor.certificate = card.certificate
    assert _refused_signin(card, challenge=challenge, signature=impostor.sign_pkcs7(challenge)) == [
        "簽章驗證失敗：簽章與挑戰值或憑證不符，請重新操作"
    ]


def test_signin_refuses_a_bound_certificate_revoked_later(learner, trust):
    card = trust.pki.citizen_card()
    _bind(learner, card)
    trust.pki.revoke(card)
    trust.refresh_crls()
    assert _refused_signin(card) == ["憑證已廢止，無法使用"]


def test_signin_fails_closed_when_revocation_cannot_be_checked(learner, trust, settings):
    card = trust.pki.citizen_card()
    _bind(learner, card)
    settings.CERT_CRL_DIR = ""
    assert _refused_signin(card) == ["目前無法確認憑證是否已廢止，請稍後再試"]
    # An operator may choose soft-fail; then the same sign-in goes through
    settings.CERT_REVOCATION_MODE = "soft-fail"
    assert _signin(card) == learner


def test_signin_refuses_a_deactivated_account_and_records_the_failure(learner, trust):
    card = trust.pki.citizen_card()
    _bind(learner, card)
    learner.is_active = False
    learner.save()
    assert _refused_signin(card) == ["帳號已停用"]
    record = SigninRecord.objects.get(user=learner)
    assert (record.method, record.success) == ("moica", False)


def test_signin_refuses_when_no_trust_anchor_is_configured(learner, trust, settings, tmp_path):
    card = trust.pki.citizen_card()
    _bind(learner, card)
    settings.CERT_TRUST_ANCHORS_DIR = str(tmp_path / "empty")
    assert _refused_signin(card) == ["憑證不是由本系統信任的憑證機構所簽發"]


def test_signin_refuses_a_malformed_signature(learner, trust):
    challenge, _expires = cs.challenge_issue(purpose=CertificateChallenge.SIGNIN)
    with pytest.raises(IdentityError) as refused:
        cs.certificate_signin(challenge=challenge, signature="not base64!", ip_address=IP)
    assert refused.value.messages == ["簽章格式不正確"]


# ---- agency certificates --------------------------------------------------------------------------------------


def _agency_signin(card, login):
    challenge, _expires = cs.challenge_issue(purpose=CertificateChallenge.AGENCY_SIGNIN)
    return cs.agency_certificate_signin(
        login_name=login, challenge=challenge, signature=card.sign_pkcs7(challenge), ip_address=IP
    )


@pytest.fixture
def hr_officer_named(hr_officer):
    # The persona's national ID is a placeholder; the officer signs in with a 自訂帳號.
    hr_officer.username = "hrlin"
    hr_officer.save()
    return hr_officer


def test_agency_certificate_signs_in_an_hr_officer_of_that_agency(hr_officer_named, agency, trust):
    card = trust.pki.agency_card(agency_code=agency.code)
    assert _agency_signin(card, "HRLIN") == hr_officer_named


def test_agency_certificate_covers_sub_agencies_of_the_hr_office(agency, sub_agency, trust):
    from civlearn.identity.models import AgencyRole

    officer = make_account(make_person(sub_agency, "C100000003", "陳進修", email="c@example.tw"))
    AgencyRole.objects.create(user=officer, agency=sub_agency, role=AgencyRole.HR_OFFICER)
    card = trust.pki.agency_card(agency_code=sub_agency.code)
    assert _agency_signin(card, "c100000003") == officer


def test_agency_certificate_refuses_an_hr_officer_of_another_agency(other_hr_officer, agency, trust):
    card = trust.pki.agency_card(agency_code=agency.code)
    with pytest.raises(IdentityError) as refused:
        _agency_signin(card, "F131104093")
    assert refused.value.messages == ["此帳號不是憑證所屬機關的人事人員，無法以此機關憑證登入"]
    assert SigninRecord.objects.get(user=other_hr_officer).success is False
    assert not AuditEvent.objects.filter(action="identity.signed_in").exists()


def test_agency_certificate_refuses_a_learner_without_the_hr_role(learner, agency, trust):
    card = trust.pki.agency_card(agency_code=agency.code)
    with pytest.raises(IdentityError) as refused:
        _agency_signin(card, "A123456789")
    assert refused.value.messages == ["此帳號不是憑證所屬機關的人事人員，無法以此機關憑證登入"]


def test_agency_signin_refuses_a_citizen_certificate(hr_officer_named, trust):
    with pytest.raises(IdentityError) as refused:
        _agency_signin(trust.pki.citizen_card(name="林人事", last4="0005"), "hrlin")
    assert refused.value.messages == ["此憑證不是機關憑證（沒有機關代碼）"]


def test_citizen_signin_refuses_an_agency_certificate(hr_officer, agency, trust):
    card = trust.pki.agency_card(agency_code=agency.code)
    assert _refused_signin(card) == ["此憑證不是自然人憑證，機關憑證請使用「機關憑證」登入"]


def test_a_signin_challenge_cannot_be_used_for_agency_signin(hr_officer_named, agency, trust):
    card = trust.pki.agency_card(agency_code=agency.code)
    challenge, _expires = cs.challenge_issue(purpose=CertificateChallenge.SIGNIN)
    with pytest.raises(IdentityError) as refused:
        cs.agency_certificate_signin(
            login_name="hrlin", challenge=challenge, signature=card.sign_pkcs7(challenge), ip_address=IP
        )
    assert refused.value.messages == ["挑戰值無效，請重新操作"]
