"""Admin for operators: 重要訊息, API clients of institutions; import jobs and reminders read-only.

The admin's change view runs in a transaction, so the audit event written in
save_model/delete_model commits or rolls back with the change.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import models

from civlearn.core import rocdate
from civlearn.core.services import audit_record, client_ip
from civlearn.hours.models import Announcement, ImportJob, InstitutionClient, ReminderRecord


class _Audited(admin.ModelAdmin):
    audit_fields: tuple[str, ...] = ()

    def save_model(self, request, obj, form, change):
        before = {name: form.initial.get(name) for name in self.audit_fields} if change else {}
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action=f"hours.{obj._meta.model_name}_{'change' if change else 'create'}",
            subject=obj,
            changes={
                name: [str(before.get(name)) if change else None, str(getattr(obj, name))]
                for name in self.audit_fields
                if not change or name in form.changed_data
            },
            ip_address=client_ip(request),
        )

    def delete_model(self, request, obj):
        audit_record(
            actor=request.user,
            action=f"hours.{obj._meta.model_name}_delete",
            subject=obj,
            changes={name: [str(getattr(obj, name)), None] for name in self.audit_fields},
            ip_address=client_ip(request),
        )
        super().delete_model(request, obj)


@admin.register(Announcement)
class AnnouncementAdmin(_Audited):
    list_display = ("title", "roc_date", "is_published", "pinned", "show_until")
    list_filter = ("is_published", "pinned")
    search_fields = ("title", "body")
    date_hierarchy = "published_on"
    fields = ("title", "published_on", "body", "link", "is_published", "pinned", "show_until")
    audit_fields = ("title", "published_on", "link", "is_published", "pinned", "show_until")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="公告日期（民國）", ordering="published_on")
    def roc_date(self, obj):
        return rocdate.format_compact(obj.published_on)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(InstitutionClient)
class InstitutionClientAdmin(_Audited):
    list_display = ("application", "institution", "is_active", "created_at")
    list_filter = ("is_active",)
    autocomplete_fields = ("application", "institution")
    audit_fields = ("application", "institution", "is_active")


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("file_name", "institution", "created_by", "status", "total_rows", "created_rows", "created_at")
    list_filter = ("status",)
    search_fields = ("file_name", "institution__code", "institution__name")
    exclude = ("errors",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReminderRecord)
class ReminderRecordAdmin(admin.ModelAdmin):
    list_display = ("person", "agency", "year", "sent_by", "sent_at")
    list_filter = ("year",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
