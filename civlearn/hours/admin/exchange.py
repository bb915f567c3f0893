"""Admin for operators: API clients of institutions; import jobs and reminders read-only.

The admin's change view runs in a transaction, so the audit event written in
save_model/delete_model commits or rolls back with the change.
"""

from __future__ import annotations

from django.contrib import admin

from civlearn.core.admin import AuditedModelAdmin
from civlearn.hours.models import ImportJob, InstitutionClient, ReminderRecord


@admin.register(InstitutionClient)
class InstitutionClientAdmin(AuditedModelAdmin):
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
