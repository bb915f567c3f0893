from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class HoursConfig(AppConfig):
    name = "civlearn.hours"
    label = "hours"
    verbose_name = _("終身學習入口網站")

    def ready(self):
        from civlearn.hours.models import AgencyCutoff
        from civlearn.hours.rules import cutoffs_changed

        # Cache invalidation only: the rule book holds the agencies' cutoffs (deadlines of every gap panel).
        post_save.connect(cutoffs_changed, sender=AgencyCutoff, dispatch_uid="rulebook-cutoff-save")
        post_delete.connect(cutoffs_changed, sender=AgencyCutoff, dispatch_uid="rulebook-cutoff-delete")
