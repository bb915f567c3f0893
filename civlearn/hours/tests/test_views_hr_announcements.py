"""重要訊息: operators publish them in the admin (civlearn.content's one announcements model, audited); the portal
front page lists them as in the manual."""

from __future__ import annotations

import datetime as dt

from civlearn.content.models import Announcement
from civlearn.core import clock
from civlearn.core.models import AuditEvent


def test_an_operator_publishes_in_the_admin_and_the_front_page_shows_it(client, operator):
    client.force_login(operator)

    response = client.post(
        "/admin/content/announcement/add/",
        {"title": "113年1月1日起課程類別代碼表", "published_on": "2023-12-28", "body": "", "link": "",
         "is_published": "on", "show_until": "", "on_lifelong": "on", "audience": "all",
         "attachments-TOTAL_FORMS": "0", "attachments-INITIAL_FORMS": "0"},
    )  # fmt: skip

    assert response.status_code == 302
    item = Announcement.objects.get()
    assert item.created_by == operator
    event = AuditEvent.objects.get(action="content.announcement_create")
    assert event.changes["title"] == [None, "113年1月1日起課程類別代碼表"]
    client.logout()
    front = client.get("/lifelong/").content.decode()
    assert "[1121228]" in front
    assert "113年1月1日起課程類別代碼表" in front


def test_current_announcements_in_the_manuals_order_and_window(client, db):
    today = clock.today()
    Announcement.objects.create(title="舊訊息", published_on=dt.date(2012, 9, 7))
    Announcement.objects.create(title="遠距學習", published_on=dt.date(2022, 1, 1))
    Announcement.objects.create(title="置頂", published_on=dt.date(2020, 1, 1), pinned=True)
    Announcement.objects.create(title="未公開", published_on=dt.date(2022, 1, 1), is_published=False)
    Announcement.objects.create(title="已下架", published_on=dt.date(2022, 1, 1), show_until=today - dt.timedelta(1))
    Announcement.objects.create(title="未來", published_on=today + dt.timedelta(days=1))

    page = client.get("/lifelong/announcements/").content.decode()

    shown = [title for title in ("置頂", "遠距學習", "舊訊息", "未公開", "已下架", "未來") if title in page]
    assert shown == ["置頂", "遠距學習", "舊訊息"]
    assert page.index("置頂") < page.index("遠距學習") < page.index("舊訊息")
    assert "[1110101]" in page and "[1010907]" in page


def test_people_who_are_not_operators_cannot_edit_announcements(client, hr_officer):
    client.force_login(hr_officer)

    response = client.post("/admin/content/announcement/add/", {"title": "x", "published_on": "2024-01-01"})

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert Announcement.objects.count() == 0
