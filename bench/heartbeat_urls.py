"""The site's URLs plus /bench/hello: a plain Django view through the same middleware, no database."""

from django.http import HttpResponse
from django.urls import path

from civlearn.urls import urlpatterns as site_patterns


def hello(request):
    return HttpResponse("hello", content_type="text/plain")


urlpatterns = [path("bench/hello", hello), *site_patterns]
