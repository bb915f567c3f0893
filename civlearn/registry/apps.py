from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "civlearn.registry"
    label = "registry"
    verbose_name = "人事資料"
