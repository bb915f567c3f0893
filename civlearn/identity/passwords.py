"""The eCPA password policy (manual step 八). Filled in by the identity work."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from civlearn.core import clock


def password_expired(user) -> bool:
    changed = getattr(user, "password_changed_at", None)
    if changed is None or not user.has_usable_password():
        return False
    return clock.now() - changed > dt.timedelta(days=settings.PASSWORD_MAX_AGE_DAYS)
