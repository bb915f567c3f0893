"""Operators register relying parties in the admin: DOT's application form with 連結系統設定 inline."""

from __future__ import annotations

import pytest
from oauth2_provider.models import get_application_model

from civlearn.core.models import AuditEvent
from civlearn.sso.models import RelyingParty
from civlearn.sso.tests.sso_support import INLINE, admin_client_form

Application = get_application_model()
PREFIX = INLINE


def _form(**overrides):
    return admin_client_form(
        **{
            f"{PREFIX}0-allowed_scopes": "openid profile agency",
            f"{PREFIX}0-code": "HR9",
            f"{PREFIX}0-entry_url": "https://hr.ntpc.example.tw/oidc/login",
            f"{PREFIX}0-order": "5",
            f"{PREFIX}0-listed": "on",
            **overrides,
        }
    )


@pytest.mark.parametrize(("first_party", "skip"), [("on", True), (None, False)])
def test_operator_registers_a_relying_party(client, operator, first_party, skip):
    # given an operator in the admin
    client.force_login(operator)

    # when they add an application with its 連結系統設定
    response = client.post("/admin/oauth2_provider/application/add/", _form(**{f"{PREFIX}0-first_party": first_party}))

    # then it is saved; first party ⇔ no consent page; the secret is stored hashed; the change is audited
    assert response.status_code == 302, response.content.decode()[:2000]
    application = Application.objects.get(client_id="ntpc-attendance")
    rp = application.relying_party
    assert (rp.first_party, application.skip_authorization) == (skip, skip)
    assert (rp.allowed_scopes, rp.code, rp.listed) == ("openid profile agency", "HR9", True)
    assert application.client_secret.startswith("client_hmac_sha256$")
    event = AuditEvent.objects.get(action="identity.relying_party_saved")
    assert event.actor == operator
    assert event.changes["first_party"] is skip
    assert event.changes["redirect_uris"] == "https://hr.ntpc.example.tw/oidc/callback"


def test_connected_systems_page_lists_only_listed_systems(client, learner):
    # given one listed and one unlisted relying party (besides the platform's own entries)
    from civlearn.sso.tests.sso_support import register_rp

    register_rp(name="新北市差勤系統", redirect_uri="https://hr.example.tw/cb", listed=True, code="HR9",
                entry_url="https://hr.example.tw/oidc/login")  # fmt: skip
    register_rp(name="內部測試系統", redirect_uri="https://t.example.tw/cb", listed=False)
    client.force_login(learner)

    # when the person opens 連結系統
    page = client.get("/ecpa/my/systems")

    # then the listed one is there, the unlisted one is not
    html = page.content.decode()
    assert page.status_code == 200
    assert "HR9: 新北市差勤系統" in html
    assert "內部測試系統" not in html
    assert 'aria-current="page">連結系統' in html

    # and entering it starts the system's own sign-in with eCPA's issuer (third-party initiated login)
    rp = RelyingParty.objects.get(code="HR9")
    enter = client.get(f"/ecpa/my/systems/{rp.pk}/enter")
    assert enter.status_code == 302
    assert enter["Location"] == "https://hr.example.tw/oidc/login?iss=http%3A%2F%2F127.0.0.1%3A8000%2Fo"


def test_connected_systems_need_a_signed_in_person(client, db):
    response = client.get("/ecpa/my/systems")
    assert response.status_code == 302
    assert response["Location"].startswith("/ecpa/signin")


def test_entering_a_system_follows_every_change_to_its_entry(client, learner, django_assert_num_queries):
    # Given a listed system entered once (its address now in the shared cache)
    from civlearn.sso.tests.sso_support import register_rp

    register_rp(name="差勤系統", redirect_uri="https://hr.example.tw/cb", listed=True, code="HR9",
                entry_url="https://hr.example.tw/oidc/login")  # fmt: skip
    rp = RelyingParty.objects.get(code="HR9")
    client.force_login(learner)
    url = f"/ecpa/my/systems/{rp.pk}/enter"
    assert client.get(url)["Location"].startswith("https://hr.example.tw/oidc/login?iss=")
    with django_assert_num_queries(2):  # the session and the signed-in account: no system row
        assert client.get(url)["Location"].startswith("https://hr.example.tw/oidc/login?iss=")

    # When an operator moves its entry address, the next entry goes there
    rp.entry_url = "https://hr2.example.tw/login?x=1"
    rp.save()
    assert client.get(url)["Location"].startswith("https://hr2.example.tw/login?x=1&iss=")

    # and when it is taken off the list, or deleted, there is nothing to enter
    rp.listed = False
    rp.save()
    assert client.get(url).status_code == 404
    rp.listed = True
    rp.save()
    assert client.get(url).status_code == 302
    rp.application.delete()
    assert client.get(url).status_code == 404
