"""The pages of announcements, 下載專區 and help, on each face that shows them (parse, call a selector, render).

A face's page extends that face's layout (`BASES`); the rules of what a viewer sees are in `selectors`.
"""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from civlearn.content import selectors
from civlearn.content.markup import render as render_markdown
from civlearn.content.models import AnnouncementAttachment, Download, HelpPage

BASES = {
    "ecpa": "identity/base_ecpa.html",
    "elearn": "learning/base_learning.html",
    "lifelong": "hours/base_hours.html",
}
# The name each face gives its announcements (the manual's labels).
TITLES = {"ecpa": "最新公告", "elearn": "最新消息", "lifelong": "重要訊息"}


def _attachment_response(stored) -> FileResponse:
    """A stored file as a download, never rendered by the browser: attachment, its checked type, nosniff."""
    try:
        handle = stored.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=True, filename=stored.file_name, content_type=stored.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_GET
def announcement_list(request, face: str):
    items = selectors.announcements_current(face=face, user=request.user, limit=100)
    context = {"face": face, "base": BASES[face], "page_title": TITLES[face], "items": items}
    return render(request, "content/announcements.html", context)


@require_GET
def announcement_detail(request, face: str, pk: int):
    item = selectors.announcement_visible(face=face, user=request.user, pk=pk)
    if item is None:
        raise Http404
    context = {"face": face, "base": BASES[face], "page_title": TITLES[face], "item": item,
               "body": render_markdown(item.body)}  # fmt: skip
    return render(request, "content/announcement.html", context)


@require_GET
def attachment_download(request, pk: int):
    attachment = get_object_or_404(AnnouncementAttachment.objects.select_related("announcement"), pk=pk)
    # The attachment is served when its announcement is visible to this person on any face.
    visible = any(
        selectors.announcement_visible(face=face, user=request.user, pk=attachment.announcement_id)
        for face in selectors.FACES
    )
    if not visible:
        raise Http404
    return _attachment_response(attachment)


@require_GET
def download_list(request):
    return render(request, "content/downloads.html", {"items": selectors.downloads_published()})


@require_GET
def download_file(request, pk: int):
    return _attachment_response(get_object_or_404(Download, pk=pk, is_published=True))


@require_GET
def help_index(request, face: str):
    """簡易操作 and 常見問題, with a search over both (folded: 台/臺, full-width, case)."""
    query = request.GET.get("q", "").strip()[:100]
    pages = list(selectors.help_pages(query=query))
    context = {
        "face": face,
        "base": BASES[face],
        "query": query,
        "guides": [page for page in pages if page.section == HelpPage.GUIDE],
        "faqs": [(page, render_markdown(page.body)) for page in pages if page.section == HelpPage.FAQ],
        "signin_pages": [page for page in pages if page.section == HelpPage.SIGNIN],
        "found": len(pages),
    }
    return render(request, "content/help_index.html", context)


@require_GET
def help_page(request, face: str, slug: str):
    """A help page (ecpa, elearn) or one of the portal's site pages (lifelong: 網站宗旨, 本系統使用對象)."""
    page = selectors.help_page_published(slug=slug, site=face == "lifelong")
    if page is None:
        raise Http404
    context = {"face": face, "base": BASES[face], "page": page, "body": render_markdown(page.body)}
    return render(request, "content/help_page.html", context)
