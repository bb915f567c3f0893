"""Single sign-on in Chromium: into e等公務園+ from 連結系統 without a second sign-in, and signing in through an
external provider (oidc-provider 8 on Node, as 我的E政府) that links to the right person."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from civlearn.sso.models import ExternalIdentity, ExternalProvider, RelyingParty
from civlearn.sso.tests.sso_support import node_provider, node_ready, register_rp
from civlearn.testing.browser import shoot
from civlearn.testing.required import skip_needing
from conftest import PASSWORD, make_account, make_person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NODE_SECRET = "node-client-secret-browser-0123456789"


def _first_party_entries():
    # The data migration registers them; a transactional test before this one may have flushed them.
    if not RelyingParty.objects.filter(entry_url="/elearn/").exists():
        register_rp(
            name="e等公務園+學習平臺",
            redirect_uri="",
            first_party=True,
            listed=True,
            entry_url="/elearn/",
            code="DL1",
        )


def _password_signin(page, login: str) -> None:
    page.goto("/ecpa/signin")
    form = page.locator('section[aria-labelledby="m-password"]')
    form.locator("#id_login").fill(login)
    form.locator("#id_password").fill(PASSWORD)
    form.get_by_role("button", name="登入").click()
    page.wait_for_url("**/ecpa/")


def test_enter_elearn_from_connected_systems_without_a_second_signin(page, learner):
    # given 王小明 signed in to eCPA
    _first_party_entries()
    _password_signin(page, "A123456789")
    page.locator(".ecpa-welcome").get_by_role("link", name="我的專區").click()  # 十: from 首頁 to 我的專區

    # when he opens 我的專區 → 連結系統
    page.get_by_role("link", name="連結系統").click()
    page.wait_for_url("**/ecpa/my/systems")
    assert page.get_by_role("heading", name="連結系統", level=1).is_visible()
    assert page.get_by_role("heading", name="非人事總處機關及系統").is_visible()
    shoot(page, "sso-connected-systems")

    # and chooses DL1: e等公務園+學習平臺
    page.get_by_role("link", name="DL1: e等公務園+學習平臺").click()

    # then he is in e等公務園+, signed in, without being asked to sign in again
    page.wait_for_url("**/elearn/**")
    assert "/ecpa/signin" not in page.url
    assert page.get_by_role("link", name="我的課程").is_visible()
    page.get_by_role("link", name="我的課程").click()
    page.wait_for_load_state()
    assert "/ecpa/signin" not in page.url
    shoot(page, "sso-elearn-entered")


@pytest.fixture(scope="module")
def node_issuer(live_server):
    problem = node_ready()
    if problem:
        skip_needing("node", problem)
    client = {
        "client_id": "myegov",
        "client_secret": NODE_SECRET,
        "redirect_uris": [f"{live_server.url}/ecpa/external/myegov/callback"],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "scope": "openid profile email national_id",
    }
    accounts = {
        "wang": {"name": "王小明", "email": "xiaoming@example.tw", "national_id": "A123456789"},
        "lin": {"name": "林美麗", "email": "meili@example.tw", "national_id": "F231104095"},
    }
    with node_provider(clients=[client], accounts=accounts) as issuer:
        yield issuer


def test_signin_through_the_external_provider_links_the_right_person(page, node_issuer, learner, agency):
    # given 我的E政府 is configured and vouches for national IDs; two people have eCPA accounts
    ExternalProvider.objects.create(
        slug="myegov",
        name="我的E政府",
        issuer=node_issuer,
        client_id="myegov",
        client_secret=NODE_SECRET,
        scopes="openid profile email national_id",
        national_id_claim="national_id",
    )
    lin = make_account(make_person(agency, "F231104095", "林美麗", email="meili@example.tw"))

    # when 林美麗 chooses 以我的E政府登入 on the eCPA sign-in page
    page.goto("/ecpa/signin")
    shoot(page, "sso-signin-external")
    page.get_by_role("link", name="以我的E政府登入").click()

    # and signs in and consents at the provider (its own pages)
    page.wait_for_url(f"{node_issuer}/interaction/**")
    page.locator('input[name="login"]').fill("lin")
    page.locator('input[name="password"]').fill("any")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()

    # then she is back in eCPA's 我的專區 as herself, her ID masked
    page.wait_for_url("**/ecpa/")
    body = page.locator("body").inner_text()
    assert "林美麗" in body
    assert "F23110****" in body
    assert "F231104095" not in page.content()
    shoot(page, "sso-external-signed-in")

    # and the external identity is linked to her account, not to anyone else's
    identity = ExternalIdentity.objects.get()
    assert (identity.user_id, identity.subject, identity.linked_by) == (lin.pk, "lin", "national_id")
    assert not ExternalIdentity.objects.filter(user=learner).exists()


def test_a_third_party_system_asks_for_consent_once(page, live_server, learner, monkeypatch):
    # given a third-party system registered by an operator, and 王小明 signed in
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    redirect = f"{live_server.url}/rp/callback"
    application = register_rp(name="新北市差勤系統", redirect_uri=redirect, scopes="openid profile email agency")
    _password_signin(page, "A123456789")
    query = urlencode(
        {
            "response_type": "code",
            "client_id": application.client_id,
            "redirect_uri": redirect,
            "scope": "openid profile agency",
            "state": "xyz",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        }
    )

    # when the system sends him to eCPA
    page.goto(f"/o/authorize/?{query}")

    # then he sees what it asks for, in words, and decides with the keyboard
    assert page.get_by_role("heading", name="「新北市差勤系統」要求使用您的 eCPA 帳號登入").is_visible()
    items = page.locator("#authorizationForm").locator("xpath=preceding::ul[1]/li").all_inner_texts()
    assert items == ["姓名", "服務機關、人員區分及身份別", "您在本平臺的識別編號"]
    shoot(page, "sso-consent")
    page.get_by_role("button", name="同意", exact=True).focus()
    with page.expect_request(lambda request: request.url.startswith(redirect)) as sent:
        page.keyboard.press("Enter")

    # and the system gets a code
    assert "code=" in sent.value.url
    assert "state=xyz" in sent.value.url
