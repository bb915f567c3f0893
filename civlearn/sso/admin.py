"""Operators' admin for single sign-on: relying parties (DOT applications with our settings inline), external
providers, linked identities and signing keys.

django-oauth-toolkit imports `ApplicationAdmin` from here (setting `APPLICATION_ADMIN_CLASS`) while the admin site
is discovered; the other models are registered by that same import.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from oauth2_provider import admin as dot_admin
from oauth2_provider.admin import ApplicationAdmin as DotApplicationAdmin
from oauth2_provider.models import AbstractApplication

from civlearn.core.services import audit_record, client_ip
from civlearn.sso.clients import ALLOWED_ALGORITHMS, ALLOWED_GRANT_TYPES, client_problems
from civlearn.sso.models import ExternalIdentity, ExternalProvider, RelyingParty, SigningKey


class RelyingPartyInline(admin.StackedInline):
    model = RelyingParty
    can_delete = False
    fields = (
        "first_party",
        "allowed_scopes",
        "national_id_allowed",
        "listed",
        "group",
        "code",
        "entry_url",
        "description",
        "order",
    )


class ApplicationForm(forms.ModelForm):
    """DOT's application form offering only what oidc_server allows, and checking it the same way."""

    # No Meta: the admin builds the form for DOT's model and its fields (modelform_factory) on top of this class.

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, allowed in (("authorization_grant_type", ALLOWED_GRANT_TYPES), ("algorithm", ALLOWED_ALGORITHMS)):
            field = self.fields.get(name)
            if field is not None:
                field.choices = [(value, label) for value, label in field.choices if value in allowed]
        if "algorithm" in self.fields and not self.instance.pk:
            self.fields["algorithm"].initial = AbstractApplication.RS256_ALGORITHM

    def clean(self):
        cleaned = super().clean()
        self._problems = client_problems(
            grant_type=cleaned.get("authorization_grant_type") or "",
            algorithm=cleaned.get("algorithm") or "",
            redirect_uris=cleaned.get("redirect_uris") or "",
            post_logout_redirect_uris=cleaned.get("post_logout_redirect_uris") or "",
        )
        # A field its own validation already refused (a grant type outside the choices) keeps that message.
        refused = set(self.errors)
        self._problems = {field: ms for field, ms in self._problems.items() if field not in refused}
        for field, messages in self._problems.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
        return cleaned

    def full_clean(self):
        super().full_clean()
        # DOT's model check then finds the refused URIs missing and adds "redirect_uris cannot be empty": the
        # operator needs only the reason the URI was refused.
        for field, messages in getattr(self, "_problems", {}).items():
            if field in self.fields and self._errors is not None:
                self._errors[field] = self.error_class(messages)


class ApplicationAdmin(DotApplicationAdmin):
    form = ApplicationForm
    inlines = [RelyingPartyInline]
    list_display = ("pk", "name", "connected_system", "client_type", "authorization_grant_type")

    @admin.display(description=_("連結系統"))
    def connected_system(self, obj):
        rp = getattr(obj, "relying_party", None)
        return str(rp) if rp else "—"

    def save_related(self, request, form, formsets, change):
        with transaction.atomic():
            super().save_related(request, form, formsets, change)
            application = form.instance
            rp = RelyingParty.objects.filter(application=application).first()
            # First-party systems skip the consent page; the flag lives on DOT's model, so keep the two in step.
            skip = bool(rp and rp.first_party)
            if application.skip_authorization != skip:
                type(application).objects.filter(pk=application.pk).update(skip_authorization=skip)
            audit_record(
                actor=request.user,
                action="identity.relying_party_saved",
                subject=application,
                changes={
                    "name": application.name,
                    "redirect_uris": application.redirect_uris,
                    "allowed_scopes": rp.allowed_scopes if rp else "",
                    "first_party": skip,
                    "national_id_allowed": bool(rp and rp.national_id_allowed),
                },
                ip_address=client_ip(request),
            )


@admin.register(RelyingParty)
class RelyingPartyAdmin(admin.ModelAdmin):
    """連結系統, reachable on its own (also inline under its OAuth application, where the client is set up)."""

    list_display = ("code", "application", "group", "listed", "first_party", "national_id_allowed", "order")
    list_display_links = ("code", "application")
    list_filter = ("group", "listed", "first_party", "national_id_allowed")
    list_editable = ("order",)
    list_select_related = ("application",)
    search_fields = ("code", "application__name", "description")
    autocomplete_fields = ("application",)
    fields = (
        "application",
        "code",
        "group",
        "listed",
        "order",
        "entry_url",
        "description",
        "first_party",
        "allowed_scopes",
        "national_id_allowed",
    )

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            application = obj.application
            # The same rule as under Applications: first-party systems skip the consent page.
            if application.skip_authorization != obj.first_party:
                type(application).objects.filter(pk=application.pk).update(skip_authorization=obj.first_party)
            audit_record(
                actor=request.user,
                action="identity.relying_party_saved",
                subject=application,
                changes={name: form.cleaned_data.get(name) for name in form.changed_data if name != "application"},
                ip_address=client_ip(request),
            )


# django-oauth-toolkit's credential admins (settings *_ADMIN_CLASS), with their zh-Hant labels.
class AccessTokenAdmin(dot_admin.AccessTokenAdmin):
    @admin.action(description=_("撤銷所選的存取權杖"))
    def revoke_tokens(self, request, queryset):
        return super().revoke_tokens(request, queryset)

    @admin.display(description=_("權杖"))
    def masked_token(self, obj):
        return super().masked_token(obj)


class RefreshTokenAdmin(dot_admin.RefreshTokenAdmin):
    @admin.action(description=_("撤銷所選的更新權杖"))
    def revoke_tokens(self, request, queryset):
        return super().revoke_tokens(request, queryset)

    @admin.display(description=_("權杖"))
    def masked_token(self, obj):
        return super().masked_token(obj)


class GrantAdmin(dot_admin.GrantAdmin):
    @admin.display(description=_("授權碼"))
    def masked_code(self, obj):
        return super().masked_code(obj)


class IDTokenAdmin(dot_admin.IDTokenAdmin):
    pass


@admin.register(ExternalProvider)
class ExternalProviderAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "issuer", "national_id_claim", "is_active", "order")
    list_editable = ("is_active", "order")

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(
                actor=request.user,
                action="identity.external_provider_saved",
                subject=obj,
                changes={k: form.cleaned_data.get(k) for k in form.changed_data if k != "client_secret"},
                ip_address=client_ip(request),
            )


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin):
    list_display = ("provider", "user", "linked_by", "linked_at", "last_signin_at")
    list_filter = ("provider", "linked_by")
    raw_id_fields = ("user",)
    readonly_fields = ("provider", "subject", "user", "linked_by", "linked_at", "last_signin_at")


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):
    """Read only: keys are made and retired by `manage.py oidc_rotate_key`; the private key is never shown."""

    list_display = ("kid", "active", "created_at", "retired_at", "publish_until")
    fields = ("kid", "active", "created_at", "retired_at", "publish_until")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
