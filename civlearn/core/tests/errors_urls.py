"""The site's URLconf plus views that fail, for the error-page tests."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from civlearn.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def _boom(request):
    raise RuntimeError("failure for person A123456789")


def _forbidden(request):
    raise PermissionDenied


urlpatterns = [
    path("elearn/boom", _boom),
    path("lifelong/forbidden", _forbidden),
    *urlpatterns,
]
