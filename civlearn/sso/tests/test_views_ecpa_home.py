"""eCPA 首頁 (manual step 十二): who is signed in, 帳號登入 info, the latest announcements and the connected systems
in the manual's two groups at the bottom; the eCPA header's links on every eCPA page."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import translation

from civlearn.content.models import Announcement
from civlearn.core import clock


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_without_a_session_the_home_is_the_sign_in_page(client, db):
    response = client.get("/ecpa/")

    assert (response.status_code, response["Location"]) == (302, "/ecpa/signin")


def test_the_home_shows_the_person_the_sign_in_and_the_systems_in_the_manuals_groups(client, learner):
    from civlearn.sso.models import RelyingParty

    Announcement.objects.create(title="系統維護公告", published_on=clock.today() - dt.timedelta(days=1))
    client.force_login(learner)

    html = client.get("/ecpa/").content.decode()
    page = text(html)

    assert "國立臺中科技大學 王小明" in page
    assert "A12345****" in page and "A123456789" not in html
    assert "系統維護公告" in page
    # The platform's own systems are listed by migration (identity 0005): DL1 among 非人事總處機關及系統.
    dl1 = RelyingParty.objects.get(code="DL1")
    assert f'href="/ecpa/my/systems/{dl1.pk}/enter"><span class="code">DL1</span>: e等公務園+學習平臺</a>' in html
    groups = [group for group in ("人事總處系統", "非人事總處機關及系統") if f">{group}</h3>" in html]
    assert groups == [
        group
        for group, _ in RelyingParty.GROUP_CHOICES
        if RelyingParty.objects.filter(group=group, listed=True).exists()
    ]
    assert page.index("系統維護公告") < page.index("連結系統")


def test_every_ecpa_page_carries_the_header_links(client, db):
    html = client.get("/ecpa/signin").content.decode()

    for href, label in (("/ecpa/announcements/", "最新公告"), ("/ecpa/downloads/", "下載專區"),
                        ("/ecpa/agencies/", "機關組織")):  # fmt: skip
        assert f'<a href="{href}">{label}</a>' in html


def test_the_home_in_english(client, learner):
    client.force_login(learner)
    # The request activates English in this thread; override() puts the previous language back afterwards.
    with translation.override(translation.get_language()):
        client.post("/i18n/setlang/", {"language": "en", "next": "/ecpa/"})
        page = text(client.get("/ecpa/").content.decode())

    assert "Announcements" in page and "Downloads" in page and "Agency directory" in page
    assert "Choose a system below to enter it without signing in again." in page
