"""民國 (ROC) dates: year = Gregorian year − 1911.

Forms people and files use: `0610101` (the manual's 7-digit input), `610101` (6 digits, two-digit year),
`061-01-01` / `104-01-27` (exchange files), `61/1/1` and `61.1.1` (what people type), `民國61年1月1日`.
Full-width digits and separators are accepted. Dates before 民國 1 年 (1912) have no ROC form here.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils.translation import gettext as _

ROC_OFFSET = 1911
MIN_DATE = dt.date(1912, 1, 1)
# The largest date with a 3-digit ROC year, the widest the 7-digit form can carry.
MAX_DATE = dt.date(999 + ROC_OFFSET, 12, 31)

# [0-9], not \d: \d also matches other scripts' digits.
_SEPARATED = re.compile(r"^([0-9]{1,3})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})$")
_COMPACT = re.compile(r"^([0-9]{2,3})([0-9]{2})([0-9]{2})$")
_WORDS = re.compile(r"^(?:民國)?\s*([0-9]{1,3})\s*年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*日?$")
_ISO = re.compile(r"^([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})$")
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


class InvalidRocDate(ValueError):
    """Raised with a message fit to show the person who typed the date (in the active language)."""


class _BadFormat(InvalidRocDate):
    """The text is not a date in any accepted form (rather than a date that does not exist)."""


def _clean(value: str) -> str:
    return (value or "").strip().translate(_FULL_WIDTH).replace("\u3000", " ").strip()


def _make(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise InvalidRocDate(_("日期不存在，請檢查月份與日期")) from exc


def parse(value: str) -> dt.date:
    """Parse an ROC date in any of the accepted forms; raise InvalidRocDate with the reason."""
    text = _clean(value)
    if not text:
        raise InvalidRocDate(_("請輸入日期"))
    match = _SEPARATED.match(text) or _COMPACT.match(text) or _WORDS.match(text)
    if not match:
        raise _BadFormat(_("日期格式不正確，請輸入民國年月日，例如：0610101"))
    year, month, day = (int(part) for part in match.groups())
    if year < 1:
        raise InvalidRocDate(_("民國年應大於 0"))
    return _make(year + ROC_OFFSET, month, day)


def parse_roc_or_iso(value: str) -> dt.date:
    """An ROC date as `parse` reads it, or an ISO (Gregorian) date with a 4-digit year such as `1972-01-01`.

    Files from other systems carry either; a 4-digit year cannot be an ROC year, so the two never collide.
    """
    text = _clean(value)
    match = _ISO.match(text)
    if match:
        return _make(*(int(part) for part in match.groups()))
    try:
        return parse(text)
    except _BadFormat:
        raise _BadFormat(
            _("日期格式不正確，請輸入民國年月日（例如：0610101 或 061-01-01）或西元日期（例如：1972-01-01）")
        ) from None


def roc_year(value: dt.date | int) -> int:
    year = value if isinstance(value, int) else value.year
    return year - ROC_OFFSET


def _checked_year(value: dt.date) -> int:
    year = roc_year(value)
    if year < 1:
        raise ValueError(f"{value.isoformat()} is before 民國 1 年 and has no ROC form")
    if year > 999:
        raise ValueError(f"{value.isoformat()} has a 4-digit ROC year, which the 3-digit form cannot carry")
    return year


def format_compact(value: dt.date) -> str:
    """`1972-01-01` → `0610101` (the manual's input form)."""
    return f"{_checked_year(value):03d}{value.month:02d}{value.day:02d}"


def format_dashed(value: dt.date) -> str:
    """`2015-01-27` → `104-01-27` (exchange files, exports)."""
    return f"{_checked_year(value):03d}-{value.month:02d}-{value.day:02d}"


def format_display(value: dt.date | dt.datetime | None, *, with_time: bool = False) -> str:
    """`2024-03-21` → `113/03/21` (what people read); empty for None.

    A datetime is shown as it is given: callers convert aware datetimes to local time first (the template
    filters do). Dates before 民國 1 年 fall back to ISO form rather than showing a negative year.
    """
    if value is None:
        return ""
    year = roc_year(value)
    if year < 1:
        text = value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()
    else:
        text = f"{year}/{value.month:02d}/{value.day:02d}"
    if with_time and isinstance(value, dt.datetime):
        text += f" {value:%H:%M:%S}"
    return text
