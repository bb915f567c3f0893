from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "civlearn.content"
    label = "content"
    verbose_name = "公告、下載與說明"
