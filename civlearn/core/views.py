from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render


def home(request):
    return render(request, "core/home.html")


def healthz(request):
    """Liveness and database reachability, for load balancers and ./run."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    if request.GET.get("format") == "text":
        return HttpResponse("ok", content_type="text/plain")
    return JsonResponse({"status": "ok"})
