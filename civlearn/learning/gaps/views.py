"""時數缺口: the learner's gaps with the courses that close them; the reminder setting and the unsubscribe link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from civlearn.core.services import client_ip
from civlearn.learning.catalogue.views import member_required
from civlearn.learning.gaps import selectors, services


@member_required
def gaps_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "learning/gaps/page.html",
        {
            "panel": selectors.gap_panel(user=request.user, per_gap=5),
            "reminders_on": services.reminders_enabled(user=request.user),
        },
    )


@login_required
@require_POST
def preference_view(request: HttpRequest) -> HttpResponse:
    enabled = request.POST.get("enabled") == "1"
    services.reminder_preference_set(user=request.user, enabled=enabled, ip_address=client_ip(request))
    messages.success(request, _("已開啟時數缺口提醒信") if enabled else _("已關閉時數缺口提醒信"))
    return redirect("learning:gaps")


@require_http_methods(["GET", "POST"])
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (mail scanners follow links); POST turns reminders off, also as RFC 8058's one-click
    POST from the mail client. No sign-in: the signed token names the account."""
    user = services.user_for_token(token)
    if user is None:
        return render(request, "learning/gaps/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        services.reminder_preference_set(user=user, enabled=False, ip_address=client_ip(request))
        return render(request, "learning/gaps/unsubscribe.html", {"done": True})
    return render(request, "learning/gaps/unsubscribe.html", {"token": token})
