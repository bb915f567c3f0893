from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


class ContentConfig(AppConfig):
    name = "civlearn.content"
    label = "content"
    verbose_name = "公告、下載與說明"

    def ready(self):
        from civlearn.content.models import Announcement, HelpPage
        from civlearn.identity.services import signin_page_changed

        # Cache invalidation only (the eCPA sign-in page's shared fragments: its announcements and help links): every
        # save or delete of an announcement or a help page, and an announcement's agencies changing, replace the
        # sign-in page's generation stamp. (Attachments are not shown there: the announcement's own page lists them.)
        for model in (Announcement, HelpPage):
            post_save.connect(signin_page_changed, sender=model, dispatch_uid=f"signin-page-{model.__name__}-save")
            post_delete.connect(signin_page_changed, sender=model, dispatch_uid=f"signin-page-{model.__name__}-delete")
        m2m_changed.connect(
            signin_page_changed, sender=Announcement.agencies.through, dispatch_uid="signin-page-announcement-agencies"
        )
