"""First sign-in by e-mail verification (manual steps 六 to 八) and the forgotten-password flow."""

import datetime as dt
import re

import pytest

from civlearn.core import clock
from civlearn.core.models import AuditEvent
from civlearn.identity import services
from civlearn.identity.models import EmailVerification, PasswordHistory, User
from civlearn.identity.tests.mail import link_and_code, token_of
from conftest import PASSWORD, make_person

SENT = (
    "若資料正確，認證信已寄出至您填寫的電子信箱，請於30分鐘內收信，點選信中連結並輸入認證碼。"
    "若未收到，請檢查垃圾郵件匣，或逕洽單位人事確認人事資料。"
)
NEW_PASSWORD = "Fresh~pass9"


@pytest.fixture
def newcomer(agency):
    # In the registry, no account yet.
    return make_person(
        agency, "A223456781", "李新人", birthday=dt.date(1990, 5, 17), post_start_date=dt.date(2020, 9, 1)
    )


def _request(person, *, email="li@example.tw", ip="192.0.2.20", **override):
    values = {
        "national_id_value": person.national_id,
        "birthday": person.birthday,
        "post_start_date": person.post_start_date,
        "email": email,
        "ip_address": ip,
    }
    values.update(override)
    return services.first_signin_request(**values)


@pytest.fixture
def requested(newcomer, mailoutbox, django_capture_on_commit_callbacks):
    """A first sign-in request that matched: returns (token, code) from the message."""
    with django_capture_on_commit_callbacks(execute=True):
        assert _request(newcomer) == SENT
    assert len(mailoutbox) == 1
    link, code = link_and_code(mailoutbox[0].body)
    return token_of(link), code


def test_a_match_sends_one_message_with_link_and_code_and_stores_only_hashes(requested, mailoutbox, newcomer):
    token, code = requested
    message = mailoutbox[0]
    assert message.to == ["li@example.tw"]
    assert message.subject == "人事服務網 eCPA 電子郵件認證"
    assert "A223456781" not in message.body
    verification = EmailVerification.objects.get()
    assert verification.person == newcomer
    assert token not in verification.token_hash
    assert code not in verification.code_hash
    assert verification.expires_at - verification.created_at == dt.timedelta(minutes=30)


@pytest.mark.parametrize(
    "override",
    [
        {"birthday": dt.date(1990, 5, 18)},
        {"post_start_date": dt.date(2020, 9, 2)},
        {"national_id_value": "A123456789"},
    ],
)
def test_a_mismatch_gets_the_same_answer_and_sends_nothing(
    newcomer, mailoutbox, override, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert _request(newcomer, **override) == SENT
    assert mailoutbox == []
    assert not EmailVerification.objects.exists()


def test_an_inactive_person_gets_the_same_answer_and_no_message(
    newcomer, mailoutbox, django_capture_on_commit_callbacks
):
    newcomer.is_active = False
    newcomer.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert _request(newcomer) == SENT
    assert mailoutbox == []


def test_bad_national_id_checksum_names_the_field(newcomer):
    with pytest.raises(services.IdentityError) as caught:
        _request(newcomer, national_id_value="A223456782")
    assert caught.value.errors == {"national_id": ["身分證字號檢查碼不正確"]}
    assert not EmailVerification.objects.exists()


def test_bad_email_names_the_field(newcomer):
    with pytest.raises(services.IdentityError) as caught:
        _request(newcomer, email="li@")
    assert caught.value.errors == {"email": ["電子郵件格式不正確"]}


def test_requests_are_limited_per_national_id_before_the_registry_is_read(
    newcomer, django_assert_max_num_queries, settings
):
    for _ in range(5):
        _request(newcomer, email="x@example.tw", birthday=dt.date(2000, 1, 1), ip=None)
    # at most one query: the locks (kept in the database), and no registry read
    with django_assert_max_num_queries(1), pytest.raises(services.IdentityError) as caught:
        _request(newcomer, ip="203.0.113.9")
    assert caught.value.messages[0].startswith("申請次數過多，請於 ")
    assert caught.value.messages[0].endswith(" 後再試")
    clock.advance(dt.timedelta(hours=1, minutes=1))
    assert _request(newcomer) == SENT


def test_requests_are_limited_per_address(newcomer, agency, settings):
    settings.FIRST_SIGNIN_MAX_PER_ADDRESS = 2
    _request(newcomer, national_id_value="A123456789", ip="203.0.113.5")
    _request(newcomer, national_id_value="F131104093", ip="203.0.113.5")
    with pytest.raises(services.IdentityError):
        _request(newcomer, ip="203.0.113.5")
    assert not EmailVerification.objects.exists()


def test_the_right_code_verifies_once_and_records_it(requested, newcomer):
    token, code = requested
    verification = services.first_signin_verify(token=token, code=code, ip_address="192.0.2.20")
    assert verification.verified_at is not None
    event = AuditEvent.objects.get(action="identity.email_verified")
    assert (event.subject_type, event.subject_id) == ("registry.person", str(newcomer.pk))
    assert event.changes == {"purpose": "first_signin", "email": "li@example.tw"}
    # The same code again is refused: single use
    with pytest.raises(services.IdentityError) as caught:
        services.first_signin_verify(token=token, code=code, ip_address=None)
    assert caught.value.messages == ["此認證連結已使用過，請重新申請認證信"]


def test_a_wrong_code_is_counted_and_five_end_the_link(requested):
    token, code = requested
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        with pytest.raises(services.IdentityError) as caught:
            services.first_signin_verify(token=token, code=wrong, ip_address=None)
        assert caught.value.errors == {"code": [f"認證碼不正確（尚可再試 {left} 次）"]}
    with pytest.raises(services.IdentityError) as caught:
        services.first_signin_verify(token=token, code=wrong, ip_address=None)
    assert caught.value.messages == ["認證碼錯誤次數過多，請重新申請認證信"]
    # Even the right code no longer works
    with pytest.raises(services.IdentityError) as caught:
        services.first_signin_verify(token=token, code=code, ip_address=None)
    assert caught.value.messages == ["認證碼錯誤次數過多，請重新申請認證信"]
    assert EmailVerification.objects.get().verified_at is None


def test_an_expired_code_is_refused(requested):
    token, code = requested
    clock.advance(dt.timedelta(minutes=30))
    with pytest.raises(services.IdentityError) as caught:
        services.first_signin_verify(token=token, code=code, ip_address=None)
    assert caught.value.messages == ["認證碼已逾期，請重新申請認證信"]
    assert EmailVerification.objects.get().verified_at is None


def test_an_unknown_token_is_refused(db):
    with pytest.raises(services.IdentityError) as caught:
        services.first_signin_verify(token="not-a-token", code="123456", ip_address=None)
    assert caught.value.messages == ["認證連結無效，請重新申請認證信"]


def test_a_newer_request_ends_the_older_link(requested, newcomer, mailoutbox, django_capture_on_commit_callbacks):
    old_token, old_code = requested
    with django_capture_on_commit_callbacks(execute=True):
        _request(newcomer)
    with pytest.raises(services.IdentityError) as caught:
        services.first_signin_verify(token=old_token, code=old_code, ip_address=None)
    assert caught.value.messages == ["認證碼已逾期，請重新申請認證信"]
    token, code = token_of(link_and_code(mailoutbox[1].body)[0]), link_and_code(mailoutbox[1].body)[1]
    services.first_signin_verify(token=token, code=code, ip_address=None)


def _verified(requested):
    token, code = requested
    return services.first_signin_verify(token=token, code=code, ip_address=None)


def test_password_set_creates_the_account_with_the_verified_address(requested, newcomer):
    verification = _verified(requested)
    user = services.password_set(verification_id=verification.pk, password=NEW_PASSWORD, ip_address="192.0.2.20")
    assert user.person == newcomer
    assert user.email == "li@example.tw"
    assert user.check_password(NEW_PASSWORD)
    assert user.password_changed_at is not None
    assert PasswordHistory.objects.filter(user=user).count() == 1
    actions = list(
        AuditEvent.objects.filter(subject_id=str(user.pk), subject_type="identity.user")
        .values_list("action", flat=True)
        .order_by("id")
    )
    assert actions == ["identity.account_created", "identity.password_set"]
    assert AuditEvent.objects.get(action="identity.account_created").changes == {
        "email": [None, "li@example.tw"],
        "via": "first_signin",
    }
    # The link is used up
    with pytest.raises(services.IdentityError) as caught:
        services.password_set(verification_id=verification.pk, password="Other~pass9", ip_address=None)
    assert caught.value.messages == ["此認證連結已使用過，請重新申請認證信"]


def test_password_set_refuses_a_password_breaking_the_rules_and_creates_nothing(requested):
    verification = _verified(requested)
    with pytest.raises(services.IdentityError) as caught:
        services.password_set(verification_id=verification.pk, password="password", ip_address=None)
    assert caught.value.errors == {"password": ["密碼須包含阿拉伯數字", "密碼須包含特殊符號"]}
    assert not User.objects.exists()
    assert EmailVerification.objects.get().used_at is None


def test_password_set_needs_a_verified_code(newcomer, requested):
    verification = EmailVerification.objects.get()
    with pytest.raises(services.IdentityError) as caught:
        services.password_set(verification_id=verification.pk, password=NEW_PASSWORD, ip_address=None)
    assert caught.value.messages == ["認證連結無效，請重新申請認證信"]
    assert not User.objects.exists()


def test_first_signin_on_an_existing_account_resets_password_and_email_obeying_the_rules(
    learner, mailoutbox, django_capture_on_commit_callbacks
):
    person = learner.person
    with django_capture_on_commit_callbacks(execute=True):
        _request(person, email="new@example.tw")
    token, code = token_of(link_and_code(mailoutbox[0].body)[0]), link_and_code(mailoutbox[0].body)[1]
    verification = services.first_signin_verify(token=token, code=code, ip_address=None)
    # The current password is in the history
    with pytest.raises(services.IdentityError) as caught:
        services.password_set(verification_id=verification.pk, password=PASSWORD, ip_address=None)
    assert caught.value.errors == {"password": ["新密碼不可與前3次密碼相同"]}
    user = services.password_set(verification_id=verification.pk, password=NEW_PASSWORD, ip_address=None)
    assert user.pk == learner.pk
    assert user.email == "new@example.tw"
    assert AuditEvent.objects.get(action="identity.email_changed").changes == {
        "email": ["xiaoming@example.tw", "new@example.tw"]
    }
    assert AuditEvent.objects.filter(action="identity.password_reset").count() == 1


def test_reset_within_two_hours_of_a_change_is_refused(learner, mailoutbox, django_capture_on_commit_callbacks):
    learner.password_changed_at = clock.now() - dt.timedelta(minutes=30)
    learner.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.password_reset_request(
            national_id_value="A123456789", birthday=dt.date(1972, 1, 1), email="XiaoMing@example.tw", ip_address=None
        )
    token, code = token_of(link_and_code(mailoutbox[0].body)[0]), link_and_code(mailoutbox[0].body)[1]
    assert mailoutbox[0].to == ["xiaoming@example.tw"]
    verification = services.first_signin_verify(token=token, code=code, ip_address=None)
    assert verification.purpose == "reset"
    before = learner.password
    with pytest.raises(services.IdentityError) as caught:
        services.password_set(verification_id=verification.pk, password=NEW_PASSWORD, ip_address=None)
    [message] = caught.value.errors["password"]
    assert message.startswith("上一次修改密碼後，需於2小時後才能再重設（可重設時間：")
    learner.refresh_from_db()
    assert learner.password == before


def test_forgotten_password_with_another_address_sends_nothing_and_says_the_same(
    learner, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.password_reset_request(
            national_id_value="A123456789", birthday=dt.date(1972, 1, 1), email="other@example.tw", ip_address=None
        )
    assert answer == SENT
    assert mailoutbox == []


def test_the_mail_task_sends_nothing_for_a_link_no_longer_usable(requested, mailoutbox):
    # A retried or late task must not send a dead link: expired, or with a token that is not this one's
    token, code = requested
    verification = EmailVerification.objects.get()
    assert services.verification_mail_send(verification_id=verification.pk, token="other", code=code) is False
    assert services.verification_mail_send(verification_id=verification.pk, token=token, code=code) is True
    assert len(mailoutbox) == 2
    clock.advance(dt.timedelta(minutes=31))
    assert services.verification_mail_send(verification_id=verification.pk, token=token, code=code) is False
    assert len(mailoutbox) == 2


def test_a_request_made_in_english_is_mailed_in_english(newcomer, mailoutbox, django_capture_on_commit_callbacks):
    from django.utils import translation

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        _request(newcomer)

    message = mailoutbox[0]
    assert message.subject == "eCPA e-mail verification"
    assert message.body.startswith("Hello,\n")
    assert re.search(r"^Verification code: \d{6}$", message.body, re.M)
    html = message.alternatives[0][0]
    assert '<html lang="en">' in html
    assert "Verification code: <strong" in html
