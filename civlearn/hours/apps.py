from django.apps import AppConfig


class HoursConfig(AppConfig):
    name = "civlearn.hours"
    label = "hours"
    verbose_name = "終身學習入口網站"
