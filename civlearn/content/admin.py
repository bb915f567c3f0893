"""Operators manage announcements (with attachments), 下載專區 documents and help pages here, in Chinese.

The admin's change view runs in a transaction, so the audit event written in save_model / save_formset /
delete_model commits or rolls back with the change. Uploaded files pass `files.check_upload` in the form's clean,
so a refused file leaves nothing behind.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import models

from civlearn.content.files import check_upload
from civlearn.content.models import Announcement, AnnouncementAttachment, Download, HelpPage
from civlearn.core import clock, rocdate
from civlearn.core.admin import AuditedModelAdmin
from civlearn.core.services import audit_record, client_ip


class _CheckedFileForm(forms.ModelForm):
    """Runs the upload rule on a newly chosen file and fills in its name, size and detected type."""

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is not None and hasattr(upload, "content_type"):
            checked = check_upload(upload)
            self.instance.file_name = checked.file_name
            self.instance.size = checked.size
            self.instance.content_type = checked.content_type
            self.instance.uploaded_at = clock.now()
        return upload


class AttachmentInline(admin.TabularInline):
    model = AnnouncementAttachment
    form = _CheckedFileForm
    fields = ("file", "file_name", "size", "content_type")
    readonly_fields = ("file_name", "size", "content_type")
    extra = 1


@admin.register(Announcement)
class AnnouncementAdmin(AuditedModelAdmin):
    list_display = ("title", "roc_date", "audience", "on_ecpa", "on_elearn", "on_lifelong", "is_published", "pinned")
    list_filter = ("is_published", "pinned", "audience", "on_ecpa", "on_elearn", "on_lifelong", "on_signin_page")
    search_fields = ("title", "body")
    date_hierarchy = "published_on"
    filter_horizontal = ("agencies",)
    inlines = [AttachmentInline]
    fieldsets = [
        (None, {"fields": ("title", "body", "link")}),
        ("期間", {"fields": ("published_on", "show_until", "is_published", "pinned")}),
        (
            "顯示位置與對象",
            {"fields": ("on_ecpa", "on_elearn", "on_lifelong", "on_signin_page", "audience", "agencies")},
        ),
    ]
    audit_fields = (
        "title", "published_on", "show_until", "link", "is_published", "pinned", "on_ecpa", "on_elearn",
        "on_lifelong", "on_signin_page", "audience",
    )  # fmt: skip
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="公告日期（民國）", ordering="published_on")
    def roc_date(self, obj):
        return rocdate.format_compact(obj.published_on)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        deleted = [(f.instance.pk, f.instance.file_name) for f in formset.deleted_forms if f.instance.pk]
        super().save_formset(request, form, formset, change)
        for attachment in formset.new_objects:
            audit_record(
                actor=request.user,
                action="content.announcementattachment_create",
                subject=attachment,
                changes={"announcement": [None, attachment.announcement_id], "file_name": [None, attachment.file_name],
                         "size": [None, attachment.size], "content_type": [None, attachment.content_type]},
                ip_address=client_ip(request),
            )  # fmt: skip
        for pk, name in deleted:
            audit_record(
                actor=request.user,
                action="content.announcementattachment_delete",
                subject_type="content.announcementattachment",
                subject_id=pk,
                changes={"file_name": [name, None]},
                ip_address=client_ip(request),
            )


@admin.register(Download)
class DownloadAdmin(AuditedModelAdmin):
    form = _CheckedFileForm
    list_display = ("title", "category", "file_name", "size", "uploaded_at", "is_published", "order")
    list_filter = ("is_published", "category")
    search_fields = ("title", "description", "file_name")
    fields = ("title", "category", "description", "file", "file_name", "size", "content_type", "is_published", "order")
    readonly_fields = ("file_name", "size", "content_type")
    audit_fields = ("title", "category", "description", "file_name", "size", "content_type", "is_published", "order")


@admin.register(HelpPage)
class HelpPageAdmin(AuditedModelAdmin):
    list_display = ("title", "section", "slug", "is_published", "order", "updated_at")
    list_filter = ("section", "is_published")
    search_fields = ("title", "body", "slug")
    fields = ("section", "title", "slug", "body", "is_published", "order")
    audit_fields = ("section", "title", "slug", "body", "is_published", "order")
