"""The external providers' buttons on the eCPA sign-in page, a cached fragment (identity/signin.html): the next sign-in
page after a provider is added, renamed, switched off or deleted shows it, in every language; a `next` is never
shared."""

from __future__ import annotations

from django.test import Client

from civlearn.sso.models import ExternalProvider
from civlearn.testing.signin_page import signin_page


def test_the_buttons_follow_every_change_to_the_providers(client, english_visitor, db):
    # Given both languages' sign-in pages cached without providers
    assert 'id="m-external"' not in signin_page(client)
    assert 'id="m-external"' not in signin_page(english_visitor)

    # When an operator adds one, the next pages show its button
    provider = ExternalProvider.objects.create(
        slug="myegov", name="我的E政府", issuer="https://egov.example.tw", client_id="civlearn"
    )
    assert '<a class="button secondary" href="/ecpa/external/myegov/start">以我的E政府登入</a>' in signin_page(client)
    assert '<a class="button secondary" href="/ecpa/external/myegov/start">Sign in with 我的E政府</a>' in signin_page(
        english_visitor
    )

    provider.name = "我的E政府公務帳號"
    provider.save()
    assert ">以我的E政府公務帳號登入</a>" in signin_page(client)
    assert ">Sign in with 我的E政府公務帳號</a>" in signin_page(english_visitor)

    provider.is_active = False
    provider.save()
    assert 'id="m-external"' not in signin_page(client) and 'id="m-external"' not in signin_page(english_visitor)

    provider.is_active = True
    provider.save()
    assert ">以我的E政府公務帳號登入</a>" in signin_page(client)
    provider.delete()
    assert 'id="m-external"' not in signin_page(client) and 'id="m-external"' not in signin_page(english_visitor)


def test_a_next_address_reaches_only_the_page_that_asked_for_it(client, db):
    ExternalProvider.objects.create(slug="myegov", name="我的E政府", issuer="https://egov.example.tw", client_id="c")

    with_next = signin_page(client, "?next=/elearn/courses/")
    plain = signin_page(Client())
    again = signin_page(client, "?next=/lifelong/")

    assert 'href="/ecpa/external/myegov/start?next=/elearn/courses/"' in with_next
    assert 'href="/ecpa/external/myegov/start">' in plain and "next=" not in plain.split('id="m-external"')[1]
    assert 'href="/ecpa/external/myegov/start?next=/lifelong/"' in again
