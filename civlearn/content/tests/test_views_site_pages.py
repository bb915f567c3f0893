"""網站宗旨 and 本系統使用對象: help pages of section "site", seeded by migration at stable slugs, edited by
operators in the admin (audited), shown at /lifelong/about/<slug>/ and linked from the portal's front page."""

from __future__ import annotations

import pytest

from civlearn.content.models import HelpPage
from civlearn.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_the_migration_seeds_both_pages_and_the_front_page_links_them(client):
    seeded = list(HelpPage.objects.filter(section=HelpPage.SITE).order_by("order").values_list("slug", "title"))
    assert seeded == [("purpose", "網站宗旨"), ("audience", "本系統使用對象")]

    front = client.get("/lifelong/").content.decode()
    assert '<a href="/lifelong/about/purpose/">網站宗旨</a>' in front
    assert '<a href="/lifelong/about/audience/">本系統使用對象</a>' in front

    page = client.get("/lifelong/about/audience/").content.decode()
    assert "<h1>本系統使用對象</h1>" in page
    assert "<li><strong>公務人員</strong>：查詢個人學習時數、報名課程、訂閱行事曆。</li>" in page
    assert 'lang="zh-Hant"' not in page  # zh-Hant is the page's own language


def test_an_operator_edits_the_page_and_it_shows_the_change_audited(client, operator):
    page = HelpPage.objects.get(slug="purpose")
    client.force_login(operator)

    response = client.post(
        f"/admin/content/helppage/{page.pk}/change/",
        {"section": "site", "title": "網站宗旨", "slug": "purpose", "body": "培養**終身學習**的公務文化。",
         "is_published": "on", "order": "1"},
    )  # fmt: skip

    assert response.status_code == 302
    shown = client.get("/lifelong/about/purpose/").content.decode()
    assert "<p>培養<strong>終身學習</strong>的公務文化。</p>" in shown
    event = AuditEvent.objects.get(action="content.helppage_change")
    assert event.actor == operator and list(event.changes) == ["body"]


def test_markup_that_could_run_is_removed(client, operator):
    HelpPage.objects.filter(slug="purpose").update(
        body='說明<script>alert("x")</script><img src="x" onerror="alert(1)">\n\n[連結](javascript:alert(1))'
    )
    shown = client.get("/lifelong/about/purpose/").content.decode()
    article = shown.split("<article", 1)[1].split("</article>", 1)[0]
    assert "<script" not in article and "onerror" not in article and 'href="javascript' not in article
    assert "說明" in article and "連結" in article


def test_english_marks_the_operators_text_as_zh_hant(client):
    client.cookies["django_language"] = "en"
    shown = client.get("/lifelong/about/purpose/").content.decode()
    assert '<article lang="zh-Hant">' in shown
    assert '<nav aria-label="You are here" class="breadcrumb"><a href="/lifelong/">Home</a>' in shown


def test_site_pages_stay_out_of_help_and_help_pages_out_of_the_portal(client):
    HelpPage.objects.create(slug="first-signin", title="第一次登入", body="步驟")
    assert client.get("/lifelong/about/first-signin/").status_code == 404
    assert client.get("/ecpa/help/purpose/").status_code == 404
    assert client.get("/ecpa/help/first-signin/").status_code == 200
    index = client.get("/ecpa/help/", {"q": "網站宗旨"}).content.decode()
    assert "/ecpa/help/purpose/" not in index
    HelpPage.objects.filter(slug="audience").update(is_published=False)
    assert client.get("/lifelong/about/audience/").status_code == 404
