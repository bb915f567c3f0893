"""The certificate and passkey sections of the sign-in page, whichever view renders that page."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.inclusion_tag("identity/strong/_signin_certificate.html", takes_context=True)
def certificate_signin_form(context, kind: str):
    """`kind` is "moica" (自然人憑證) or "agency" (機關憑證); a form with errors in the context is shown again."""
    from civlearn.identity.views_strong import AgencySigninForm, SignedChallengeForm

    if kind == "agency":
        form = context.get("agency_form") or AgencySigninForm(auto_id="agency_%s")
    else:
        form = context.get("moica_form") or SignedChallengeForm(auto_id="moica_%s")
    return {
        "kind": kind,
        "form": form,
        "signer_url": settings.CERT_SIGNER_URL,
        "next": context.get("next", ""),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("identity/strong/_signin_passkey.html", takes_context=True)
def passkey_signin_button(context):
    return {"next": context.get("next", ""), "csrf_token": context.get("csrf_token")}
