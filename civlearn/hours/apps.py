from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HoursConfig(AppConfig):
    name = "civlearn.hours"
    label = "hours"
    verbose_name = _("終身學習入口網站")
