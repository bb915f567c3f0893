from django.contrib import admin

from civlearn.core.models import AuditEvent
from civlearn.core.services import audit_record, client_ip


class AuditedModelAdmin(admin.ModelAdmin):
    """An operator's create, change and delete in the admin writes an audit event `<app>.<model>_<verb>` with the old
    and new values of `audit_fields`. The admin's views run in a transaction, so the event commits or rolls back with
    the change; the list page's bulk delete goes through delete_model one row at a time, so it is audited too."""

    audit_fields: tuple[str, ...] = ()

    @staticmethod
    def _value(obj, name: str) -> str | None:
        value = getattr(obj, name)
        return str(value) if value is not None else None

    def _action(self, obj, verb: str) -> str:
        return f"{obj._meta.app_label}.{obj._meta.model_name}_{verb}"

    def save_model(self, request, obj, form, change):
        before = {name: form.initial.get(name) for name in self.audit_fields} if change else {}
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action=self._action(obj, "change" if change else "create"),
            subject=obj,
            changes={
                name: [str(before.get(name)) if change else None, self._value(obj, name)]
                for name in self.audit_fields
                if not change or name in form.changed_data
            },
            ip_address=client_ip(request),
        )

    def delete_model(self, request, obj):
        audit_record(
            actor=request.user,
            action=self._action(obj, "delete"),
            subject=obj,
            changes={name: [self._value(obj, name), None] for name in self.audit_fields},
            ip_address=client_ip(request),
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "subject_type", "subject_id", "actor", "ip_address"]
    list_filter = ["action", "subject_type"]
    search_fields = ["subject_id", "action"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
