"""e等公務園+ entrance (manual steps 一 to 三): the first-visit notice (cookie and privacy notice) and the 登入 choice
between 人事服務網 eCPA and the external providers an operator configured (我的E政府).

The notice is acknowledged by a plain form post (no script needed), remembered per browser by a cookie; the
sign-in choice carries `next` (validated same-site) so the person lands back on the page they were on.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from civlearn.learning.entrance.notice import NOTICE_COOKIE, NOTICE_MAX_AGE, NOTICE_VERSION
from civlearn.sso.external import active_providers


def safe_next(request, default: str) -> str:
    """`next` from the form or query when it is a same-site path, else `default` (never another site)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@require_POST
def notice_acknowledge(request):
    """「了解，我清楚了」: remember this browser's answer for a year and go back to the page."""
    response = redirect(safe_next(request, reverse("learning:catalogue")))
    response.set_cookie(
        NOTICE_COOKIE,
        NOTICE_VERSION,
        max_age=NOTICE_MAX_AGE,
        secure=settings.SECURE_COOKIES,
        httponly=True,
        samesite="Lax",
    )
    return response


@require_GET
def signin_choice(request):
    """登入 (manual step 三): 人事服務網 eCPA, or an external provider such as 我的E政府."""
    target = safe_next(request, reverse("learning:catalogue"))
    if request.user.is_authenticated:
        return redirect(target)
    context = {"next": target, "providers": active_providers()}
    return render(request, "learning/signin_choice.html", context)
