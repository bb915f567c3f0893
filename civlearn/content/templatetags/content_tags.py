"""Content shown inside other apps' pages: `{% load content_tags %}` then `{% signin_help_links %}`,
`{% signin_announcements %}` (the eCPA sign-in page) or `{% latest_announcements "ecpa" 5 %}`."""

from django import template

from civlearn.content import selectors
from civlearn.content.models import HelpPage

register = template.Library()


@register.inclusion_tag("content/_signin_help.html")
def signin_help_links():
    return {"pages": list(selectors.help_pages(section=HelpPage.SIGNIN))}


@register.inclusion_tag("content/_signin_announcements.html", takes_context=True)
def signin_announcements(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"items": selectors.announcements_current(face="ecpa", user=user, limit=5, signin_page=True)}


@register.inclusion_tag("content/_latest.html", takes_context=True)
def latest_announcements(context, face: str, limit: int = 5):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"face": face, "items": selectors.announcements_current(face=face, user=user, limit=limit)}
