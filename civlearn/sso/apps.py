from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "civlearn.sso"
    label = "sso"
    verbose_name = "單一登入"
