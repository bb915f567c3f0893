"""`{% external_signin_buttons next %}`: the external providers' sign-in buttons on the eCPA sign-in page."""

from django import template

from civlearn.sso.external import active_providers

register = template.Library()


@register.inclusion_tag("sso/_external_providers.html")
def external_signin_buttons(next_url: str = ""):
    return {"providers": active_providers(), "next": next_url}
