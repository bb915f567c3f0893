"""The sign-in page (manual step 九), sign-out, the forced password change and the password expiry middleware."""

import datetime as dt

import pytest
from django.urls import reverse

from civlearn.core import clock
from civlearn.identity.models import SigninRecord
from conftest import PASSWORD

SIGNIN = "/ecpa/signin"


def test_signin_page_shows_every_method_of_the_manual(client, db):
    # The certificate and mobile methods are another module's (strong sign-in); this checks the page's frame.
    response = client.get(SIGNIN)
    html = response.content.decode()
    assert response.status_code == 200
    for heading in ["自然人憑證", "機關憑證", "健保卡登入", "行動自然人憑證", "帳號密碼登入"]:
        assert f">{heading}</h2>" in html
    assert "健保卡登入需要健保署提供的非公開元件" in html
    assert 'href="/ecpa/first-signin">首次登入說明</a>' in html
    assert 'href="/ecpa/password/forgot">忘記密碼</a>' in html
    assert "重要訊息：" in html
    assert '<label for="id_login">帳號</label>' in html
    assert 'aria-describedby="id_login_helptext"' in html


def test_signin_rotates_the_session_and_goes_to_the_ecpa_home(client, learner):
    client.get(SIGNIN)
    before = client.session.session_key
    response = client.post(SIGNIN, {"login": "A123456789", "password": PASSWORD}, REMOTE_ADDR="192.0.2.44")
    assert response.status_code == 302
    assert response["Location"] == "/ecpa/"
    assert client.session.session_key != before
    assert client.session["_auth_user_id"] == str(learner.pk)
    learner.refresh_from_db()
    assert (learner.signin_count, learner.last_signin_ip) == (1, "192.0.2.44")


def test_signin_goes_to_a_safe_next_only(client, learner):
    response = client.post(SIGNIN + "?next=/elearn/", {"login": "A123456789", "password": PASSWORD})
    assert response["Location"] == "/elearn/"
    client.post("/ecpa/signout")
    response = client.post(SIGNIN + "?next=https://evil.example/", {"login": "A123456789", "password": PASSWORD})
    assert response["Location"] == "/ecpa/"


def test_wrong_password_shows_one_message_and_signs_nobody_in(client, learner):
    response = client.post(SIGNIN, {"login": "A123456789", "password": "Wrong#pw1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "帳號或密碼錯誤，請重新輸入" in html
    assert 'role="alert"' in html
    assert "_auth_user_id" not in client.session
    # The password typed is never sent back
    assert "Wrong#pw1" not in html
    unknown = client.post(SIGNIN, {"login": "Z999999999", "password": "Wrong#pw1"}).content.decode()
    assert "帳號或密碼錯誤，請重新輸入" in unknown


def test_empty_fields_are_named(client, db):
    html = client.post(SIGNIN, {"login": "", "password": ""}).content.decode()
    assert "請輸入帳號" in html
    assert "請輸入密碼" in html


def test_locked_account_page_says_when_to_retry(client, learner):
    for _ in range(5):
        response = client.post(SIGNIN, {"login": "A123456789", "password": "Wrong#pw1"})
    html = response.content.decode()
    assert "登入失敗次數過多，已暫時鎖定，請於 " in html
    response = client.post(SIGNIN, {"login": "A123456789", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_signout_needs_post_and_ends_the_session(client, learner):
    client.force_login(learner)
    assert client.get("/ecpa/signout").status_code == 405
    response = client.post("/ecpa/signout")
    assert response["Location"] == reverse("identity:signin")
    assert "_auth_user_id" not in client.session


def test_expired_password_leads_to_the_forced_change_and_nowhere_else(client, learner):
    learner.password_changed_at = clock.now() - dt.timedelta(days=181)
    learner.save()
    response = client.post(SIGNIN, {"login": "A123456789", "password": PASSWORD})
    assert response["Location"] == "/ecpa/password/expired"
    # Every other page sends the person back to the forced change
    assert client.get("/ecpa/my")["Location"] == "/ecpa/password/expired"
    assert client.get("/elearn/")["Location"] == "/ecpa/password/expired"
    page = client.get("/ecpa/password/expired").content.decode()
    assert "密碼已逾期，請變更密碼" in page
    assert "您的密碼已超過180天未更改" in page
    # A refused new password keeps the person on the page
    html = client.post(
        "/ecpa/password/expired",
        {"old_password": PASSWORD, "new_password": PASSWORD, "new_password2": PASSWORD},
    ).content.decode()
    assert "新密碼不可與前3次密碼相同" in html
    # The accepted one ends the forced change; the person stays signed in
    response = client.post(
        "/ecpa/password/expired",
        {"old_password": PASSWORD, "new_password": "Renewed~pw6", "new_password2": "Renewed~pw6"},
    )
    assert response["Location"] == "/ecpa/my"
    assert client.get("/ecpa/my").status_code == 200
    learner.refresh_from_db()
    assert learner.check_password("Renewed~pw6")


def test_forced_change_page_is_not_used_while_the_password_is_valid(client, learner):
    client.force_login(learner)
    assert client.get("/ecpa/password/expired")["Location"] == "/ecpa/my/password"


@pytest.mark.parametrize("url", ["/ecpa/my", "/ecpa/my/password", "/ecpa/my/signins"])
def test_my_area_needs_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/ecpa/signin?next=")


def test_signin_records_page_lists_attempts(client, learner):
    client.post(SIGNIN, {"login": "A123456789", "password": "Wrong#pw1"}, REMOTE_ADDR="192.0.2.5")
    client.post(SIGNIN, {"login": "A123456789", "password": PASSWORD}, REMOTE_ADDR="192.0.2.6")
    html = client.get("/ecpa/my/signins").content.decode()
    assert "這是您第1次登入" in html
    assert html.count("帳號密碼登入</td>") == 2
    assert '<span class="status-short">失敗</span>' in html
    assert "192.0.2.5" in html
    assert SigninRecord.objects.filter(user=learner).count() == 2


def test_signin_records_page_takes_few_queries_for_many_records(client, learner, django_assert_max_num_queries):
    client.force_login(learner)
    SigninRecord.objects.bulk_create(
        SigninRecord(user=learner, method="pwd", success=n % 2 == 0, ip_address="192.0.2.9") for n in range(30)
    )
    # session, user, the records, person and agency for the header, sign-in info: none per record
    with django_assert_max_num_queries(7):  # 7th: whether the 上傳人員帳號 link shows (roles)
        response = client.get("/ecpa/my/signins")
    assert response.content.decode().count("<tr><td>") == 20


def test_a_person_with_an_expired_password_can_still_sign_out(client, learner):
    learner.password_changed_at = clock.now() - dt.timedelta(days=181)
    learner.save()
    client.force_login(learner)
    response = client.post("/ecpa/signout")
    assert response["Location"] == "/ecpa/signin"
    assert "_auth_user_id" not in client.session


def test_a_password_sign_in_takes_a_bounded_number_of_statements(client, learner, django_assert_max_num_queries):
    client.get(SIGNIN)
    # the account, its locks, one transaction of the bookkeeping (counters, count, record, audit event: 6 with its
    # BEGIN and COMMIT), the new session (Django's: a key checked and inserted, 4; then saved with the sign-in, 3),
    # and no second write of last_login nor a read of the account after the sign-in
    with django_assert_max_num_queries(15):
        response = client.post(SIGNIN, {"login": "A123456789", "password": PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(learner.pk)


def test_a_refused_sign_in_shows_its_errors_and_the_typed_name_over_the_cached_blank_form(client, learner):
    # Given the blank form's fields cached by an earlier page
    blank = client.get(SIGNIN).content.decode()
    assert '<input type="text" name="login" autocomplete="username"' in blank and 'value="A123456789"' not in blank

    # When a sign-in is refused, the page shows the error at the field and keeps the typed name
    html = client.post(SIGNIN, {"login": "A123456789", "password": ""}).content.decode()
    assert '<ul class="errorlist" id="id_password_error"><li>請輸入密碼</li></ul>' in html
    assert 'value="A123456789"' in html

    # Then the next visitor's blank page carries neither
    html = client.get(SIGNIN).content.decode()
    assert "id_password_error" not in html and 'value="A123456789"' not in html


def test_the_cached_blank_forms_follow_the_language(client, db):
    from django.utils import translation

    assert '<label for="id_login">帳號</label>' in client.get(SIGNIN).content.decode()
    with translation.override(translation.get_language()):
        client.post("/i18n/setlang/", {"language": "en", "next": SIGNIN})
        html = client.get(SIGNIN).content.decode()
    assert '<label for="id_login">Account</label>' in html
    assert '<label for="moica-pin">Enter the PIN code</label>' in html
    assert '<label for="agency-pin">Enter the PIN code</label>' in html
    assert "請輸入PinCode" not in html
