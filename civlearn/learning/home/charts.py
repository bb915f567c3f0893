"""統計圖表: hours by month and by category, drawn by the server as SVG.

The charts do not rely on colour: bars carry a hatch pattern and their value as text, and each chart comes
with the same figures as a table (the page shows it under the chart)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _

from civlearn.learning.categories import category_path
from civlearn.learning.models import Enrolment


@dataclass(frozen=True)
class Series:
    title: str
    rows: list[tuple[str, Decimal]]

    @property
    def total(self) -> Decimal:
        return sum((value for _, value in self.rows), Decimal(0))


def _completions(*, user, year: int):
    start = timezone.make_aware(dt.datetime(year, 1, 1), timezone.get_default_timezone())
    end = timezone.make_aware(dt.datetime(year + 1, 1, 1), timezone.get_default_timezone())
    return Enrolment.objects.filter(user=user, completed_at__gte=start, completed_at__lt=end).values_list(
        "completed_at", "course__category_code", "course__certified_hours"
    )


def hours_by_month(*, user, year: int) -> Series:
    months = [Decimal(0)] * 12
    for completed_at, _code, hours in _completions(user=user, year=year):
        months[timezone.localtime(completed_at).month - 1] += Decimal(hours)
    return Series(
        _("%(year)s 年各月份認證時數") % {"year": year - 1911},
        [(_("%(month)s月") % {"month": m}, months[m - 1]) for m in range(1, 13)],
    )


def hours_by_category(*, user, year: int) -> Series:
    """By the top of each course's category tree (e.g. 政策能力訓練); unknown codes are shown by their code."""
    totals: dict[str, Decimal] = {}
    for _when, code, hours in _completions(user=user, year=year):
        path = category_path(code)
        name = path[0].name if path else _("類別 %(code)s") % {"code": code}
        totals[name] = totals.get(name, Decimal(0)) + Decimal(hours)
    rows = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return Series(_("%(year)s 年各類別認證時數") % {"year": year - 1911}, rows)


def _number(value: Decimal) -> str:
    text = f"{value.normalize():f}" if value else "0"
    return text


def bar_chart_svg(series: Series, *, chart_id: str, horizontal: bool = False) -> str:
    """A bar chart as an inline SVG string (role="img", titled and described), hatched bars with value labels."""
    rows = series.rows or [(_("（無資料）"), Decimal(0))]
    peak = max((value for _, value in rows), default=Decimal(0)) or Decimal(1)
    parts = []
    if horizontal:
        label_w, bar_max, row_h = 190, 330, 30
        width, height = label_w + bar_max + 60, 20 + row_h * len(rows)
        for index, (label, value) in enumerate(rows):
            y = 10 + index * row_h
            w = int(bar_max * value / peak)
            parts.append(
                f'<text x="{label_w - 8}" y="{y + 19}" text-anchor="end" font-size="13">{escape(label)}</text>'
                f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="{row_h - 10}" fill="url(#{chart_id}-hatch)"'
                f' stroke="#1a1a1a"/>'
                f'<text x="{label_w + w + 6}" y="{y + 19}" font-size="13">{_number(value)}</text>'
            )
    else:
        left, plot_h, col_w = 10, 160, 44
        width, height = left * 2 + col_w * len(rows), plot_h + 60
        for index, (label, value) in enumerate(rows):
            x = left + index * col_w
            h = int(plot_h * value / peak)
            y = 20 + plot_h - h
            parts.append(
                f'<rect x="{x + 6}" y="{y}" width="{col_w - 12}" height="{h}" fill="url(#{chart_id}-hatch)"'
                f' stroke="#1a1a1a"/>'
                f'<text x="{x + col_w / 2}" y="{y - 4}" text-anchor="middle" font-size="12">'
                f"{_number(value) if value else ''}</text>"
                f'<text x="{x + col_w / 2}" y="{plot_h + 40}" text-anchor="middle" font-size="12">'
                f"{escape(label)}</text>"
            )
        parts.append(f'<line x1="{left}" y1="{plot_h + 20}" x2="{width - left}" y2="{plot_h + 20}" stroke="#1a1a1a"/>')
    described = _("；").join(
        _("%(label)s %(hours)s 小時") % {"label": label, "hours": _number(value)} for label, value in rows
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc"'
        f' viewBox="0 0 {width} {height}" width="{width}" height="{height}" class="chart">'
        f'<title id="{chart_id}-title">{escape(series.title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(described)}</desc>'
        f'<defs><pattern id="{chart_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse"'
        f' patternTransform="rotate(45)"><rect width="6" height="6" fill="#dfe9f5"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="#1f4e79" stroke-width="3"/></pattern></defs>'
        + "".join(parts)
        + "</svg>"
    )
