"""The browser side of a sign-in, for every method's view (password, certificate, passkey, external provider): start
the session and remember how the person signed in, and My Area's shared page context.

The sign-in's bookkeeping (counters, 登入資訊 record, audit event) is `services.signin_record_success`; this module
only deals with the request.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login
from django.utils.translation import gettext as _

from civlearn.core import national_id
from civlearn.core.services import client_ip
from civlearn.identity import invitations, passwords, selectors, services
from civlearn.identity.models import SigninRecord, User

BACKEND = "civlearn.identity.backends.AccountBackend"
# The signed device cookie of a browser that signed in with a password before (identity/devices.py).
DEVICE_COOKIE = "ecpa_device"
# Which method this session signed in with (登入方式 in My Area's header, amr for relying parties).
SESSION_METHOD = "identity_signin_method"


def session_start(request, user: User, method: str) -> None:
    """A new session for `user`. `login()` rotates the session key, so a session fixed before sign-in is worthless
    after it."""
    login(request, user, backend=BACKEND)
    request.session[SESSION_METHOD] = method


def signin_finish(request, user: User, method: str, *, details: dict | None = None) -> None:
    """A sign-in whose credential was checked elsewhere (certificate, passkey, external provider): record it, then
    start the session. The password sign-in records inside `services.signin_attempt` and calls `session_start`."""
    services.signin_record_success(user=user, method=method, ip_address=client_ip(request), details=details)
    session_start(request, user, method)


def device_cookie(request) -> str | None:
    return request.COOKIES.get(DEVICE_COOKIE)


def device_cookie_set(response, value: str) -> None:
    """Remember this browser for the accounts in `value` (signed by devices.cookie_after_signin)."""
    if value:
        response.set_cookie(
            DEVICE_COOKIE,
            value,
            max_age=settings.SIGNIN_DEVICE_COOKIE_DAYS * 86400,
            httponly=True,
            secure=settings.SECURE_COOKIES,
            samesite="Lax",
        )


def my_area_context(request, current: str) -> dict:
    """What every 我的專區 page shows in its header and navigation."""
    user = request.user
    person = user.person if user.person_id else None
    method = request.session.get(SESSION_METHOD, SigninRecord.PASSWORD)
    return {
        "current": current,
        "person": person,
        "masked_id": national_id.mask(person.national_id) if person else "",
        # The manual's header says 帳號登入 for a password sign-in.
        "method_label": _("帳號登入")
        if method == SigninRecord.PASSWORD
        else dict(SigninRecord.METHOD_CHOICES).get(method, ""),
        "signin_info": selectors.signin_info(user),
        "password_expires_at": passwords.expires_at(user),
        # The 上傳人員帳號 link shows only to those who may use it (operators, HR officers).
        "may_invite": invitations.may_invite(user),
    }
