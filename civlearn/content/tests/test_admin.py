"""Operators manage announcements, downloads and help pages in the admin (in Chinese), every change audited; an
upload that fails the rule is refused with the reason and nothing is stored."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from civlearn.content.models import Announcement, AnnouncementAttachment, Download, HelpPage
from civlearn.core.models import AuditEvent

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"


def download_form(**overrides):
    data = {"title": "操作手冊", "category": "操作手冊", "description": "", "is_published": "on", "order": "0",
            "file": SimpleUploadedFile("手冊.pdf", PDF, content_type="application/pdf")}  # fmt: skip
    data.update(overrides)
    return data


def test_an_operator_uploads_a_download_and_it_is_audited(client, operator, media_root):
    client.force_login(operator)

    response = client.post("/admin/content/download/add/", download_form())

    assert response.status_code == 302
    item = Download.objects.get()
    assert (item.file_name, item.size, item.content_type) == ("手冊.pdf", len(PDF), "application/pdf")
    assert item.file.read() == PDF
    event = AuditEvent.objects.get(action="content.download_create")
    assert (event.actor, event.changes["title"], event.changes["size"]) == (
        operator,
        [None, "操作手冊"],
        [None, str(len(PDF))],
    )


def test_a_disguised_file_is_refused_with_the_reason_and_nothing_is_stored(client, operator, media_root):
    client.force_login(operator)
    fake = SimpleUploadedFile("手冊.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf")

    response = client.post("/admin/content/download/add/", download_form(file=fake))

    assert response.status_code == 200
    assert "「手冊.pdf」的內容不是允許的檔案類型" in response.content.decode()
    assert Download.objects.count() == 0
    assert AuditEvent.objects.filter(action__startswith="content.").count() == 0
    assert not (media_root.exists() and any(path.is_file() for path in media_root.rglob("*")))


def test_an_announcement_with_an_attachment_is_audited_both(client, operator, media_root):
    client.force_login(operator)

    response = client.post(
        "/admin/content/announcement/add/",
        {"title": "新版上線", "body": "**說明**", "link": "", "published_on": "2026-12-01", "show_until": "",
         "is_published": "on", "on_ecpa": "on", "audience": "all",
         "attachments-TOTAL_FORMS": "1", "attachments-INITIAL_FORMS": "0",
         "attachments-0-file": SimpleUploadedFile("說明.pdf", PDF)},
    )  # fmt: skip

    assert response.status_code == 302
    item = Announcement.objects.get()
    assert (item.on_ecpa, item.on_elearn, item.on_lifelong, item.created_by) == (True, False, False, operator)
    attachment = AnnouncementAttachment.objects.get()
    assert (attachment.announcement, attachment.file_name, attachment.content_type) == (
        item,
        "說明.pdf",
        "application/pdf",
    )
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {
        "content.announcement_create",
        "content.announcementattachment_create",
    }


def test_a_help_page_change_is_audited_with_old_and_new_values(client, operator):
    page = HelpPage.objects.create(slug="guide", title="舊標題", body="x")
    client.force_login(operator)

    response = client.post(
        f"/admin/content/helppage/{page.pk}/change/",
        {"section": "guide", "title": "新標題", "slug": "guide", "body": "x", "is_published": "on", "order": "0"},
    )

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="content.helppage_change")
    assert event.changes == {"title": ["舊標題", "新標題"]}


@pytest.mark.parametrize("url", ["/admin/content/download/add/", "/admin/content/helppage/add/"])
def test_people_who_are_not_operators_cannot_edit(client, hr_officer, url):
    client.force_login(hr_officer)
    help_pages = HelpPage.objects.count()  # the portal's site pages, seeded by migration

    response = client.post(url, {"title": "x"})

    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert Download.objects.count() == 0 and HelpPage.objects.count() == help_pages
