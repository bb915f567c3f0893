"""Password sign-in by national ID or custom account (manual step 九)."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from civlearn.core import national_id
from civlearn.identity.models import User


def find_account(login: str) -> User | None:
    """The account a sign-in name refers to: a national ID (any case) or a custom account, else None."""
    text = (login or "").strip()
    if not text:
        return None
    normalized = national_id.normalize(text)
    query = User.objects.select_related("person")
    if national_id.is_valid(normalized):
        found = query.filter(person__national_id=normalized).first()
        if found:
            return found
    # 自訂帳號 is unique whatever the case (a constraint on Lower(username)), so case does not matter here either.
    return query.filter(username__iexact=text).first()


class AccountBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = find_account(username)
        if user is None:
            # Hash anyway so that response time does not tell whether the account exists.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
