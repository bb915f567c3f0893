"""Sign-in through an external provider (我的E政府 …): start, callback, and the sign-in completion hook."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from civlearn.core.services import client_ip
from civlearn.identity import sessions
from civlearn.sso import external
from civlearn.sso.models import ExternalProvider

SESSION_PENDING_SIGNIN = "external_signin"
SESSION_PENDING_LINK = "external_link"


def _callback_uri(request, provider: ExternalProvider) -> str:
    return request.build_absolute_uri(reverse("sso:external_callback", args=[provider.slug]))


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
        return render(request, "sso/external_error.html", {"message": str(exc)}, status=503)
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
        return render(request, "sso/external_error.html", {"message": str(exc)}, status=400)
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
        # Whichever eCPA sign-in the person then uses, it ends at `next`: the link is finished there.
        finish = reverse("sso:external_link_finish")
        if pending.get("next"):
            finish = f"{finish}?{urlencode({'next': pending['next']})}"
        return redirect(f"{reverse('identity:signin')}?{urlencode({'next': finish})}")
    sessions.session_start(request, outcome.user, external.METHOD)
    return redirect(pending.get("next") or settings.LOGIN_REDIRECT_URL)


@login_required
@never_cache
def external_link_finish(request):
    """Where an eCPA sign-in asked for by an unlinked external account ends: the link is made for the person who
    just signed in, then on to where they were going."""
    pending = request.session.pop(SESSION_PENDING_LINK, None)
    if pending:
        identity = external.link_pending(user=request.user, pending=pending, ip_address=client_ip(request))
        if identity is not None:
            messages.success(
                request, _("已連結您的%(name)s帳號，日後可直接以該帳號登入") % {"name": identity.provider.name}
            )
    return redirect(_safe_next(request, request.GET.get("next", "")) or settings.LOGIN_REDIRECT_URL)
