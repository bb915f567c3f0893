"""Small template helpers of the learning pages: `{% load learning_tags %}`."""

from django import template

register = template.Library()


@register.filter
def scale_range(maximum) -> range:
    """`5|scale_range` → 1..5, the points of a questionnaire scale."""
    return range(1, int(maximum) + 1)


@register.filter
def minutes(milliseconds) -> int:
    return int(milliseconds or 0) // 60_000
