"""e等公務園+ entrance (manual steps 一 to 三): the first-visit notice, remembered per browser without JavaScript;
the 登入 choice between eCPA and the external providers, returning to the page the person was on."""

from __future__ import annotations

from django.utils import translation

from civlearn.sso.models import ExternalProvider

NOTICE = "了解，我清楚了"


def test_the_notice_shows_until_acknowledged_then_never_again_in_this_browser(client, db):
    assert NOTICE in client.get("/elearn/").content.decode()

    response = client.post("/elearn/notice", {"next": "/elearn/verify/"})

    assert (response.status_code, response["Location"]) == (302, "/elearn/verify/")
    cookie = response.cookies["civlearn_notice"]
    assert (cookie.value, cookie["max-age"], cookie["samesite"], cookie["httponly"]) == ("1", 31536000, "Lax", True)
    assert NOTICE not in client.get("/elearn/").content.decode()
    assert NOTICE not in client.get("/elearn/verify/").content.decode()


def test_the_notice_never_sends_the_browser_to_another_site(client, db):
    response = client.post("/elearn/notice", {"next": "https://evil.example/"})

    assert response["Location"] == "/elearn/"


def test_the_notice_needs_a_post(client, db):
    assert client.get("/elearn/notice").status_code == 405


def test_the_header_sign_in_leads_to_the_choice_and_back(client, db):
    ExternalProvider.objects.create(slug="myegov", name="我的E政府", issuer="https://idp.example", client_id="c")
    page = client.get("/elearn/verify/").content.decode()
    assert '<a href="/elearn/signin/?next=/elearn/verify/">登入</a>' in page

    choice = client.get("/elearn/signin/", {"next": "/elearn/verify/"}).content.decode()

    assert 'href="/ecpa/signin?next=/elearn/verify/"' in choice
    assert 'href="/ecpa/external/myegov/start?next=/elearn/verify/"' in choice
    assert "以我的E政府登入" in choice


def test_the_choice_drops_a_foreign_next_and_a_signed_in_person_goes_straight_on(client, learner):
    choice = client.get("/elearn/signin/", {"next": "//evil.example/x"}).content.decode()
    assert 'href="/ecpa/signin?next=/elearn/"' in choice

    client.force_login(learner)
    response = client.get("/elearn/signin/", {"next": "/elearn/verify/"})
    assert (response.status_code, response["Location"]) == (302, "/elearn/verify/")


def test_signing_in_from_the_ecpa_header_returns_to_the_page(client, learner):
    from conftest import PASSWORD

    response = client.post("/ecpa/signin", {"login": "A123456789", "password": PASSWORD, "next": "/ecpa/downloads/"})
    assert response["Location"] == "/ecpa/downloads/"


def test_the_sign_in_page_naming_itself_as_next_lands_in_my_area(client, learner):
    from conftest import PASSWORD

    response = client.post("/ecpa/signin", {"login": "A123456789", "password": PASSWORD, "next": "/ecpa/signin?x=1"})
    assert response["Location"] == "/ecpa/"


def test_the_entrance_in_english(client, db):
    # The request activates English in this thread; override() puts the previous language back afterwards.
    with translation.override(translation.get_language()):
        client.post("/i18n/setlang/", {"language": "en", "next": "/elearn/"})
        notice = client.get("/elearn/").content.decode()
        choice = client.get("/elearn/signin/").content.decode()

    assert "Understood" in notice and "About this website" in notice
    assert "Sign in with eCPA" in choice
