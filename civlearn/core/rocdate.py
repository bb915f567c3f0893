"""民國 (ROC) dates: year = Gregorian year − 1911.

Forms people and files use: `0610101` (the manual's 7-digit input), `610101` (6 digits, two-digit year),
`061-01-01` / `104-01-27` (exchange files), `61/1/1` and `61.1.1` (what people type).
"""

from __future__ import annotations

import datetime as dt
import re

ROC_OFFSET = 1911

_SEPARATED = re.compile(r"^(\d{1,3})[-/.](\d{1,2})[-/.](\d{1,2})$")
_COMPACT = re.compile(r"^(\d{2,3})(\d{2})(\d{2})$")


class InvalidRocDate(ValueError):
    """Raised with a message fit to show the person who typed the date."""


def parse(value: str) -> dt.date:
    """Parse an ROC date in any of the accepted forms; raise InvalidRocDate with the reason."""
    text = (value or "").strip().translate({code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)})
    if not text:
        raise InvalidRocDate("請輸入日期")
    match = _SEPARATED.match(text) or _COMPACT.match(text)
    if not match:
        raise InvalidRocDate("日期格式不正確，請輸入民國年月日，例如：0610101")
    year, month, day = (int(part) for part in match.groups())
    if year < 1:
        raise InvalidRocDate("民國年應大於 0")
    try:
        return dt.date(year + ROC_OFFSET, month, day)
    except ValueError as exc:
        raise InvalidRocDate("日期不存在，請檢查月份與日期") from exc


def roc_year(value: dt.date | int) -> int:
    year = value if isinstance(value, int) else value.year
    return year - ROC_OFFSET


def format_compact(value: dt.date) -> str:
    """`1972-01-01` → `0610101` (the manual's input form)."""
    return f"{roc_year(value):03d}{value.month:02d}{value.day:02d}"


def format_dashed(value: dt.date) -> str:
    """`2015-01-27` → `104-01-27` (exchange files, exports)."""
    return f"{roc_year(value):03d}-{value.month:02d}-{value.day:02d}"


def format_display(value: dt.date | dt.datetime | None, *, with_time: bool = False) -> str:
    """`2024-03-21` → `113/03/21` (what people read); empty for None."""
    if value is None:
        return ""
    text = f"{roc_year(value)}/{value.month:02d}/{value.day:02d}"
    if with_time and isinstance(value, dt.datetime):
        text += f" {value:%H:%M:%S}"
    return text
