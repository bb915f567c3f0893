from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    name = "civlearn.learning"
    label = "learning"
    verbose_name = _("e等公務園+")

    def ready(self):
        from civlearn.learning.catalogue.selectors import catalogue_changed
        from civlearn.learning.models import Course, Zone

        # Cache invalidation only (the catalogue's cached fragments): every save or delete of a course or a zone,
        # and a course's zones or allowed agencies changing, replace the catalogue's generation stamp.
        for model in (Course, Zone):
            post_save.connect(catalogue_changed, sender=model, dispatch_uid=f"catalogue-{model.__name__}-save")
            post_delete.connect(catalogue_changed, sender=model, dispatch_uid=f"catalogue-{model.__name__}-delete")
        m2m_changed.connect(catalogue_changed, sender=Course.zones.through, dispatch_uid="catalogue-course-zones")
        # Which agencies may enrol: the gap panel's cached open courses per agency (learning.gaps.selectors).
        m2m_changed.connect(
            catalogue_changed, sender=Course.allowed_agencies.through, dispatch_uid="catalogue-course-agencies"
        )
