"""Signing in through an external OpenID Connect provider — a real, independent one: the `oidc-provider` npm
package (v8) started from bench/oidc_node/provider.mjs — over HTTP, as a browser would (requests follows the
redirects and submits the provider's own sign-in and consent forms)."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest
import requests

from civlearn.core.models import AuditEvent
from civlearn.identity.models import SigninRecord, User
from civlearn.sso import external
from civlearn.sso.models import ExternalIdentity, ExternalProvider
from civlearn.sso.tests.sso_support import node_provider, node_ready, signed_in_session
from civlearn.testing.required import skip_needing
from conftest import PASSWORD, make_account, make_person

pytestmark = pytest.mark.django_db(transaction=True)

NODE_SECRET = "node-client-secret-0123456789abcdef"
ACCOUNTS = {
    "alice": {"name": "王小明", "email": "xiaoming@example.tw", "national_id": "A123456789"},
    "bob": {"name": "陳大華", "email": "dahua@example.tw", "national_id": "B120000008"},
    "carol": {"name": "林美麗", "email": "meili@example.tw"},
}


@pytest.fixture(scope="module")
def node_issuer(live_server):
    problem = node_ready()
    if problem:
        skip_needing("node", problem)
    clients = [
        {
            "client_id": slug,
            "client_secret": NODE_SECRET,
            "redirect_uris": [f"{live_server.url}/ecpa/external/{slug}/callback"],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": "openid profile email national_id",
        }
        for slug in ("myegov", "social")
    ]
    with node_provider(clients=clients, accounts=ACCOUNTS) as issuer:
        yield issuer


@pytest.fixture
def myegov(node_issuer):
    return ExternalProvider.objects.create(
        slug="myegov",
        name="我的E政府",
        issuer=node_issuer,
        client_id="myegov",
        client_secret=NODE_SECRET,
        scopes="openid profile email national_id",
        national_id_claim="national_id",
    )


@pytest.fixture
def social(node_issuer):
    # A provider that does not vouch for national IDs.
    return ExternalProvider.objects.create(
        slug="social",
        name="社群帳號",
        issuer=node_issuer,
        client_id="social",
        client_secret=NODE_SECRET,
        scopes="openid profile email",
    )


def sign_in_at_provider(base: str, issuer: str, slug: str, login: str, browser=None) -> requests.Response:
    """Start at eCPA, sign in and consent at the Node provider, come back. Returns the last response."""
    browser = browser or requests.Session()
    page = browser.get(f"{base}/ecpa/external/{slug}/start", timeout=30)
    assert page.url.startswith(issuer + "/interaction/"), page.url
    action = re.search(r'action="([^"]+)"', page.text).group(1)
    page = browser.post(
        urljoin(page.url, action), data={"prompt": "login", "login": login, "password": "x"}, timeout=10
    )
    if page.url.startswith(issuer + "/interaction/"):
        action = re.search(r'action="([^"]+)"', page.text).group(1)
        page = browser.post(urljoin(page.url, action), data={"prompt": "consent"}, timeout=30)
    page.browser = browser
    return page


def test_verified_national_id_links_the_registry_person(live_server, myegov, learner):
    # given 王小明 has an eCPA account, and 我的E政府 vouches for national IDs
    base = live_server.url

    # when he signs in through 我的E政府
    page = sign_in_at_provider(base, myegov.issuer, "myegov", "alice")

    # then he lands in My Area as himself, linked by the national-ID claim
    assert page.url == f"{base}/ecpa/"
    assert "王小明" in page.text
    identity = ExternalIdentity.objects.get()
    assert (identity.user_id, identity.subject, identity.linked_by) == (learner.pk, "alice", "national_id")
    record = SigninRecord.objects.filter(user=learner).latest("at")
    assert (record.method, record.success) == ("ext", True)
    assert external.account_source(learner) == "我的E政府"
    assert AuditEvent.objects.filter(action="identity.external_linked", subject_id=str(learner.pk)).count() == 1

    # when he comes back another day, the link is used again (no second link)
    again = sign_in_at_provider(base, myegov.issuer, "myegov", "alice")
    assert again.url == f"{base}/ecpa/"
    assert ExternalIdentity.objects.count() == 1
    assert SigninRecord.objects.filter(user=learner, method="ext", success=True).count() == 2


def test_a_registry_person_without_an_account_gets_one(live_server, myegov, agency):
    # given 陳大華 is in the registry but never did the eCPA first sign-in
    person = make_person(agency, "B120000008", "陳大華")

    # when he signs in through 我的E政府
    page = sign_in_at_provider(live_server.url, myegov.issuer, "myegov", "bob")

    # then an account is created for his registry record, without a password
    assert page.url == f"{live_server.url}/ecpa/"
    user = User.objects.get(person=person)
    assert not user.has_usable_password()
    assert user.email == "dahua@example.tw"
    assert ExternalIdentity.objects.get().user == user


def test_a_national_id_not_in_the_registry_is_refused(live_server, myegov, agency):
    # given nobody in the registry has bob's national ID
    # when bob signs in through 我的E政府
    page = sign_in_at_provider(live_server.url, myegov.issuer, "myegov", "bob")

    # then he is told why, and nothing was created
    assert page.status_code == 400
    assert "人事資料庫查無您的資料，無法以我的E政府登入；請洽服務機關人事單位" in page.text
    assert User.objects.count() == 0
    assert ExternalIdentity.objects.count() == 0


def test_without_a_national_id_claim_the_person_proves_who_they_are_through_ecpa(live_server, social, agency):
    # given 林美麗 has an eCPA account; the social provider says nothing about national IDs
    base = live_server.url
    user = make_account(make_person(agency, "F231104095", "林美麗", email="meili@example.tw"))

    # when she signs in through it
    page = sign_in_at_provider(base, social.issuer, "social", "carol")

    # then she is asked to sign in with eCPA once (the sign-in then ends where the link is made), nothing linked yet
    assert page.url == f"{base}/ecpa/signin?next=%2Fecpa%2Fexternal%2Flink"
    assert "您的社群帳號帳號尚未與 eCPA 帳號連結" in page.text
    assert ExternalIdentity.objects.count() == 0

    # when she signs in with her eCPA password in the same browser
    browser = page.browser
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    done = browser.post(
        page.url,
        data={"csrfmiddlewaretoken": token, "login": "F231104095", "password": PASSWORD},
        headers={"Referer": f"{base}/ecpa/signin"},
        timeout=30,
    )

    # then the link is made, and next time the social provider signs her straight in
    assert done.url == f"{base}/ecpa/"
    identity = ExternalIdentity.objects.get()
    assert (identity.user_id, identity.subject, identity.linked_by) == (user.pk, "carol", "verification")
    again = sign_in_at_provider(base, social.issuer, "social", "carol")
    assert again.url == f"{base}/ecpa/"
    assert "林美麗" in again.text


def test_a_replayed_callback_is_refused(live_server, myegov, learner):
    # given a completed sign-in
    page = sign_in_at_provider(live_server.url, myegov.issuer, "myegov", "alice")
    callback = page.history[-1].url if page.history else ""
    assert "/ecpa/external/myegov/callback?" in callback
    records = SigninRecord.objects.count()

    # when the same callback address is opened again in another browser
    replay = signed_in_session(live_server.url, "A123456789", PASSWORD).get(callback, timeout=30)

    # then it is refused (nothing pending in that session), and no sign-in is recorded
    assert replay.status_code == 400
    assert "我的E政府登入未完成，請重新操作" in replay.text
    assert SigninRecord.objects.count() == records + 1  # only the password sign-in of the second browser


def test_a_provider_whose_discovery_names_another_issuer_is_not_used(live_server, node_issuer, learner):
    # given an operator typed the issuer with a trailing slash (the provider says it without one)
    ExternalProvider.objects.create(
        slug="myegov", name="我的E政府", issuer=node_issuer + "/", client_id="myegov", client_secret=NODE_SECRET
    )

    # when someone chooses it
    page = requests.get(f"{live_server.url}/ecpa/external/myegov/start", timeout=30)

    # then nobody is sent there, and they are told to use eCPA
    assert page.status_code == 503
    assert "目前無法連線至我的E政府，請稍後再試或改用 eCPA 登入" in page.text
    assert SigninRecord.objects.count() == 0


def test_a_subject_linked_to_someone_else_is_not_relinked(agency, learner, db):
    # given alice at the social provider is linked to 王小明
    provider = ExternalProvider.objects.create(
        slug="social", name="社群帳號", issuer="https://idp.example", client_id="x"
    )
    ExternalIdentity.objects.create(provider=provider, subject="alice", user=learner, linked_by="verification")
    other = make_account(make_person(agency, "F231104095", "林美麗", email="meili@example.tw"))

    # when 林美麗 finishes a pending link for the same subject
    result = external.link_pending(user=other, pending={"provider": "social", "subject": "alice"}, ip_address=None)

    # then nothing changes
    assert result is None
    assert list(ExternalIdentity.objects.values_list("user_id", flat=True)) == [learner.pk]
