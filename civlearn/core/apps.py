from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "civlearn.core"
    label = "core"
    verbose_name = "核心"
