"""The site's URLs plus /bench/hello (a plain GET view) and /bench/echo (a form POST answered with JSON), both
through the same middleware and without the database."""

from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from civlearn.urls import urlpatterns as site_patterns


def hello(request):
    return HttpResponse("hello", content_type="text/plain")


@csrf_exempt
@require_POST
def echo(request):
    """The heartbeat's shape without its work: parse the same form body, answer JSON. Separates Django's cost of
    a POST from the cost of crediting."""
    return JsonResponse({"ok": True, "token": request.POST.get("token", "")})


urlpatterns = [path("bench/hello", hello), path("bench/echo", echo), *site_patterns]
