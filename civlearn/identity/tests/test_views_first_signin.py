"""The first sign-in and forgotten-password pages (manual steps 五 to 八): labels, hints, errors by field."""

import datetime as dt

import pytest

from civlearn.core import clock
from civlearn.identity.models import EmailVerification, User
from civlearn.identity.tests.mail import link_and_code, token_of
from conftest import make_person

FORM = "/ecpa/first-signin/email"
SENT = "若資料正確，認證信已寄出至您填寫的電子信箱"


@pytest.fixture
def newcomer(agency):
    return make_person(
        agency, "A223456781", "李新人", birthday=dt.date(1990, 5, 17), post_start_date=dt.date(2020, 9, 1)
    )


def _post(client, **override):
    data = {"national_id": "A223456781", "birthday": "0790517", "post_start_date": "1090901", "email": "li@example.tw"}
    data.update(override)
    return client.post(FORM, data)


def test_the_form_carries_the_manuals_labels_and_hints(client, db):
    html = client.get(FORM).content.decode()
    for label in ["身分證字號", "生日", "任現職之實際到職日期", "Email"]:
        assert f">{label}</label>" in html
    assert "請輸入民國年YYYMMDD，例如：0610101" in html
    assert "如不清楚，請逕洽單位人事，查詢表2現職之實際到職日期" in html
    assert "建議勿用yahoo信箱申請帳號，請盡量使用自己機關或Gmail信箱" in html
    assert 'aria-describedby="id_post_start_date_helptext"' in html


def test_help_page_leads_to_the_form(client, db):
    html = client.get("/ecpa/first-signin").content.decode()
    assert 'href="/ecpa/first-signin/email">設定 EMAIL 認證</a>' in html


@pytest.mark.parametrize(
    ("override", "field", "message"),
    [
        ({"national_id": "A223456782"}, "national_id", "身分證字號檢查碼不正確"),
        ({"national_id": "A22345678"}, "national_id", "身分證字號應為 10 碼（1 個英文字母加 9 個數字）"),
        ({"birthday": "0791317"}, "birthday", "日期不存在，請檢查月份與日期"),
        ({"birthday": "79-5"}, "birthday", "日期格式不正確，請輸入民國年月日，例如：0610101"),
        ({"post_start_date": ""}, "post_start_date", "此欄位為必填"),
        ({"email": "li@"}, "email", "電子郵件格式不正確"),
    ],
)
def test_bad_input_is_named_by_field_and_sends_nothing(client, newcomer, mailoutbox, override, field, message):
    response = _post(client, **override)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<ul class="errorlist" id="id_{field}_error"><li>{message}</li></ul>' in html
    assert f'aria-describedby="id_{field}' in html
    assert 'aria-invalid="true"' in html
    assert SENT not in html
    assert mailoutbox == []
    assert not EmailVerification.objects.exists()
    # What was typed is kept, so nothing is lost
    if field != "email":
        assert 'value="li@example.tw"' in html


def test_match_and_mismatch_look_the_same(client, newcomer, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        matched = _post(client).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        mismatched = _post(client, birthday="0790518").content.decode()
    assert SENT in matched
    assert SENT in mismatched
    strip = lambda html: html.split('name="csrfmiddlewaretoken"')[0]  # noqa: E731
    assert strip(matched) == strip(mismatched)
    assert len(mailoutbox) == 1


def test_too_many_requests_are_refused_on_the_page(client, newcomer):
    for _ in range(5):
        _post(client, birthday="0790518")
    html = _post(client).content.decode()
    assert "申請次數過多，請於 " in html
    assert not EmailVerification.objects.exists()


@pytest.fixture
def link(client, newcomer, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _post(client)
    url, code = link_and_code(mailoutbox[0].body)
    return "/ecpa/verify/" + token_of(url), code


def test_verify_then_set_password_then_sign_in(client, link, newcomer):
    path, code = link
    assert ">認證碼</label>" in client.get(path).content.decode()
    html = client.post(path, {"code": "000000" if code != "000000" else "111111"}).content.decode()
    assert "認證碼不正確（尚可再試 4 次）" in html
    response = client.post(path, {"code": code})
    assert response["Location"] == "/ecpa/password/set"
    page = client.get("/ecpa/password/set").content.decode()
    assert "上一次修改密碼後，需於2小時後才能再重設。" in page
    assert "新密碼不可與前3次密碼相同" in page
    html = client.post("/ecpa/password/set", {"password": "Fresh~pass9", "password2": "Fresh~pass8"}).content.decode()
    assert "確認新密碼與新密碼不一致" in html
    response = client.post("/ecpa/password/set", {"password": "Fresh~pass9", "password2": "Fresh~pass9"})
    assert response["Location"] == "/ecpa/signin"
    assert User.objects.get().person == newcomer
    # The link and the page are used up
    assert "此認證連結已使用過，請重新申請認證信" in client.get(path).content.decode()
    assert client.get("/ecpa/password/set").status_code == 410


def test_expired_link_says_so_and_offers_a_new_request(client, link):
    path, code = link
    clock.advance(dt.timedelta(minutes=31))
    response = client.get(path)
    html = response.content.decode()
    assert response.status_code == 410
    assert "認證碼已逾期，請重新申請認證信" in html
    assert 'href="/ecpa/first-signin/email">重新申請認證信</a>' in html
    assert client.post(path, {"code": code}).status_code == 410
    assert EmailVerification.objects.get().verified_at is None


def test_password_set_page_without_a_verified_code_refuses(client, link):
    response = client.get("/ecpa/password/set")
    assert response.status_code == 410
    assert "認證碼已逾期" in response.content.decode() or "認證連結無效" in response.content.decode()


def test_forgot_password_page(client, learner, mailoutbox, django_capture_on_commit_callbacks):
    html = client.get("/ecpa/password/forgot").content.decode()
    assert ">Email</label>" in html
    with django_capture_on_commit_callbacks(execute=True):
        html = client.post(
            "/ecpa/password/forgot",
            {"national_id": "A123456789", "birthday": "0610101", "email": "xiaoming@example.tw"},
        ).content.decode()
    assert SENT in html
    assert mailoutbox[0].to == ["xiaoming@example.tw"]


def test_no_log_line_carries_the_national_id(client, newcomer, caplog, mailoutbox, django_capture_on_commit_callbacks):
    caplog.set_level("DEBUG")
    with django_capture_on_commit_callbacks(execute=True):
        _post(client)
        _post(client, birthday="0790518")
        _post(client, national_id="A223456782")
    path = "/ecpa/verify/" + token_of(link_and_code(mailoutbox[0].body)[0])
    client.post(path, {"code": "x"})
    client.post("/ecpa/signin", {"login": "A223456781", "password": "Wrong#pw1"})
    assert caplog.records
    assert "A223456781" not in caplog.text
    assert "a223456781" not in caplog.text.lower()
