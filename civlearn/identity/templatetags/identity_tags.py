"""ROC date display for identity pages (登入資訊, password expiry); the sign-in page's fragment stamp."""

from django import template

from civlearn.identity import selectors
from civlearn.identity.passwords import display_time

register = template.Library()


@register.filter
def roc_datetime(value):
    """`2024-03-21 09:22:05` (aware) → `113/03/21 09:22:05` in local time."""
    return display_time(value) if value else ""


@register.simple_tag
def signin_page_stamp():
    """`{% signin_page_stamp as stamp %}`: what the sign-in page's `{% cache %}` fragments vary on with the language."""
    return selectors.signin_page_stamp()
