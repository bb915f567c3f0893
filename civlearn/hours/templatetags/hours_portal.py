"""The hours portal's header facts: `{% load hours_portal %}{% hours_signin_bar as bar %}`."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

from civlearn.identity import selectors as identity_selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def hours_signin_bar(context) -> dict:
    """登入身分 / 登入單位 and whether to offer 進入管理介面 (HR officers and operators only)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"signed_in": False}
    person = user.person if user.person_id else None
    manage_url = ""
    is_hr = identity_selectors.agencies_managed_by(user, identity_selectors.HR_OFFICER).exists()
    if user.is_superuser or is_hr:
        try:
            # The HR pages belong to the HR view of this app; the link shows once that route exists.
            manage_url = reverse("hours:hr")
        except NoReverseMatch:
            manage_url = ""
    return {
        "signed_in": True,
        "name": user.display_name,
        "agency": person.agency if person else None,
        "manage_url": manage_url,
        "rules_url": reverse("hours:agency_rules") if is_hr else "",
    }
