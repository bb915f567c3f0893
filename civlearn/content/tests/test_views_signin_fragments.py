"""The eCPA sign-in page's cached fragments of content (identity/signin.html: the announcements pinned to it and the
help links): the next sign-in page after any change shows it, in every language; nothing personal is shared."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from civlearn.content.models import Announcement, Audience, HelpPage
from civlearn.core import clock
from civlearn.testing.signin_page import signin_page


def announce(title: str, **values) -> Announcement:
    values.setdefault("published_on", clock.today() - dt.timedelta(days=1))
    values.setdefault("on_signin_page", True)
    return Announcement.objects.create(title=title, **values)


def help_page(title: str) -> HelpPage:
    return HelpPage.objects.create(slug="browser", section=HelpPage.SIGNIN, title=title, body="x")


def test_a_new_announcement_shows_on_the_next_sign_in_page_in_each_language(client, english_visitor, db):
    # Given both languages' sign-in pages cached without announcements
    assert "登入頁公告" not in signin_page(client)
    assert "登入頁公告" not in signin_page(english_visitor)

    # When an operator publishes one pinned to the sign-in page
    announce("登入頁公告")

    # Then the next sign-in page shows it, under each language's heading
    page = signin_page(client)
    assert '<h2 id="pinned-title">最新公告</h2>' in page and "登入頁公告" in page
    page = signin_page(english_visitor)
    assert '<h2 id="pinned-title">Announcements</h2>' in page and "登入頁公告" in page


@pytest.mark.parametrize("make", [announce, help_page], ids=["announcement", "help page"])
def test_an_edited_unpublished_or_deleted_item_changes_the_next_sign_in_page(client, english_visitor, db, make):
    item = make("舊標題")
    assert "舊標題" in signin_page(client) and "舊標題" in signin_page(english_visitor)

    item.title = "新標題"
    item.save()
    assert "新標題" in signin_page(client) and "舊標題" not in signin_page(client)
    assert "新標題" in signin_page(english_visitor)

    item.is_published = False
    item.save()
    assert "新標題" not in signin_page(client) and "新標題" not in signin_page(english_visitor)

    item.is_published = True
    item.save()
    assert "新標題" in signin_page(client)
    item.delete()
    assert "新標題" not in signin_page(client) and "新標題" not in signin_page(english_visitor)


def test_limiting_an_announcement_to_agencies_takes_it_off_the_next_sign_in_page(client, agency, db):
    item = announce("限定機關")
    assert "限定機關" in signin_page(client)

    item.agencies.add(agency)

    assert "限定機關" not in signin_page(client)

    item.agencies.clear()

    assert "限定機關" in signin_page(client)


def test_an_announcement_appears_on_its_first_day_and_leaves_after_its_last(client, db):
    tomorrow = clock.today() + dt.timedelta(days=1)
    announce("明天起", published_on=tomorrow, show_until=tomorrow)
    assert "明天起" not in signin_page(client)

    clock.advance(dt.timedelta(days=1))
    assert "明天起" in signin_page(client)

    clock.advance(dt.timedelta(days=1))
    assert "明天起" not in signin_page(client)


def test_a_signed_in_visitor_sees_their_own_announcements_and_never_shares_them(client, hr_officer, db):
    announce("給人事", audience=Audience.HR)
    visitor = Client()
    assert "給人事" not in signin_page(visitor)

    client.force_login(hr_officer)
    assert "給人事" in signin_page(client)

    # The anonymous fragment is still the one without it, and the officer's page never came from it.
    assert "給人事" not in signin_page(visitor)
    assert "給人事" in signin_page(client)


def test_help_links_follow_every_change_to_the_sign_in_help_pages(client, english_visitor, db):
    assert "signin-help-title" not in signin_page(client)
    assert "signin-help-title" not in signin_page(english_visitor)

    page = help_page("首次登入與瀏覽器設定")
    assert '<a href="/ecpa/help/browser/">首次登入與瀏覽器設定</a>' in signin_page(client)
    html = signin_page(english_visitor)
    assert '<h2 id="signin-help-title">Sign-in help</h2>' in html and "首次登入與瀏覽器設定" in html

    # (its edits: test_an_edited_unpublished_or_deleted_item_changes_the_next_sign_in_page)
    page.title = "瀏覽器設定"
    page.save()
    assert '<a href="/ecpa/help/browser/">瀏覽器設定</a>' in signin_page(client)


def test_a_repeat_sign_in_page_reads_nothing_from_the_database(client, db, django_assert_num_queries):
    announce("登入頁公告")
    help_page("首次登入與瀏覽器設定")
    signin_page(Client())

    with django_assert_num_queries(0):
        page = signin_page(client)

    assert "登入頁公告" in page and "首次登入與瀏覽器設定" in page


def test_each_browser_gets_a_token_of_its_own_secret_with_the_cached_page(db):
    # Given a first browser's page (its fragments now cached)
    first = Client(enforce_csrf_checks=True)
    signin_page(first)

    # When a second browser opens the page and signs in with the token its page carries
    second = Client(enforce_csrf_checks=True)
    html = signin_page(second)
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
    response = second.post("/ecpa/signin", {"csrfmiddlewaretoken": tokens.pop(), "login": "x", "password": "y"})

    # Then the token was accepted (the form's own refusal, not CSRF's), and the first browser's secret differs
    assert response.status_code == 200 and "帳號或密碼錯誤" in response.content.decode()
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value
