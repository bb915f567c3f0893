"""Sign-in through an external provider (我的E政府 …): start, callback, and the sign-in completion hook."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from civlearn.core.services import client_ip
from civlearn.identity import external
from civlearn.identity.models_sso import ExternalProvider

SESSION_PENDING_SIGNIN = "external_signin"
SESSION_PENDING_LINK = "external_link"
BACKEND = "civlearn.identity.backends.AccountBackend"
SESSION_METHOD = "identity_signin_method"  # the same key identity.views uses for 登入方式


def _callback_uri(request, provider: ExternalProvider) -> str:
    return request.build_absolute_uri(reverse("identity:external_callback", args=[provider.slug]))


def _safe_next(request, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


@never_cache
def external_start(request, slug: str):
    provider = get_object_or_404(ExternalProvider, slug=slug, is_active=True)
    try:
        url, pending = external.signin_start(provider=provider, redirect_uri=_callback_uri(request, provider))
    except external.ExternalSigninError as exc:
        return render(request, "identity/sso/external_error.html", {"message": str(exc)}, status=503)
    pending["next"] = _safe_next(request, request.GET.get("next", ""))
    request.session[SESSION_PENDING_SIGNIN] = pending
    return redirect(url)


@never_cache
def external_callback(request, slug: str):
    provider = get_object_or_404(ExternalProvider, slug=slug, is_active=True)
    # Single use: a replayed callback finds nothing pending.
    pending = request.session.pop(SESSION_PENDING_SIGNIN, None) or {}
    try:
        outcome = external.signin_finish(
            provider=provider,
            pending=pending,
            params=request.GET.dict(),
            redirect_uri=_callback_uri(request, provider),
            ip_address=client_ip(request),
        )
    except external.ExternalSigninError as exc:
        return render(request, "identity/sso/external_error.html", {"message": str(exc)}, status=400)
    if outcome.user is None:
        request.session[SESSION_PENDING_LINK] = outcome.pending
        messages.info(
            request,
            _(
                "您的%(name)s帳號尚未與 eCPA 帳號連結。請以 eCPA 帳號登入一次（尚無帳號者請先完成首次登入），"
                "登入後即完成連結，日後可直接以%(name)s登入。"
            )
            % {"name": provider.name},
        )
        signin = reverse("identity:signin")
        return redirect(f"{signin}?{urlencode({'next': pending['next']})}" if pending.get("next") else signin)
    login(request, outcome.user, backend=BACKEND)
    request.session[SESSION_METHOD] = external.METHOD
    return redirect(pending.get("next") or "identity:my_area")


def after_signin(request, user) -> None:
    """Sign-in completion hook (called by identity's sign-in view): finish a pending external link."""
    pending = request.session.pop(SESSION_PENDING_LINK, None)
    if not pending:
        return
    identity = external.link_pending(user=user, pending=pending, ip_address=client_ip(request))
    if identity is not None:
        messages.success(
            request, _("已連結您的%(name)s帳號，日後可直接以該帳號登入") % {"name": identity.provider.name}
        )
