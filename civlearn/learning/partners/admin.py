"""加盟機關 in the admin: operators review applications with the 核准 / 不核准 actions, which go through
`services.partner_decide` (permission checked and audited there); the application itself is read-only here."""

from __future__ import annotations

from django.contrib import admin, messages

from civlearn.core.services import client_ip
from civlearn.learning.models import PartnerAgency
from civlearn.learning.partners import services


@admin.register(PartnerAgency)
class PartnerAgencyAdmin(admin.ModelAdmin):
    list_display = ["agency", "status", "contact_name", "applied_at", "decided_at"]
    list_filter = ["status"]
    search_fields = ["agency__code", "agency__name", "contact_name"]
    actions = ["approve", "reject"]
    readonly_fields = ["agency", "status", "introduction", "contact_name", "contact_email", "contact_phone",
                       "applied_by", "applied_at", "decided_by", "decided_at", "decision_note"]  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _decide(self, request, queryset, *, approve: bool):
        for partner in queryset.select_related("agency"):
            services.partner_decide(actor=request.user, partner=partner, approve=approve, ip_address=client_ip(request))
        label = "核准" if approve else "不核准"
        self.message_user(request, f"已{label} {queryset.count()} 個機關的申請", messages.SUCCESS)

    @admin.action(description="核准所選的加盟機關申請")
    def approve(self, request, queryset):
        self._decide(request, queryset, approve=True)

    @admin.action(description="不核准所選的加盟機關申請")
    def reject(self, request, queryset):
        self._decide(request, queryset, approve=False)
