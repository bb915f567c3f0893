"""Announcements on the three faces: per face, audience, agency and period; attachments served as downloads only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile

from civlearn.content.models import Announcement, AnnouncementAttachment, Audience
from civlearn.core import clock

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"


def announce(title: str, **values) -> Announcement:
    values.setdefault("published_on", clock.today() - dt.timedelta(days=1))
    return Announcement.objects.create(title=title, **values)


def titles(client, url: str) -> list[str]:
    page = client.get(url).content.decode()
    return [
        t
        for t in ("置頂", "給所有人", "給人事", "給管理者", "限本機關", "限他機關", "只在入口網", "已下架", "未來")
        if t in page
    ]


@pytest.fixture
def announcements(agency, other_agency):
    today = clock.today()
    announce("給所有人", published_on=today - dt.timedelta(days=2))
    announce("置頂", published_on=today - dt.timedelta(days=30), pinned=True)
    announce("給人事", audience=Audience.HR)
    announce("給管理者", audience=Audience.OPERATORS)
    announce("限本機關").agencies.add(agency)
    announce("限他機關").agencies.add(other_agency)
    announce("只在入口網", on_ecpa=False, on_elearn=False)
    announce("已下架", show_until=today - dt.timedelta(days=1))
    announce("未來", published_on=today + dt.timedelta(days=1))


def test_a_visitor_sees_what_is_for_everyone_pinned_first(client, announcements):
    assert titles(client, "/ecpa/announcements/") == ["置頂", "給所有人"]
    page = client.get("/ecpa/announcements/").content.decode()
    assert page.index("置頂") < page.index("給所有人")
    assert "<h1>最新公告</h1>" in page
    assert "<h1>最新消息</h1>" in client.get("/elearn/news/").content.decode()


def test_each_face_shows_its_own(client, announcements):
    assert "只在入口網" in client.get("/lifelong/announcements/").content.decode()
    assert "只在入口網" not in client.get("/elearn/news/").content.decode()


def test_hr_officers_see_theirs_and_their_agencys(client, announcements, hr_officer):
    client.force_login(hr_officer)

    assert titles(client, "/ecpa/announcements/") == ["置頂", "給所有人", "給人事", "限本機關"]


def test_a_learner_of_another_agency_sees_neither_hr_nor_agency_announcements(client, announcements, other_hr_officer):
    from civlearn.identity.models import AgencyRole

    AgencyRole.objects.filter(user=other_hr_officer).delete()
    client.force_login(other_hr_officer)

    assert titles(client, "/ecpa/announcements/") == ["置頂", "給所有人", "限他機關"]


def test_operators_see_every_audience(client, announcements, operator):
    client.force_login(operator)

    assert titles(client, "/elearn/news/") == ["置頂", "給所有人", "給管理者", "限本機關", "限他機關"]


def test_the_detail_page_shows_the_sanitised_body_and_hides_what_is_not_for_the_viewer(client, db):
    item = announce("新版上線", body="**重要**<script>alert(1)</script>")
    hidden = announce("給人事", audience=Audience.HR)

    page = client.get(f"/ecpa/announcements/{item.pk}/").content.decode()

    assert "<strong>重要</strong>" in page and "alert(1)" not in page
    assert client.get(f"/ecpa/announcements/{hidden.pk}/").status_code == 404
    assert client.get("/ecpa/announcements/999999/").status_code == 404


def test_an_attachment_downloads_as_an_attachment_never_inline(client, db, media_root):
    item = announce("附件公告")
    attachment = AnnouncementAttachment(
        announcement=item, file_name="說明.pdf", size=len(PDF), content_type="application/pdf", uploaded_at=clock.now()
    )
    attachment.file.save("說明.pdf", ContentFile(PDF), save=True)

    response = client.get(f"/ecpa/announcements/files/{attachment.pk}")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%E8%AA%AA%E6%98%8E.pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    Announcement.objects.filter(pk=item.pk).update(audience=Audience.HR)
    assert client.get(f"/ecpa/announcements/files/{attachment.pk}").status_code == 404


def test_the_sign_in_page_shows_pinned_announcements_and_the_help_links(client, db):
    from civlearn.content.models import HelpPage

    announce("登入頁公告", on_signin_page=True)
    announce("一般公告")
    HelpPage.objects.create(
        slug="first-signin-browser", section=HelpPage.SIGNIN, title="首次登入與瀏覽器設定", body="x"
    )

    page = client.get("/ecpa/signin").content.decode()

    assert "登入頁公告" in page and "一般公告" not in page
    assert '<a href="/ecpa/help/first-signin-browser/">首次登入與瀏覽器設定</a>' in page


def test_the_list_reads_a_bounded_number_of_queries(client, db, django_assert_max_num_queries):
    for n in range(30):
        announce(f"公告{n}")

    # session-free visitor: announcements, their agencies filter in the same query, attachments prefetch
    with django_assert_max_num_queries(3):
        response = client.get("/ecpa/announcements/")

    assert response.status_code == 200
