"""What operators publish for all three faces: announcements (最新公告 / 最新消息 / 重要訊息) with attachments, the
下載專區's documents, and help pages (簡易操作, 常見問題, the sign-in page's help links).

Files are stored through Django's default storage and served only by `views` (as attachments, never inline);
`files.check_upload` decides what may be stored. Markdown bodies are rendered and sanitised by `markup.render`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from civlearn.core.text import search_fold


class Audience(models.TextChoices):
    """Who an announcement is for. `selectors.audiences_of` says which of these a viewer belongs to."""

    EVERYONE = "all", "所有人"
    LEARNERS = "learners", "學習者"
    HR = "hr", "人事人員"
    INSTITUTIONS = "institutions", "學習機關(構)"
    OPERATORS = "operators", "系統管理者"


class Announcement(models.Model):
    """One announcement, shown on the faces ticked, to one audience (and, optionally, only some agencies' staff),
    from `published_on` to `show_until` (inclusive; empty = until withdrawn)."""

    title = models.CharField("標題", max_length=200)
    body = models.TextField("內容", blank=True, help_text="可使用 Markdown；顯示前會移除不安全的標記（例如 script）。")
    link = models.URLField("連結", blank=True)
    published_on = models.DateField("公告日期（顯示起日）")
    show_until = models.DateField("下架日期（顯示迄日）", null=True, blank=True, help_text="含當日；空白表示持續顯示")
    is_published = models.BooleanField("公開", default=True)
    pinned = models.BooleanField("置頂", default=False)
    on_signin_page = models.BooleanField("顯示於 eCPA 登入頁", default=False)
    on_ecpa = models.BooleanField("人事服務網 eCPA（最新公告）", default=True)
    on_elearn = models.BooleanField("e等公務園+（最新消息）", default=True)
    on_lifelong = models.BooleanField("終身學習入口網站（重要訊息）", default=True)
    audience = models.CharField("對象", max_length=16, choices=Audience.choices, default=Audience.EVERYONE)
    agencies = models.ManyToManyField(
        "registry.Agency",
        verbose_name="限定機關",
        blank=True,
        related_name="+",
        help_text="空白表示不限機關；選定後只有這些機關（不含所屬機關）的人員看得到",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="建立者",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField("更新時間", auto_now=True)

    class Meta:
        ordering = ["-pinned", "-published_on", "-id"]
        indexes = [models.Index(fields=["is_published", "-published_on"], name="content_announcement_current")]
        verbose_name = "公告"
        verbose_name_plural = "公告"

    def __str__(self) -> str:
        return self.title


class StoredFile(models.Model):
    """The facts of an uploaded file that a list shows (name, size, type), checked by `files.check_upload`."""

    file = models.FileField("檔案", upload_to="content/%Y/%m/", max_length=300)
    file_name = models.CharField("檔名", max_length=200, editable=False)
    size = models.PositiveBigIntegerField("大小（位元組）", editable=False, default=0)
    content_type = models.CharField("檔案類型", max_length=100, editable=False)
    uploaded_at = models.DateTimeField("上傳時間", editable=False)

    class Meta:
        abstract = True


class AnnouncementAttachment(StoredFile):
    announcement = models.ForeignKey(
        Announcement, verbose_name="公告", on_delete=models.CASCADE, related_name="attachments"
    )

    class Meta:
        ordering = ["id"]
        verbose_name = "公告附件"
        verbose_name_plural = "公告附件"

    def __str__(self) -> str:
        return self.file_name


class Download(StoredFile):
    """下載專區: a document operators publish (forms, manuals, the sign-in components' instructions)."""

    title = models.CharField("名稱", max_length=200)
    category = models.CharField("分類", max_length=40, blank=True, help_text="例如：表單、操作手冊、元件安裝說明")
    description = models.CharField("說明", max_length=300, blank=True)
    is_published = models.BooleanField("公開", default=True)
    order = models.PositiveSmallIntegerField("排序", default=0)
    updated_at = models.DateTimeField("更新時間", auto_now=True)

    class Meta:
        ordering = ["category", "order", "-uploaded_at", "id"]
        verbose_name = "下載專區文件"
        verbose_name_plural = "下載專區文件"

    def __str__(self) -> str:
        return self.title


class HelpPage(models.Model):
    """A help page in Markdown: 簡易操作 guides, 常見問題 (title = the question), the help pages the eCPA
    sign-in page links to, and the portal's site pages (網站宗旨, 本系統使用對象) at stable slugs (`SITE_PAGES`,
    seeded by migration 0003, shown at /lifelong/about/<slug>/ and linked from the portal's front page)."""

    GUIDE = "guide"
    FAQ = "faq"
    SIGNIN = "signin"
    SITE = "site"
    SECTION_CHOICES = [(GUIDE, "簡易操作"), (FAQ, "常見問題"), (SIGNIN, "登入說明"), (SITE, "終身學習入口網站頁面")]
    # The portal front page's menu links these slugs; operators edit their text, not their slugs.
    SITE_PURPOSE = "purpose"
    SITE_AUDIENCE = "audience"
    SITE_PAGES = (SITE_PURPOSE, SITE_AUDIENCE)

    slug = models.SlugField("代稱", max_length=60, unique=True, help_text="出現在網址中，例如 first-signin")
    section = models.CharField("類別", max_length=10, choices=SECTION_CHOICES, default=GUIDE)
    title = models.CharField("標題", max_length=200)
    body = models.TextField("內容（Markdown）", help_text="顯示前會移除不安全的標記（例如 script、事件屬性）。")
    is_published = models.BooleanField("公開", default=True)
    order = models.PositiveSmallIntegerField("排序", default=0)
    search_text = models.TextField(editable=False, default="")
    updated_at = models.DateTimeField("更新時間", auto_now=True)

    class Meta:
        ordering = ["section", "order", "id"]
        verbose_name = "說明頁面"
        verbose_name_plural = "說明頁面"

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        # The one searchable form (core.text.search_fold), matched against a folded query with a plain contains.
        self.search_text = search_fold(f"{self.title} {self.body}")
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)
