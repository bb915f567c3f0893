"""The first-visit notice (manual step 一): whether this browser has answered 「了解，我清楚了」, kept in a cookie."""

from __future__ import annotations

NOTICE_COOKIE = "civlearn_notice"
NOTICE_VERSION = "1"  # raise to show a changed notice to everyone again
NOTICE_MAX_AGE = 365 * 24 * 3600


def notice_acknowledged(request) -> bool:
    return request.COOKIES.get(NOTICE_COOKIE) == NOTICE_VERSION
