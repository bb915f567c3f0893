from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from oauth2_provider.apps import DOTConfig


class SsoConfig(AppConfig):
    # This module also holds OAuthToolkitConfig (and imports DOTConfig): without `default`, Django would not pick
    # this class for "civlearn.sso" and ready() below would never run.
    default = True
    name = "civlearn.sso"
    label = "sso"
    verbose_name = _("單一登入")

    def ready(self):
        from oauth2_provider.models import get_application_model

        from civlearn.identity.services import signin_page_changed
        from civlearn.sso.models import ExternalProvider, RelyingParty
        from civlearn.sso.oidc import forget_cached_clients

        # Cache invalidation only (oidc.cached_client): every write path of a client — the admin, the services, DOT,
        # a shell — goes through the model's save or delete.
        for model in (get_application_model(), RelyingParty):
            post_save.connect(forget_cached_clients, sender=model, dispatch_uid=f"oidc-clients-{model.__name__}-save")
            post_delete.connect(
                forget_cached_clients, sender=model, dispatch_uid=f"oidc-clients-{model.__name__}-delete"
            )
        # The eCPA sign-in page's shared fragment of external providers' buttons: every save or delete of a provider
        # replaces the sign-in page's generation stamp.
        post_save.connect(signin_page_changed, sender=ExternalProvider, dispatch_uid="signin-page-provider-save")
        post_delete.connect(signin_page_changed, sender=ExternalProvider, dispatch_uid="signin-page-provider-delete")


# django-oauth-toolkit's models have no verbose names (the admin would read "Applications", "Access tokens" in a
# Chinese page) and its app name is a plain string; its field labels are gettext strings, translated to zh-Hant in
# locale/zh_Hant/. The names below are zh-Hant source strings like the rest of the platform (English in sso's po;
# the plural is the same Chinese, told apart by the "plural" context).
_DOT_MODEL_NAMES = {
    "application": (_("OAuth 應用程式"), pgettext_lazy("plural", "OAuth 應用程式")),
    "accesstoken": (_("存取權杖"), pgettext_lazy("plural", "存取權杖")),
    "refreshtoken": (_("更新權杖"), pgettext_lazy("plural", "更新權杖")),
    "grant": (_("授權碼"), pgettext_lazy("plural", "授權碼")),
    "idtoken": (_("ID 權杖"), pgettext_lazy("plural", "ID 權杖")),
    "devicegrant": (_("裝置授權"), pgettext_lazy("plural", "裝置授權")),
}


class OAuthToolkitConfig(DOTConfig):
    """django-oauth-toolkit with zh-Hant names in the admin (INSTALLED_APPS names this class instead of the app)."""

    verbose_name = _("OAuth／OIDC 權杖與應用程式")

    def ready(self):
        super().ready()
        for model in self.get_models():
            names = _DOT_MODEL_NAMES.get(model._meta.model_name)
            if names:
                # Options.verbose_name is what Meta.verbose_name sets; the models are the library's, so it is set here.
                model._meta.verbose_name, model._meta.verbose_name_plural = names
