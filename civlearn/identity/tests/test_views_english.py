"""English through Django i18n: the identity pages and the password messages follow the chosen language."""

from django.utils import translation

from civlearn.identity import passwords


def test_signin_page_in_english(client, db):
    # The request activates English in this thread; override() puts the previous language back afterwards,
    # so later tests in the same process still see zh-Hant.
    with translation.override(translation.get_language()):
        client.post("/i18n/setlang/", {"language": "en", "next": "/ecpa/signin"})
        html = client.get("/ecpa/signin").content.decode()
    assert ">Account and password</h2>" in html
    assert '<label for="id_login">Account</label>' in html
    assert ">First sign-in</a>" in html
    assert "帳號密碼登入" not in html


def test_password_messages_in_english():
    with translation.override("en"):
        assert passwords.composition_problems("ab") == [
            "The password must be at least 8 characters long",
            "The password must contain a digit",
            "The password must contain a special symbol",
        ]
    with translation.override("zh-hant"):
        assert passwords.composition_problems("ab")[0] == "密碼長度需8碼以上"
