"""The admin reads in one language: django-oauth-toolkit's block in zh-Hant; 連結系統 reachable on its own."""

from __future__ import annotations

import re

import pytest

from civlearn.core import clock
from civlearn.core.models import AuditEvent
from civlearn.sso.models import RelyingParty
from civlearn.sso.tests.sso_support import register_rp

pytestmark = pytest.mark.django_db


def test_the_admin_index_names_oauth_models_in_chinese(client, operator):
    client.force_login(operator)

    page = client.get("/admin/").content.decode()

    assert "OAuth／OIDC 權杖與應用程式" in page
    for name in ("OAuth 應用程式", "存取權杖", "更新權杖", "授權碼", "ID 權杖", "連結系統設定"):
        assert f">{name}</a>" in page, name
    for english in ("Django OAuth Toolkit", "Access tokens", "Refresh tokens", "Grants", "Id tokens", "Applications"):
        assert english not in page, english


def test_dot_field_labels_and_actions_read_in_chinese(client, operator):
    from oauth2_provider.models import AccessToken

    AccessToken.objects.create(user=operator, token="t" * 40, expires=clock.now(), scope="openid")
    client.force_login(operator)

    form = client.get("/admin/oauth2_provider/application/add/").content.decode()
    tokens = client.get("/admin/oauth2_provider/accesstoken/").content.decode()

    for label in ("用戶端識別碼", "重新導向網址", "用戶端類型", "授權類型", "用戶端密鑰", "簽章演算法"):
        assert label in form, label
    assert not re.search(r">(client ID|redirect URIs|client type|authorization grant type|algorithm):?<", form)
    assert "撤銷所選的存取權杖" in tokens
    assert "Revoke selected access tokens" not in tokens


def test_the_english_admin_has_english_names(client, operator):
    client.force_login(operator)

    text = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert ">OAuth applications</a>" in text and ">Access tokens</a>" in text
    assert "存取權杖" not in text


def test_connected_systems_are_reachable_and_edited_directly(client, operator):
    application = register_rp(name="新北市差勤系統", redirect_uri="https://hr.example.tw/cb", code="HR9")
    rp = RelyingParty.objects.get(application=application)
    client.force_login(operator)

    listing = client.get("/admin/sso/relyingparty/", {"q": "差勤"}).content.decode()
    assert "新北市差勤系統" in listing and "HR9" in listing
    change = client.get(f"/admin/sso/relyingparty/{rp.pk}/change/").content.decode()
    # The application is a search picker, not a raw id.
    assert 'data-ajax--url="/admin/autocomplete/"' in change

    response = client.post(
        f"/admin/sso/relyingparty/{rp.pk}/change/",
        {
            "application": application.pk,
            "code": "HR9",
            "group": RelyingParty.GROUP_OTHER,
            "listed": "on",
            "order": "3",
            "entry_url": "https://hr.example.tw/oidc/login",
            "description": "差勤",
            "first_party": "on",
            "allowed_scopes": "openid profile",
        },
    )

    assert response.status_code == 302, response.content.decode()[:1500]
    rp.refresh_from_db()
    application.refresh_from_db()
    assert (rp.listed, rp.first_party, rp.order, application.skip_authorization) == (True, True, 3, True)
    event = AuditEvent.objects.get(action="identity.relying_party_saved", actor=operator)
    assert event.changes["first_party"] is True
    assert event.changes["allowed_scopes"] == "openid profile"
