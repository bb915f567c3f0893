"""Taiwan national ID (身分證字號) and resident certificate number (居留證/統一證號) validation.

Rules: ../shared/domain/README.md. Each format is a letter followed by nine characters with a weighted checksum.
"""

from __future__ import annotations

import datetime as dt
import re

# Letter values as the Ministry of the Interior assigns them (note I, O, W, Z are out of alphabetical order).
LETTER_VALUES = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17, "J": 18, "K": 19, "L": 20,
    "M": 21, "N": 22, "P": 23, "Q": 24, "R": 25, "S": 26, "T": 27, "U": 28, "V": 29, "X": 30, "Y": 31,
    "W": 32, "Z": 33, "I": 34, "O": 35,
}  # fmt: skip
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 1)

NATIONAL_ID_RE = re.compile(r"^[A-Z][12]\d{8}$")
RESIDENT_NEW_RE = re.compile(r"^[A-Z][89]\d{8}$")
RESIDENT_OLD_RE = re.compile(r"^[A-Z][A-D]\d{8}$")
# The old resident format stays valid until this date (exclusive).
RESIDENT_OLD_VALID_UNTIL = dt.date(2031, 1, 1)


class InvalidNationalId(ValueError):
    """Raised with a message fit to show the person who typed the number."""


def normalize(value: str) -> str:
    """Strip white space and upper-case; full-width letters and digits become half-width."""
    text = (value or "").strip().upper()
    return text.translate({code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}).upper()


def _checksum_ok(letter: str, second_value: int, digits: str) -> bool:
    first = LETTER_VALUES[letter]
    total = (first // 10) + (first % 10) * 9 + second_value * _WEIGHTS[0]
    total += sum(int(d) * w for d, w in zip(digits[:7], _WEIGHTS[1:], strict=True))
    total += int(digits[7])
    return total % 10 == 0


def kind_of(value: str, *, today: dt.date | None = None) -> str:
    """Return "national", "resident" or "resident_old" for a valid number; raise InvalidNationalId otherwise."""
    text = normalize(value)
    if len(text) != 10:
        raise InvalidNationalId("身分證字號應為 10 碼（1 個英文字母加 9 個數字）")
    if text[0] not in LETTER_VALUES:
        raise InvalidNationalId("身分證字號第 1 碼應為英文字母")
    if NATIONAL_ID_RE.match(text):
        kind, second = "national", int(text[1])
    elif RESIDENT_NEW_RE.match(text):
        kind, second = "resident", int(text[1])
    elif RESIDENT_OLD_RE.match(text):
        if (today or dt.date.today()) >= RESIDENT_OLD_VALID_UNTIL:
            raise InvalidNationalId("舊式居留證號已於 2031-01-01 停用")
        kind, second = "resident_old", LETTER_VALUES[text[1]] % 10
    else:
        raise InvalidNationalId("身分證字號格式不正確（第 2 碼應為 1、2、8、9 或 A–D，其後為 8 個數字）")
    if not _checksum_ok(text[0], second, text[2:]):
        raise InvalidNationalId("身分證字號檢查碼不正確")
    return kind


def validate(value: str, *, today: dt.date | None = None) -> str:
    """Return the normalized number, or raise InvalidNationalId with the reason."""
    kind_of(value, today=today)
    return normalize(value)


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


ANY_ID_RE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z][12ABCD89])(\d{4})(\d{4})(?![0-9])")


def mask_in_text(text: str) -> str:
    """Mask every ID-shaped token in free text (log lines, error messages)."""
    return ANY_ID_RE.sub(lambda m: m.group(1) + m.group(2) + "****", text)
