"""Operators' admin for accounts: roles are granted here; account changes people make go through 我的專區."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.db import transaction

from civlearn.core.national_id import mask
from civlearn.core.services import audit_record, client_ip
from civlearn.identity.models import AgencyRole, EmailVerification, SigninRecord, User


class AdminSigninForm(AdminAuthenticationForm):
    """The admin login checks passwords through the eCPA sign-in (backends.AccountBackend): same throttle, lock and
    record. This form shows the sign-in's own message, e.g. how long the account stays locked."""

    def get_invalid_login_error(self):
        message = getattr(self.request, "civlearn_signin_error", "")
        if message:
            return ValidationError(message, code="invalid_login")
        return super().get_invalid_login_error()


admin.site.login_form = AdminSigninForm


class AgencyRoleInline(admin.TabularInline):
    model = AgencyRole
    extra = 0
    autocomplete_fields = ["agency"]


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "masked_id",
        "name",
        "username",
        "email",
        "is_active",
        "is_staff",
        "signin_count",
        "last_login",
    ]
    list_filter = ["is_active", "is_staff"]
    # "=" searches: an exact national ID or account name, never a partial scan over IDs.
    search_fields = ["=person__national_id", "=username", "email"]
    list_select_related = ["person"]
    # Passwords, sign-in figures and the person link are set by the sign-in flows, not typed here.
    readonly_fields = [
        "masked_id",
        "name",
        "password_changed_at",
        "signin_count",
        "last_login",
        "last_signin_ip",
        "date_joined",
    ]
    fields = [
        "masked_id",
        "name",
        "username",
        "email",
        "phone",
        "is_active",
        "is_staff",
        "is_superuser",
        "groups",
        "password_changed_at",
        "signin_count",
        "last_login",
        "last_signin_ip",
        "date_joined",
    ]
    filter_horizontal = ["groups"]
    inlines = [AgencyRoleInline]

    def has_add_permission(self, request):
        # Accounts come from the first sign-in (or `createsuperuser` for operators).
        return False

    @admin.display(description="身分證字號")
    def masked_id(self, obj):
        return mask(obj.person.national_id) if obj.person_id else ""

    @admin.display(description="姓名")
    def name(self, obj):
        return obj.display_name

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if change and form.changed_data:
                audit_record(
                    actor=request.user,
                    action="identity.account_changed_by_operator",
                    subject=obj,
                    changes={
                        name: [str(form.initial.get(name)), str(form.cleaned_data.get(name))]
                        for name in form.changed_data
                    },
                    ip_address=client_ip(request),
                )

    def save_formset(self, request, form, formset, change):
        with transaction.atomic():
            instances = formset.save()
            for role in instances:
                audit_record(
                    actor=request.user,
                    action="identity.role_granted",
                    subject=form.instance,
                    changes={
                        "agency": role.agency.code,
                        "role": role.role,
                        "include_subagencies": role.include_subagencies,
                    },
                    ip_address=client_ip(request),
                )
            for role in formset.deleted_objects:
                audit_record(
                    actor=request.user,
                    action="identity.role_revoked",
                    subject=form.instance,
                    changes={"agency": role.agency.code, "role": role.role},
                    ip_address=client_ip(request),
                )


@admin.register(SigninRecord)
class SigninRecordAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "method", "success", "ip_address"]
    list_filter = ["method", "success"]
    list_select_related = ["user__person"]
    search_fields = ["=user__username", "=ip_address"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EmailVerification)
class EmailVerificationAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "purpose",
        "person",
        "email",
        "expires_at",
        "verified_at",
        "used_at",
        "failed_attempts",
    ]
    list_filter = ["purpose"]
    list_select_related = ["person"]
    exclude = ["token_hash", "code_hash"]
    search_fields = ["=email"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
