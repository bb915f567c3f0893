"""Template filters every face uses: `{% load civlearn %}` then `{{ d|roc_date }}`, `{{ p.national_id|mask_id }}`,
`{{ entry.hours|hours }}`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import template
from django.utils import timezone

from civlearn.core import national_id, rocdate

register = template.Library()


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


@register.filter
def roc_date(value) -> str:
    """A date or datetime as `113/03/21` (an aware datetime counts in local time); empty for None or ""."""
    if value in (None, ""):
        return ""
    if isinstance(value, dt.datetime):
        value = _local(value).date()
    return rocdate.format_display(value)


@register.filter
def roc_datetime(value) -> str:
    """A datetime in local time as `113/03/21 09:22:05`; a plain date as `113/03/21`; empty for None or ""."""
    if value in (None, ""):
        return ""
    if isinstance(value, dt.datetime):
        return rocdate.format_display(_local(value), with_time=True)
    return rocdate.format_display(value)


@register.filter
def roc_time_span(start, end) -> str:
    """A session from `start` to `end` in local time, to the minute: `113/03/21 09:00–12:00`, or with the end's date
    too when it ends on another day (`113/03/21 22:00–113/03/22 06:00`); empty when `start` is None."""
    if start in (None, ""):
        return ""
    start = _local(start)
    text = f"{rocdate.format_display(start)} {start:%H:%M}"
    if end in (None, ""):
        return text
    end = _local(end)
    if end.date() != start.date():
        return f"{text}–{rocdate.format_display(end)} {end:%H:%M}"
    return f"{text}–{end:%H:%M}"


@register.filter
def mask_id(value) -> str:
    """A national ID or resident number as `A12345****`."""
    return national_id.mask(value)


@register.filter
def hours(value) -> str:
    """Hours without needless decimals: Decimal("20.0") → "20", 1.5 → "1.5", 0.25 → "0.25"; empty for None.

    Values that are not numbers are shown as given rather than breaking the page.
    """
    if value in (None, ""):
        return ""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    # normalize() drops trailing zeros but writes 20 as 2E+1; the "f" format spells it out again.
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text
