from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class SsoConfig(AppConfig):
    name = "civlearn.sso"
    label = "sso"
    verbose_name = "單一登入"

    def ready(self):
        from oauth2_provider.models import get_application_model

        from civlearn.sso.models import RelyingParty
        from civlearn.sso.oidc import forget_cached_clients

        # Cache invalidation only (oidc.cached_client): every write path of a client — the admin, the services, DOT,
        # a shell — goes through the model's save or delete.
        for model in (get_application_model(), RelyingParty):
            post_save.connect(forget_cached_clients, sender=model, dispatch_uid=f"oidc-clients-{model.__name__}-save")
            post_delete.connect(
                forget_cached_clients, sender=model, dispatch_uid=f"oidc-clients-{model.__name__}-delete"
            )
