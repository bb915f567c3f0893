from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
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


def favicon(request):
    """Tools and old browsers ask for /favicon.ico whatever the page says; the pages name the SVG. Its name carries
    its content hash (collectstatic), so the redirect is read at request time and is temporary: a permanent one
    would keep browsers on the old name after the icon changes."""
    return redirect(static("favicon.svg"))
