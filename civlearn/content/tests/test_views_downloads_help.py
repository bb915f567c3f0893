"""下載專區 and the help pages: downloads served as attachments; help search folded (台/臺); help content sanitised."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.utils import translation

from civlearn.content.models import Download, HelpPage
from civlearn.core import clock

ODS_NAME = "申請表.txt"


def make_download(title: str, data: bytes = "申請表內容\n".encode(), **values) -> Download:
    item = Download(title=title, file_name=ODS_NAME, size=len(data), content_type="text/plain",
                    uploaded_at=clock.now(), **values)  # fmt: skip
    item.file.save(ODS_NAME, ContentFile(data), save=True)
    return item


def test_the_download_list_shows_name_size_and_date_and_serves_the_file(client, db, media_root):
    item = make_download("加盟機關申請表", category="表單")
    make_download("未公開文件", is_published=False)

    page = client.get("/ecpa/downloads/").content.decode()
    response = client.get(f"/ecpa/downloads/{item.pk}/file")

    assert "加盟機關申請表" in page and "未公開文件" not in page
    assert "16\xa0位元組" in page
    assert clock.today().strftime("/%m/%d") in page
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == "申請表內容\n".encode()


def test_an_unpublished_or_missing_download_is_not_found(client, db, media_root):
    hidden = make_download("未公開文件", is_published=False)

    assert client.get(f"/ecpa/downloads/{hidden.pk}/file").status_code == 404
    assert client.get("/ecpa/downloads/999/file").status_code == 404


def test_help_search_folds_tai_and_full_width(client, db):
    HelpPage.objects.create(slug="taichung", section=HelpPage.FAQ, title="臺中地區機關代碼", body="請查機關組織")
    HelpPage.objects.create(slug="pw", section=HelpPage.FAQ, title="忘記密碼", body="重設 ABC")

    by_tai = client.get("/elearn/help/", {"q": "台中"}).content.decode()
    by_full_width = client.get("/elearn/help/", {"q": "ａｂｃ"}).content.decode()

    assert "臺中地區機關代碼" in by_tai and "忘記密碼" not in by_tai
    assert "「台中」找到 1 筆" in by_tai
    assert "忘記密碼" in by_full_width and "臺中地區機關代碼" not in by_full_width


def test_a_help_page_renders_markdown_without_scripts(client, db):
    HelpPage.objects.create(
        slug="guide", title="簡易操作", body="## 步驟\n\n<script>document.title='x'</script>1. 報名"
    )

    page = client.get("/elearn/help/guide/").content.decode()

    assert "<h2>步驟</h2>" in page
    assert "document.title" not in page
    assert client.get("/elearn/help/nope/").status_code == 404


def test_help_search_and_pages_in_english(client, db):
    HelpPage.objects.create(slug="guide", title="簡易操作", body="x")

    # The request activates English in this thread; override() puts the previous language back afterwards.
    with translation.override(translation.get_language()):
        client.post("/i18n/setlang/", {"language": "en", "next": "/elearn/help/"})
        page = client.get("/elearn/help/").content.decode()

    assert "Quick guide and FAQ" in page
    assert "Search help" in page
