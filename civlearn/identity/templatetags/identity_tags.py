"""ROC date display for identity pages (登入資訊, password expiry)."""

from django import template

from civlearn.identity.passwords import display_time

register = template.Library()


@register.filter
def roc_datetime(value):
    """`2024-03-21 09:22:05` (aware) → `113/03/21 09:22:05` in local time."""
    return display_time(value) if value else ""
