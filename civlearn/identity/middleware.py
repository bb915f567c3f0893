"""Send a person whose password is older than the allowed age to the forced change (manual step 八: 180 days)."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import reverse

from civlearn.identity.passwords import password_expired


class PasswordExpiryMiddleware:
    # Paths a person with an expired password may still reach.
    ALLOWED_PREFIXES = ("/static/", "/media/", "/i18n/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Token-authenticated views (core.decorators.session_free) never load the session for this check.
        if getattr(view_func, "civlearn_session_free", False):
            return None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and password_expired(user):
            target = reverse("identity:password_expired")
            allowed = (target, reverse("identity:signout"), *self.ALLOWED_PREFIXES)
            if not request.path.startswith(allowed):
                return redirect(target)
        return None
