"""Device cookies (OWASP, "Slow down online guessing attacks with device cookies").

A browser that signed in to an account with its password carries a signed device entry for that account (a random
nonce, the account and when it was issued). On the next password sign-in to that account such a browser is trusted:
the per-address limit and the account's lock for untrusted browsers do not apply to it, so a guesser behind the same
address (an agency's NAT) cannot lock the real person out. A trusted device has a lock of its own, by its nonce,
after the same number of failures. Entries are signed with SECRET_KEY (django.core.signing); a forged, expired or
foreign entry is simply not trusted.
"""

from __future__ import annotations

import secrets
import time

from django.conf import settings
from django.core import signing

SALT = "civlearn.identity.device-cookie"
MAX_ENTRIES = 5  # accounts remembered per browser (a shared counter PC)


def _max_age() -> int:
    return settings.SIGNIN_DEVICE_COOKIE_DAYS * 86400


def entries(cookie_value: str | None) -> list[dict]:
    """The valid, unexpired entries of a device cookie; [] for a missing, forged or malformed one."""
    if not cookie_value:
        return []
    try:
        data = signing.loads(cookie_value, salt=SALT)
    except signing.BadSignature:
        return []
    if not isinstance(data, list):
        return []
    oldest = time.time() - _max_age()
    valid = []
    for entry in data:
        well_formed = (
            isinstance(entry, dict)
            and isinstance(entry.get("u"), int)
            and isinstance(entry.get("n"), str)
            and isinstance(entry.get("t"), int | float)
        )
        if well_formed and entry["t"] >= oldest:
            valid.append(entry)
    return valid[-MAX_ENTRIES:]


def nonce_for(device_entries: list[dict], user_pk: int) -> str | None:
    """The nonce of this browser's entry for the account, or None when it is not a trusted device for it."""
    for entry in reversed(device_entries):
        if entry["u"] == user_pk:
            return entry["n"]
    return None


def cookie_after_signin(device_entries: list[dict], user_pk: int) -> str:
    """The cookie value after a successful sign-in: a fresh entry for this account, the others kept."""
    kept = [e for e in device_entries if e["u"] != user_pk]
    kept.append({"u": user_pk, "n": secrets.token_urlsafe(16), "t": int(time.time())})
    return signing.dumps(kept[-MAX_ENTRIES:], salt=SALT, compress=True)
