from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "civlearn.identity"
    label = "identity"
    verbose_name = "人事服務網"
