from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "civlearn.learning"
    label = "learning"
    verbose_name = "e等公務園+"
