"""我的專區 (manual steps 十 and 十一): header, menu, 個人資料修改, 修改密碼."""

import datetime as dt

from civlearn.core import clock
from civlearn.core.models import AuditEvent
from conftest import PASSWORD


def _signed_in(client, user):
    client.post("/ecpa/signin", {"login": "A123456789", "password": PASSWORD})
    return client


def test_header_shows_agency_name_and_masked_id_only(client, learner):
    html = _signed_in(client, learner).get("/ecpa/my").content.decode()
    assert '<p class="who-line">國立臺中科技大學 王小明</p>' in html
    assert '帳號登入 <span class="masked-id">A12345****</span>' in html
    assert "A123456789" not in html
    assert "現在位置：" in html
    assert '<a href="/ecpa/my" aria-current="page">個人資料修改</a>' in html
    for item in ["簽名檔設定", "通訊錄", "群組設定", "電子賀卡"]:
        assert f'<span aria-disabled="true">{item}</span>' in html
    assert "1. 帳號請設定半形英文字母及數字，勿使用身分證字號格式如：A123456XXXX" in html
    assert "2. 帳號請勿輸入特殊字元、空白、全形、文字" in html
    assert ">儲存</button>" in html
    assert ">重設</button>" in html


def test_saving_the_profile(client, learner):
    _signed_in(client, learner)
    response = client.post("/ecpa/my", {"username": "Wang2024", "email": "wang@example.tw", "phone": "0912345678"})
    assert response["Location"] == "/ecpa/my"
    learner.refresh_from_db()
    assert (learner.username, learner.email, learner.phone) == ("Wang2024", "wang@example.tw", "0912345678")
    assert "個人資料已儲存" in client.get("/ecpa/my").content.decode()


def test_a_refused_profile_keeps_what_was_typed_and_changes_nothing(client, learner):
    _signed_in(client, learner)
    response = client.post("/ecpa/my", {"username": "A1234567", "email": "new@example.tw", "phone": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        '<ul class="errorlist" id="id_username_error"><li>帳號請勿使用身分證字號格式如：A123456XXXX</li></ul>' in html
    )
    assert 'value="new@example.tw"' in html
    learner.refresh_from_db()
    assert (learner.username, learner.email) == (None, "xiaoming@example.tw")
    assert not AuditEvent.objects.filter(
        action__in=["identity.email_changed", "identity.account_name_changed"]
    ).exists()


def test_password_change_page_tells_when_a_change_becomes_possible(client, learner):
    _signed_in(client, learner)
    learner.password_changed_at = clock.now() - dt.timedelta(minutes=30)
    learner.save()
    # The session stays valid: the password hash did not change
    html = client.get("/ecpa/my/password").content.decode()
    assert "上一次修改密碼後，需於2小時後才能再重設（可重設時間：" in html
    html = client.post(
        "/ecpa/my/password", {"old_password": PASSWORD, "new_password": "Second#pw1", "new_password2": "Second#pw1"}
    ).content.decode()
    assert html.count("上一次修改密碼後，需於2小時後才能再重設（可重設時間：") >= 2
    learner.refresh_from_db()
    assert learner.check_password(PASSWORD)


def test_password_change_keeps_this_session_and_ends_others(client, learner, django_user_model):
    from django.test import Client

    other = Client()
    other.post("/ecpa/signin", {"login": "A123456789", "password": PASSWORD})
    _signed_in(client, learner)
    response = client.post(
        "/ecpa/my/password", {"old_password": PASSWORD, "new_password": "Second#pw1", "new_password2": "Second#pw1"}
    )
    assert response["Location"] == "/ecpa/my"
    assert client.get("/ecpa/my").status_code == 200
    assert other.get("/ecpa/my").status_code == 302


def test_wrong_old_password_is_named(client, learner):
    _signed_in(client, learner)
    html = client.post(
        "/ecpa/my/password", {"old_password": "Nope#pw1", "new_password": "Second#pw1", "new_password2": "Second#pw1"}
    ).content.decode()
    assert '<ul class="errorlist" id="id_old_password_error"><li>舊密碼不正確</li></ul>' in html
