import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template

from civlearn.core.templatetags import civlearn as filters

TAIPEI = dt.timezone(dt.timedelta(hours=8))


def render(source: str, **context) -> str:
    return Template("{% load civlearn %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (dt.date(2024, 3, 21), "113/03/21"),
        (dt.date(1972, 1, 1), "61/01/01"),
        # 20:30 UTC on the 20th is already the 21st in Taipei.
        (dt.datetime(2024, 3, 20, 20, 30, tzinfo=dt.UTC), "113/03/21"),
        (None, ""),
        ("", ""),
    ],
)
def test_roc_date(value, shown):
    assert filters.roc_date(value) == shown
    assert render("{{ v|roc_date }}", v=value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (dt.datetime(2024, 3, 21, 1, 22, 5, tzinfo=dt.UTC), "113/03/21 09:22:05"),
        (dt.datetime(2024, 3, 21, 9, 22, 5, tzinfo=TAIPEI), "113/03/21 09:22:05"),
        (dt.date(2024, 3, 21), "113/03/21"),
        (None, ""),
    ],
)
def test_roc_datetime(value, shown):
    assert filters.roc_datetime(value) == shown
    assert render("{{ v|roc_datetime }}", v=value) == shown


@pytest.mark.parametrize(("value", "shown"), [("A123456789", "A12345****"), ("", ""), (None, "")])
def test_mask_id(value, shown):
    assert render("{{ v|mask_id }}", v=value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("20.0"), "20"),
        (Decimal("20"), "20"),
        (Decimal("1.5"), "1.5"),
        (Decimal("1.50"), "1.5"),
        (Decimal("0.25"), "0.25"),
        (Decimal("0.0"), "0"),
        (Decimal("-0.0"), "0"),
        (Decimal("100"), "100"),
        (Decimal("-2.5"), "-2.5"),
        (1.5, "1.5"),
        (3, "3"),
        ("4.0", "4"),
        (None, ""),
        ("n/a", "n/a"),
    ],
)
def test_hours(value, shown):
    assert filters.hours(value) == shown
    assert render("{{ v|hours }}", v=value) == shown


def test_filters_escape_what_they_are_given():
    assert render("{{ v|hours }}", v="<b>") == "&lt;b&gt;"
