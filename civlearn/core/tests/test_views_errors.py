import logging
import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def error_urls(settings):
    settings.ROOT_URLCONF = "civlearn.core.tests.errors_urls"


def test_a_missing_page_is_the_sites_404_with_a_way_back_to_its_face(client):
    response = client.get("/elearn/no-such-page")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<h1 id="error-title">找不到網頁</h1>' in html
    assert 'class="button" href="/elearn/">回首頁</a>' in html
    assert 'class="site-header"' in html


def test_the_404_page_in_english(client):
    response = client.get("/lifelong/no-such-page", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 404
    assert ">Page not found</h1>" in html
    assert 'href="/lifelong/">Home</a>' in html
    # The layout around it is English too (menu, footer, skip link): no Han character in the page's text.
    text = re.sub(r"<[^>]+>", " ", html)
    assert re.findall(r"[\u4e00-\u9fff]+", text) == []


def test_a_forbidden_page_says_so_and_offers_sign_in_to_a_visitor(client, error_urls):
    response = client.get("/lifelong/forbidden")
    html = response.content.decode()
    assert response.status_code == 403
    assert ">沒有使用權限</h1>" in html
    assert "這個頁面需要登入後才能使用。" in html
    assert 'href="/ecpa/signin?next=/lifelong/forbidden"' in html


def test_a_forbidden_page_tells_a_signed_in_person_whom_to_ask(client, error_urls, learner):
    client.force_login(learner)
    html = client.get("/lifelong/forbidden").content.decode()
    assert "請洽所屬機關人事單位" in html


def test_a_server_error_shows_a_reference_that_the_log_carries(error_urls, caplog):
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="civlearn.errors"):
        response = client.get("/elearn/boom")
    assert response.status_code == 500
    html = response.content.decode()
    reference = re.search(r"<code>([0-9a-f]{8})</code>", html).group(1)
    assert ">系統發生錯誤</h1>" in html
    assert 'href="/elearn/">回首頁</a>' in html
    records = [r for r in caplog.records if r.name == "civlearn.errors"]
    assert len(records) == 1
    assert records[0].getMessage() == f"server error reference {reference} on GET /elearn/boom"
    assert records[0].exc_info[0] is RuntimeError


def test_a_form_post_without_its_csrf_token_gets_the_sites_page(learner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    response = client.post("/ecpa/signout")
    assert response.status_code == 403
    assert ">表單已逾時</h1>" in response.content.decode()


def test_an_error_page_sets_no_csrf_cookie_under_the_persons_open_forms(client):
    # A browser's favicon fetch may come without cookies; its answer must not replace the CSRF cookie that the
    # person's open forms were rendered with (a sign-in then refused as "CSRF token incorrect").
    response = client.get("/elearn/no-such-page")
    assert response.status_code == 404
    assert "csrftoken" not in response.cookies
    assert "csrfmiddlewaretoken" not in response.content.decode()


def test_pages_name_their_icon_and_favicon_ico_leads_to_it(client):
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in client.get("/").content.decode()
    response = client.get("/favicon.ico")
    # temporary: the icon's collected name carries its content hash and changes with it
    assert (response.status_code, response["Location"]) == (302, "/static/favicon.svg")
