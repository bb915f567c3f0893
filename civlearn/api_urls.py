"""/api/v1/: every app's JSON API under one OpenAPI schema."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    path("schema", SpectacularAPIView.as_view(), name="api-schema"),
    path("", include("civlearn.hours.api_urls")),
]
