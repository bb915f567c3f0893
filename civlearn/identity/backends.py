"""The authentication backend Django's own password checks use (the admin login, any `authenticate()` call).

Every password check goes through `services.signin_attempt`, the one place with the sign-in throttle, the account
lock and the sign-in record, so no path checks a password around them.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from civlearn.core.services import client_ip
from civlearn.identity import services
from civlearn.identity.models import User
from civlearn.identity.sessions import DEVICE_COOKIE


class AccountBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        result = services.signin_attempt(
            login=username,
            password=password,
            ip_address=client_ip(request) if request is not None else None,
            device_cookie=request.COOKIES.get(DEVICE_COOKIE) if request is not None else None,
        )
        if result.user is None:
            if request is not None:
                # The admin's login form shows why (wrong password, or locked until when).
                request.civlearn_signin_error = result.error
            if result.locked_until is not None:
                # No other backend may try: a locked account stays locked whichever way it is asked.
                raise PermissionDenied(result.error)
            return None
        return result.user if self.user_can_authenticate(result.user) else None

    def get_user(self, user_id):
        # Every page's header names the person and their agency: read with the account in one query, not three.
        # Otherwise ModelBackend.get_user, with its get() (every request builds this query: first() would add an
        # ORDER BY to build, ≈ 0.4 ms of CPU): the active account with this id, or None.
        try:
            user = User._default_manager.select_related("person__agency").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
