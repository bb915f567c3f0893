"""The site's URLconf plus views that fail, for the error-page tests."""

from django.core.exceptions import PermissionDenied
from django.urls import include, path

# The site's handlers, named as civlearn/urls.py names them (a string keeps core from importing the apps).
handler400 = "civlearn.core.errors.bad_request"
handler403 = "civlearn.core.errors.permission_denied"
handler404 = "civlearn.core.errors.page_not_found"
handler500 = "civlearn.core.errors.server_error"


def _boom(request):
    raise RuntimeError("failure for person A123456789")


def _forbidden(request):
    raise PermissionDenied


urlpatterns = [
    path("elearn/boom", _boom),
    path("lifelong/forbidden", _forbidden),
    path("", include("civlearn.urls")),
]
