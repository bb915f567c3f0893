"""The single sign-on pages under /ecpa/ (連結系統, external providers); the provider's protocol endpoints under /o/
are `views.protocol_urlpatterns`."""

from django.urls import path

from civlearn.sso import external_views, views

app_name = "sso"

urlpatterns = [
    path("my/systems", views.connected_systems, name="connected_systems"),
    path("my/systems/<int:pk>/enter", views.connected_system_enter, name="connected_system_enter"),
    path("external/<slug:slug>/start", external_views.external_start, name="external_start"),
    path("external/<slug:slug>/callback", external_views.external_callback, name="external_callback"),
    path("external/link", external_views.external_link_finish, name="external_link_finish"),
]
