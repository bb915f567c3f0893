from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from civlearn.core import health
from civlearn.core.decorators import session_free


def home(request):
    return render(request, "core/home.html")


@never_cache
@session_free
def healthz(request):
    """Liveness: the process answers. No database, no cache — a restart is the only cure for a failure here."""
    return JsonResponse(health.liveness())


@never_cache
@session_free
def readyz(request):
    """Readiness: 200 while this process can serve (database, shared cache, broker reachable), else 503."""
    report = health.readiness()
    return JsonResponse(report.as_dict(), status=report.http_status)
