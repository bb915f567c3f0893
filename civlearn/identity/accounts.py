"""Rules for what a person types in 我的專區: the custom account name (manual step 十) and the phone number."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from civlearn.core import national_id

USERNAME_MIN, USERNAME_MAX = 4, 30
_HALF_WIDTH_ALNUM = re.compile(r"^[A-Za-z0-9]+$")
# Shapes a national ID or resident number can take, whatever the length: a letter, then 1/2 (citizens),
# 8/9 or A–D (residents), then digits. "A123456XXXX" in the manual is such a number with its end masked.
_ID_SHAPED = re.compile(r"^[A-Za-z][12]\d*$|^[A-Za-z][89A-Da-d]\d{3,}$")
_PHONE = re.compile(r"^[0-9+()\- #]{6,30}$")


def msg_half_width() -> str:
    return _("帳號請設定半形英文字母及數字")


def msg_no_symbols() -> str:
    return _("帳號請勿輸入特殊字元、空白、全形、文字")


def msg_id_shaped() -> str:
    return _("帳號請勿使用身分證字號格式如：A123456XXXX")


def account_name_problems(username: str) -> list[str]:
    """Every rule the name breaks, with the manual's two notes as the messages."""
    problems = []
    if not _HALF_WIDTH_ALNUM.match(username):
        if any(c.isascii() and c.isalnum() for c in username):
            problems.append(msg_no_symbols())
        else:
            problems.extend([msg_half_width(), msg_no_symbols()])
        return problems
    if _ID_SHAPED.match(username) or national_id.is_valid(username[:10]):
        problems.append(msg_id_shaped())
    if not USERNAME_MIN <= len(username) <= USERNAME_MAX:
        problems.append(_("帳號長度需為%(min)s至%(max)s碼") % {"min": USERNAME_MIN, "max": USERNAME_MAX})
    return problems


def phone_problems(phone: str) -> list[str]:
    if phone and not _PHONE.match(phone):
        return [_("個人電話請輸入數字，可含 +、-、()、# 分機，6至30碼")]
    return []
