"""`{% external_signin_buttons next %}`: the external providers' sign-in buttons on the eCPA sign-in page."""

from django import template

from civlearn.sso.external import active_providers

register = template.Library()


@register.inclusion_tag("sso/_external_providers.html")
def external_signin_buttons(next_url: str = ""):
    return {"providers": active_providers(), "next": next_url}


@register.inclusion_tag("sso/_connected_systems_list.html")
def connected_systems_list():
    """eCPA 首頁's list at the bottom (manual step 十二: 「至下方選取」), in the manual's two groups."""
    from civlearn.sso.selectors import connected_systems_grouped

    return {"groups": connected_systems_grouped()}
