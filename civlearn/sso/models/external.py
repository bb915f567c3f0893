"""External OpenID Connect providers people may sign in with (我的E政府) and the accounts linked to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civlearn.core import clock


class ExternalProvider(models.Model):
    """An external OpenID Connect provider people may sign in with (manual step 三: 我的E政府)."""

    slug = models.SlugField(_("代稱"), max_length=30, unique=True, help_text=_("出現在登入網址中，例如 myegov"))
    name = models.CharField(_("名稱"), max_length=60)
    issuer = models.URLField("Issuer", max_length=300)
    client_id = models.CharField("Client ID", max_length=200)
    client_secret = models.CharField("Client secret", max_length=300, blank=True)
    scopes = models.CharField(_("要求範圍"), max_length=200, default="openid profile email")
    # Empty when the provider does not vouch for national IDs: such people link through the first sign-in check.
    national_id_claim = models.CharField(_("身分證字號宣告名稱"), max_length=60, blank=True)
    is_active = models.BooleanField(_("啟用"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        db_table = "identity_externalprovider"  # kept from the identity app, where these models began
        ordering = ["order", "id"]
        verbose_name = _("外部登入提供者")
        verbose_name_plural = _("外部登入提供者")

    def __str__(self) -> str:
        return self.name


class ExternalIdentity(models.Model):
    """One person at an external provider (issuer + subject), linked to one account."""

    BY_NATIONAL_ID = "national_id"
    BY_VERIFICATION = "verification"
    LINKED_BY_CHOICES = [(BY_NATIONAL_ID, "身分證字號宣告"), (BY_VERIFICATION, "首次登入認證")]

    provider = models.ForeignKey(
        ExternalProvider, verbose_name=_("提供者"), on_delete=models.PROTECT, related_name="identities"
    )
    subject = models.CharField(_("外部識別碼 (sub)"), max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("帳號"), on_delete=models.CASCADE, related_name="external_identities"
    )
    linked_by = models.CharField(_("連結方式"), max_length=16, choices=LINKED_BY_CHOICES)
    linked_at = models.DateTimeField(_("連結時間"), default=clock.now)
    last_signin_at = models.DateTimeField(_("上次登入"), null=True, blank=True)

    class Meta:
        db_table = "identity_externalidentity"  # kept from the identity app, where these models began
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="external_identity_unique"),
        ]
        verbose_name = _("外部帳號連結")
        verbose_name_plural = _("外部帳號連結")

    def __str__(self) -> str:
        return f"{self.provider} {self.subject[:12]} → {self.user}"
