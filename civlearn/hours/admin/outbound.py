"""Admin for operators: outbound hours destinations (with their last upload and last error, so failures are
visible) and their batches (civlearn/hours/outbound.py, docs/outbound-formats.md)."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from civlearn.core.services import audit_record
from civlearn.hours.models import OutboundBatch, OutboundDestination


@admin.register(OutboundDestination)
class OutboundDestinationAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "transport", "target", "is_active", "last_success_at", "last_error")
    readonly_fields = ("last_success_at", "last_error")


@admin.register(OutboundBatch)
class OutboundBatchAdmin(admin.ModelAdmin):
    list_display = ("reference", "destination", "status", "attempts", "created_at", "sent_at", "last_error")
    list_filter = ("destination", "status")
    readonly_fields = ("destination", "reference", "created_at", "payload", "attempts", "sent_at", "last_error")
    actions = ["retry"]

    @admin.action(description=_("重新嘗試傳送（下次執行 learning_outbound 時）"))
    def retry(self, request, queryset):
        # A batch that gave up goes back to the retry queue with a fresh attempt count.
        with transaction.atomic():
            for batch in queryset.select_for_update().filter(status=OutboundBatch.GAVE_UP):
                OutboundBatch.objects.filter(pk=batch.pk).update(status=OutboundBatch.FAILED, attempts=0)
                audit_record(
                    actor=request.user,
                    action="learning.outbound_retry",
                    subject=batch,
                    changes={"status": [batch.status, OutboundBatch.FAILED], "attempts": [batch.attempts, 0]},
                )
