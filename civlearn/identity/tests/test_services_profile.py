"""我的專區 → 個人資料修改 (manual step 十): 自訂帳號 rules, e-mail, phone, audit events."""

import pytest

from civlearn.core.models import AuditEvent
from civlearn.identity import services
from civlearn.identity.models import User
from conftest import make_account, make_person

HALF_WIDTH = "帳號請設定半形英文字母及數字"
NO_SYMBOLS = "帳號請勿輸入特殊字元、空白、全形、文字"
ID_SHAPED = "帳號請勿使用身分證字號格式如：A123456XXXX"
TAKEN = "此帳號已有人使用，請改用其他帳號"


def _update(user, **values):
    data = {"username": user.username or "", "email": user.email, "phone": user.phone}
    data.update(values)
    return services.profile_update(user=user, ip_address="192.0.2.30", **data)


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("wang 01", [NO_SYMBOLS]),
        ("wang_01", [NO_SYMBOLS]),
        ("wang@gov", [NO_SYMBOLS]),
        ("ｗａｎｇ０１", [HALF_WIDTH, NO_SYMBOLS]),
        ("王小明", [HALF_WIDTH, NO_SYMBOLS]),
        ("wang王01", [NO_SYMBOLS]),
        ("A123456789", [ID_SHAPED]),
        ("a123456789", [ID_SHAPED]),
        ("A1234567", [ID_SHAPED]),
        ("B2", [ID_SHAPED, "帳號長度需為4至30碼"]),
        ("A823456780", [ID_SHAPED]),
        ("AC12345678", [ID_SHAPED]),
        ("A123456789xyz", [ID_SHAPED]),
        ("abc", ["帳號長度需為4至30碼"]),
        ("a" * 31, ["帳號長度需為4至30碼"]),
    ],
)
def test_custom_account_rules_refuse_with_the_manuals_notes_and_change_nothing(learner, username, expected):
    with pytest.raises(services.IdentityError) as caught:
        _update(learner, username=username)
    assert caught.value.errors == {"username": expected}
    learner.refresh_from_db()
    assert learner.username is None
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("username", ["Wang2024", "xiaoming", "A1b2c3d4", "K9test", "ab12"])
def test_custom_account_accepts_half_width_letters_and_digits(learner, username):
    _update(learner, username=username)
    learner.refresh_from_db()
    assert learner.username == username


def test_custom_account_is_unique_whatever_the_case(learner, agency):
    other = make_account(make_person(agency, "F131104093", "陳同事", email="chen@example.tw"))
    _update(other, username="Wang2024")
    with pytest.raises(services.IdentityError) as caught:
        _update(learner, username="wANG2024")
    assert caught.value.errors == {"username": [TAKEN]}
    learner.refresh_from_db()
    assert learner.username is None


def test_saving_the_profile_records_one_audit_event_per_changed_field(learner):
    _update(learner, username="Wang2024", email="wang@gmail.example", phone="04-2219-6000#123")
    learner.refresh_from_db()
    assert (learner.username, learner.email, learner.phone) == ("Wang2024", "wang@gmail.example", "04-2219-6000#123")
    events = {e.action: e.changes for e in AuditEvent.objects.all()}
    assert events == {
        "identity.account_name_changed": {"username": [None, "Wang2024"]},
        "identity.email_changed": {"email": ["xiaoming@example.tw", "wang@gmail.example"]},
        "identity.phone_changed": {"phone": ["", "04-2219-6000#123"]},
    }
    # Saving the same values again changes nothing and records nothing
    _update(learner)
    assert AuditEvent.objects.count() == 3


def test_one_bad_field_saves_none_of_them(learner):
    with pytest.raises(services.IdentityError) as caught:
        _update(learner, username="Wang2024", email="not-an-address", phone="abc")
    assert caught.value.errors == {
        "email": ["電子郵件格式不正確"],
        "phone": ["個人電話請輸入數字，可含 +、-、()、# 分機，6至30碼"],
    }
    learner.refresh_from_db()
    assert (learner.username, learner.email, learner.phone) == (None, "xiaoming@example.tw", "")


def test_email_is_required(learner):
    with pytest.raises(services.IdentityError) as caught:
        _update(learner, email="")
    assert caught.value.errors == {"email": ["請輸入電子郵件"]}


def test_an_account_without_a_person_cannot_drop_its_only_sign_in_name(operator):
    with pytest.raises(services.IdentityError) as caught:
        _update(operator, username="")
    assert caught.value.errors == {"username": ["請輸入自訂帳號"]}
    assert User.objects.get(pk=operator.pk).username == "operator"


def test_account_name_set_keeps_email_and_phone(learner):
    services.account_name_set(user=learner, username="Wang2024", ip_address=None)
    learner.refresh_from_db()
    assert (learner.username, learner.email) == ("Wang2024", "xiaoming@example.tw")
    assert AuditEvent.objects.get().action == "identity.account_name_changed"


def test_an_email_change_is_announced_to_the_old_address(learner, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _update(learner, email="new@example.tw")
    [notice] = mailoutbox
    assert notice.to == ["xiaoming@example.tw"]
    assert notice.subject == "人事服務網 eCPA 電子郵件已變更"
    assert "A12345****" in notice.body
    assert "A123456789" not in notice.body
    assert "new@example.tw" in notice.body
    # Saving other fields sends nothing
    with django_capture_on_commit_callbacks(execute=True):
        _update(learner, phone="0912345678")
    assert len(mailoutbox) == 1
