from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "civlearn.identity"
    label = "identity"
    verbose_name = _("人事服務網")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        # Every sign-in writes last_login in its own transaction, with the count and the 登入資訊 record
        # (services.signin_record_success, which every method calls before login()): Django's receiver would write
        # the same column again, a moment later, in a statement of its own.
        user_logged_in.disconnect(dispatch_uid="update_last_login")
