from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    name = "civlearn.learning"
    label = "learning"
    verbose_name = _("e等公務園+")

    def ready(self):
        from civlearn.learning.catalogue.selectors import catalogue_changed
        from civlearn.learning.completion.consent import consent_forget
        from civlearn.learning.home.packages import packages_changed
        from civlearn.learning.home.points import badge_forget
        from civlearn.learning.models import (
            Course,
            CoursePackage,
            Enrolment,
            MemberConsent,
            MemberProfile,
            Sco,
            ScormPackage,
            Unit,
            Zone,
        )

        # Cache invalidation only (the cached fragments of the catalogue and of the course and unit pages): every
        # save or delete of a course, a zone, a unit or a SCORM package, and a course's zones or allowed agencies
        # changing, replace the catalogue's generation stamp.
        for model in (Course, Zone, Unit, ScormPackage, Sco):
            post_save.connect(catalogue_changed, sender=model, dispatch_uid=f"catalogue-{model.__name__}-save")
            post_delete.connect(catalogue_changed, sender=model, dispatch_uid=f"catalogue-{model.__name__}-delete")
        m2m_changed.connect(catalogue_changed, sender=Course.zones.through, dispatch_uid="catalogue-course-zones")
        # (Which agencies may enrol is also in the gap panel's cached open courses per agency: learning.gaps.)
        m2m_changed.connect(
            catalogue_changed, sender=Course.allowed_agencies.through, dispatch_uid="catalogue-course-agencies"
        )
        # The packages a learner sees (個人專區), cached per agency and 身份別: a package's or a course's save or
        # delete, and a package's courses changing, replace their generation stamp.
        for model in (CoursePackage, Course):
            post_save.connect(packages_changed, sender=model, dispatch_uid=f"packages-{model.__name__}-save")
            post_delete.connect(packages_changed, sender=model, dispatch_uid=f"packages-{model.__name__}-delete")
        m2m_changed.connect(packages_changed, sender=CoursePackage.courses.through, dispatch_uid="packages-courses")
        # A learner's cached "has decided on the current terms" (member_required, on every page): a decision deleted.
        post_delete.connect(consent_forget, sender=MemberConsent, dispatch_uid="member-consent-delete")
        # The header's badge (learning.home.points.badge_cached): a completion, an enrolment, a nickname.
        for model in (Enrolment, MemberProfile):
            post_save.connect(badge_forget, sender=model, dispatch_uid=f"badge-{model.__name__}-save")
            post_delete.connect(badge_forget, sender=model, dispatch_uid=f"badge-{model.__name__}-delete")
