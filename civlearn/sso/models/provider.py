"""The OIDC provider's signing keys, and what operators decide per relying party (連結系統)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civlearn.core import clock


class SigningKey(models.Model):
    """An RSA key that signs ID tokens. Exactly one is active; retired keys stay published in the JWKS until the
    last ID token they signed has expired (`publish_until`), then `oidc_rotate_key` deletes them."""

    kid = models.CharField(_("金鑰識別碼"), max_length=64, unique=True)
    private_pem = models.TextField(_("私鑰 (PEM)"))
    created_at = models.DateTimeField(_("建立時間"), default=clock.now)
    # True for the signing key and NULL for retired ones: a unique column then allows one active key and any number
    # of retired ones, on SQLite and PostgreSQL alike, so two processes cannot both create "the" first key.
    active = models.BooleanField(_("使用中"), null=True, unique=True, default=True)
    retired_at = models.DateTimeField(_("停用時間"), null=True, blank=True)
    publish_until = models.DateTimeField(_("公布至"), null=True, blank=True)

    class Meta:
        db_table = "identity_signingkey"  # kept from the identity app, where these models began
        ordering = ["-created_at", "-id"]
        verbose_name = _("OIDC 簽章金鑰")
        verbose_name_plural = _("OIDC 簽章金鑰")

    def __str__(self) -> str:
        return f"{self.kid[:12]}… {'使用中' if self.active else '已停用'}"


class RelyingParty(models.Model):
    """What an operator decides about one OAuth application beyond django-oauth-toolkit's own fields."""

    GROUP_CPA = "人事總處系統"
    GROUP_OTHER = "非人事總處機關及系統"
    # The stored values stay zh-Hant (migrations and data name them); the labels follow the reader's language.
    GROUP_CHOICES = [(GROUP_CPA, _("人事總處系統")), (GROUP_OTHER, _("非人事總處機關及系統"))]

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        verbose_name=_("應用程式"),
        on_delete=models.CASCADE,
        related_name="relying_party",
    )
    allowed_scopes = models.CharField(
        _("可用範圍"),
        max_length=200,
        default="openid profile email agency",
        help_text=_("以空白分隔，例如 openid profile email agency；national_id 另需勾選「可取得身分證字號」。"),
    )
    first_party = models.BooleanField(
        _("本平臺系統"), default=False, help_text=_("本平臺自有系統不顯示同意頁；其他系統於首次進入時請使用者同意。")
    )
    national_id_allowed = models.BooleanField(_("可取得身分證字號"), default=False)
    listed = models.BooleanField(_("列於連結系統"), default=False)
    group = models.CharField(_("分類"), max_length=20, choices=GROUP_CHOICES, default=GROUP_OTHER)
    code = models.CharField(_("代號"), max_length=10, blank=True, help_text=_("例如 DL1"))
    # Where the 連結系統 link leads: the system's own sign-in start (its OIDC login-initiation address) or, for a
    # system served by this platform, its path (e.g. /elearn/), which shares the eCPA session.
    entry_url = models.CharField(_("進入網址"), max_length=500, blank=True)
    description = models.CharField(_("說明"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        db_table = "identity_relyingparty"  # kept from the identity app, where these models began
        ordering = ["group", "order", "id"]
        verbose_name = _("連結系統設定")
        verbose_name_plural = _("連結系統設定")

    def __str__(self) -> str:
        return f"{self.code} {self.application.name}".strip()

    @property
    def scope_set(self) -> set[str]:
        return set(self.allowed_scopes.split())
