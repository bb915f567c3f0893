"""The eCPA password policy (manual step 八), in one place.

`password_problems()` returns every broken rule's message at once, in the manual's own words, so a person fixes
all of them in one go. `EcpaPasswordValidator` is the same policy registered with Django (AUTH_PASSWORD_VALIDATORS),
so the admin and `changepassword` obey it too. The time rules (180-day expiry, 2-hour minimum age) live here as well.
"""

from __future__ import annotations

import datetime as dt
import string

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from civlearn.core import clock, rocdate

MIN_LENGTH = 8
# The manual lists % and & among the allowed symbols and also forbids them: the forbidden list wins.
FORBIDDEN = "%&+'\"?<>/\\"
FORBIDDEN_DISPLAY = "% & + ' \" ? < > / \\"
# Any other half-width symbol counts as the required special symbol (the manual's list is "例如", examples).
SPECIALS = frozenset(string.punctuation) - frozenset(FORBIDDEN)
LETTERS = frozenset(string.ascii_letters)
DIGITS = frozenset(string.digits)


def msg_length() -> str:
    return _("密碼長度需%(n)s碼以上") % {"n": MIN_LENGTH}


def msg_letter() -> str:
    return _("密碼須包含英文字母")


def msg_digit() -> str:
    return _("密碼須包含阿拉伯數字")


def msg_special() -> str:
    return _("密碼須包含特殊符號")


def msg_special_only_forbidden() -> str:
    return _("密碼中的特殊字元都是不可使用的字元，不算特殊符號；請改用 ~!@#$^*()-_={}|:;., 其中之一")


def msg_forbidden() -> str:
    return _("密碼請勿輸入下列特殊字元 %(chars)s") % {"chars": FORBIDDEN_DISPLAY}


def msg_whitespace() -> str:
    return _("密碼中請勿使用空白字元")


def msg_half_width() -> str:
    return _("密碼請使用半形英文字母、數字及符號（勿使用全形字或中文）")


def msg_history() -> str:
    return _("新密碼不可與前%(n)s次密碼相同") % {"n": settings.PASSWORD_HISTORY}


def msg_min_age(allowed_at: dt.datetime) -> str:
    return _("上一次修改密碼後，需於%(hours)s小時後才能再重設（可重設時間：%(when)s）") % {
        "hours": settings.PASSWORD_MIN_AGE_HOURS,
        "when": display_time(allowed_at),
    }


def display_time(value: dt.datetime) -> str:
    """ROC date and local time, e.g. `113/03/21 14:05:00`."""
    return rocdate.format_display(timezone.localtime(value), with_time=True)


def composition_problems(password: str) -> list[str]:
    """The rules about the characters of the password itself, in the manual's order."""
    chars = set(password)
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(msg_length())
    if not chars & LETTERS:
        problems.append(msg_letter())
    if not chars & DIGITS:
        problems.append(msg_digit())
    if not chars & SPECIALS:
        # A symbol from the forbidden list is a symbol to the person typing it: say why it does not count.
        problems.append(msg_special_only_forbidden() if chars & set(FORBIDDEN) else msg_special())
    if chars & set(FORBIDDEN):
        problems.append(msg_forbidden())
    if any(c.isspace() for c in password):
        problems.append(msg_whitespace())
    elif any(not (c.isascii() and c.isprintable()) for c in password):
        # Full-width or CJK characters: typed with an input method on, they cannot be typed the same elsewhere.
        problems.append(msg_half_width())
    return problems


def recent_hashes(user) -> list[str]:
    """Hashes of the account's last PASSWORD_HISTORY passwords (the current one included)."""
    if user is None or not getattr(user, "pk", None):
        return []
    from civlearn.identity.models import PasswordHistory

    hashes = list(
        PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[: settings.PASSWORD_HISTORY]
    )
    if user.has_usable_password() and user.password not in hashes:
        hashes = [user.password, *hashes][: settings.PASSWORD_HISTORY]
    return hashes


def reused(password: str, user) -> bool:
    # Each comparison is a full hash computation: at most PASSWORD_HISTORY of them, and only for a signed-in
    # person or a verified e-mail link, never on the sign-in path.
    return any(check_password(password, encoded) for encoded in recent_hashes(user))


def password_problems(password: str, *, user=None) -> list[str]:
    """Every violated rule's message. The history rule is checked only when the rest pass (it costs hashes)."""
    problems = composition_problems(password)
    if not problems and reused(password, user):
        problems.append(msg_history())
    return problems


def change_allowed_at(user) -> dt.datetime | None:
    """When the 2-hour minimum age ends, or None if a change is allowed now."""
    changed = getattr(user, "password_changed_at", None)
    if changed is None or not user.has_usable_password():
        return None
    allowed_at = changed + dt.timedelta(hours=settings.PASSWORD_MIN_AGE_HOURS)
    return allowed_at if clock.now() < allowed_at else None


def password_expired(user) -> bool:
    changed = getattr(user, "password_changed_at", None)
    if changed is None or not user.has_usable_password():
        return False
    return clock.now() - changed > dt.timedelta(days=settings.PASSWORD_MAX_AGE_DAYS)


def expires_at(user) -> dt.datetime | None:
    changed = getattr(user, "password_changed_at", None)
    if changed is None:
        return None
    return changed + dt.timedelta(days=settings.PASSWORD_MAX_AGE_DAYS)


class EcpaPasswordValidator:
    """The eCPA policy as a Django password validator: all messages at once."""

    def validate(self, password, user=None):
        problems = password_problems(password, user=user)
        if problems:
            raise ValidationError([ValidationError(message, code="ecpa_password") for message in problems])

    def get_help_text(self):
        return _(
            "密碼長度8碼以上，須包含英文字母（區分大小寫）、阿拉伯數字及特殊符號；"
            "勿用 %(chars)s 及空白字元；不可與前%(n)s次密碼相同。"
        ) % {"chars": FORBIDDEN_DISPLAY, "n": settings.PASSWORD_HISTORY}
