"""Taiwan national ID (身分證字號) and resident certificate number (居留證/統一證號) validation.

Rules: ../shared/domain/README.md. Each format is a letter followed by nine characters with a weighted checksum.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils.translation import gettext as _

# Letter values as the Ministry of the Interior assigns them (note I, O, W, Z are out of alphabetical order).
LETTER_VALUES = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17, "J": 18, "K": 19, "L": 20,
    "M": 21, "N": 22, "P": 23, "Q": 24, "R": 25, "S": 26, "T": 27, "U": 28, "V": 29, "X": 30, "Y": 31,
    "W": 32, "Z": 33, "I": 34, "O": 35,
}  # fmt: skip

# [0-9], not \d: \d also matches other scripts' digits (e.g. Arabic-Indic), which int() would quietly accept.
NATIONAL_ID_RE = re.compile(r"^[A-Z][12][0-9]{8}$")
RESIDENT_NEW_RE = re.compile(r"^[A-Z][89][0-9]{8}$")
RESIDENT_OLD_RE = re.compile(r"^[A-Z][A-D][0-9]{8}$")
# The old resident format stays valid until this date (exclusive): the last valid day is 2030-12-31.
RESIDENT_OLD_VALID_UNTIL = dt.date(2031, 1, 1)

_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


class InvalidNationalId(ValueError):
    """Raised with a message fit to show the person who typed the number (never containing the number)."""


def normalize(value: str) -> str:
    """Strip white space and upper-case; full-width letters and digits become half-width."""
    text = (value or "").strip()
    # Most numbers come half-width; translating costs more than the rest of a check.
    return (text if text.isascii() else text.translate(_FULL_WIDTH)).upper()


def _second_value(second: str) -> int:
    """The value the second character contributes: a digit as itself, an old-format letter as its value mod 10."""
    return LETTER_VALUES[second] % 10 if second.isalpha() else int(second)


_DIGITS = {str(d): d for d in range(10)}


def _checksum(text: str) -> int:
    """Weighted sum of a 10-character number; valid numbers give a multiple of 10."""
    first = LETTER_VALUES[text[0]]
    d = _DIGITS
    # Written out: an upload checks every row's number, and this is most of the cost of a row's checks.
    return (
        first // 10 + (first % 10) * 9 + _second_value(text[1]) * 8
        + d[text[2]] * 7 + d[text[3]] * 6 + d[text[4]] * 5 + d[text[5]] * 4 + d[text[6]] * 3 + d[text[7]] * 2
        + d[text[8]] + d[text[9]]
    )  # fmt: skip


def check_digit(prefix: str) -> str:
    """The one last digit that makes a valid number of the 9-character `prefix` (e.g. `A12345678` → `9`)."""
    text = normalize(prefix)
    if len(text) != 9:
        raise ValueError("prefix must be 9 characters")
    return str(-_checksum(text + "0") % 10)


def kind_of(value: str, *, today: dt.date | None = None) -> str:
    """Return "national", "resident" or "resident_old" for a valid number; raise InvalidNationalId otherwise.

    `today` decides whether the old resident format is still accepted; it defaults to `clock.today()`.
    """
    return _kind(normalize(value), today)


def _kind(text: str, today: dt.date | None) -> str:
    if not text:
        raise InvalidNationalId(_("請輸入身分證字號"))
    if len(text) != 10:
        raise InvalidNationalId(_("身分證字號應為 10 碼（1 個英文字母加 9 個數字）"))
    if text[0] not in LETTER_VALUES:
        raise InvalidNationalId(_("身分證字號第 1 碼應為英文字母"))
    if NATIONAL_ID_RE.match(text):
        kind = "national"
    elif RESIDENT_NEW_RE.match(text):
        kind = "resident"
    elif RESIDENT_OLD_RE.match(text):
        if today is None:
            from civlearn.core import clock  # Django-aware; imported late so plain validation needs no settings.

            today = clock.today()
        if today >= RESIDENT_OLD_VALID_UNTIL:
            raise InvalidNationalId(_("舊式居留證號已於民國 120 年 1 月 1 日停用，請使用新式統一證號"))
        kind = "resident_old"
    else:
        raise InvalidNationalId(_("身分證字號格式不正確（第 2 碼應為 1、2、8、9 或 A–D，其後為 8 個數字）"))
    if _checksum(text) % 10:
        raise InvalidNationalId(_("身分證字號檢查碼不正確"))
    return kind


def validate(value: str, *, today: dt.date | None = None) -> str:
    """Return the normalized number, or raise InvalidNationalId with the reason."""
    text = normalize(value)
    _kind(text, today)
    return text


def is_valid(value: str, *, today: dt.date | None = None) -> bool:
    try:
        kind_of(value, today=today)
    except InvalidNationalId:
        return False
    return True


def mask(value: str | None) -> str:
    """`A123456789` → `A12345****`: enough for a person to recognise their own number, not to reuse it."""
    if not value:
        return ""
    text = str(value)
    if len(text) <= 4:
        return "*" * len(text)
    return text[:-4] + "****"


# An ID-shaped token in free text, in either case and in half- or full-width characters. No word boundaries:
# an ID glued to other letters or digits ("idA123456789", "A1234567890") is still masked, since masking
# a little too much in a log line costs nothing and missing one leaks personal data.
_L = "A-Za-zＡ-Ｚａ-ｚ"
_D = "0-9０-９"
# National and new resident numbers are masked first, so that in "xA123456789" the letters "xA" are not read as
# an old resident number's two letters (which would leave a different four digits showing).
_DIGIT_SECOND_RE = re.compile(rf"([{_L}][1289１２８９][{_D}]{{4}})([{_D}]{{4}})")
_LETTER_SECOND_RE = re.compile(rf"([{_L}][ABCDabcdＡ-Ｄａ-ｄ][{_D}]{{4}})([{_D}]{{4}})")


def mask_in_text(text: str) -> str:
    """Mask every ID-shaped token in free text (log lines, error messages)."""
    for pattern in (_DIGIT_SECOND_RE, _LETTER_SECOND_RE):
        text = pattern.sub(lambda m: m.group(1) + "****", text)
    return text
