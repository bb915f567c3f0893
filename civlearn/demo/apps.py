from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for every face (manage.py seed_demo). Sits outside the app layers: it may use them all."""

    name = "civlearn.demo"
    label = "demo"
    verbose_name = "示範資料"
