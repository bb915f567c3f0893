"""Single sign-on: the OIDC provider's signing keys, relying-party settings and connected systems (連結系統),
and external OpenID Connect providers (e.g. 我的E政府) with the accounts linked to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from civlearn.core import clock


class SigningKey(models.Model):
    """An RSA key that signs ID tokens. Exactly one is active; retired keys stay published in the JWKS until the
    last ID token they signed has expired (`publish_until`), then `oidc_rotate_key` deletes them."""

    kid = models.CharField("金鑰識別碼", max_length=64, unique=True)
    private_pem = models.TextField("私鑰 (PEM)")
    created_at = models.DateTimeField("建立時間", default=clock.now)
    # True for the signing key and NULL for retired ones: a unique column then allows one active key and any number
    # of retired ones, on SQLite and PostgreSQL alike, so two processes cannot both create "the" first key.
    active = models.BooleanField("使用中", null=True, unique=True, default=True)
    retired_at = models.DateTimeField("停用時間", null=True, blank=True)
    publish_until = models.DateTimeField("公布至", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "OIDC 簽章金鑰"
        verbose_name_plural = "OIDC 簽章金鑰"

    def __str__(self) -> str:
        return f"{self.kid[:12]}… {'使用中' if self.active else '已停用'}"


class RelyingParty(models.Model):
    """What an operator decides about one OAuth application beyond django-oauth-toolkit's own fields."""

    GROUP_CPA = "人事總處系統"
    GROUP_OTHER = "非人事總處機關及系統"
    GROUP_CHOICES = [(GROUP_CPA, GROUP_CPA), (GROUP_OTHER, GROUP_OTHER)]

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        verbose_name="應用程式",
        on_delete=models.CASCADE,
        related_name="relying_party",
    )
    allowed_scopes = models.CharField(
        "可用範圍",
        max_length=200,
        default="openid profile email agency",
        help_text="以空白分隔，例如 openid profile email agency；national_id 另需勾選「可取得身分證字號」。",
    )
    first_party = models.BooleanField(
        "本平臺系統", default=False, help_text="本平臺自有系統不顯示同意頁；其他系統於首次進入時請使用者同意。"
    )
    national_id_allowed = models.BooleanField("可取得身分證字號", default=False)
    listed = models.BooleanField("列於連結系統", default=False)
    group = models.CharField("分類", max_length=20, choices=GROUP_CHOICES, default=GROUP_OTHER)
    code = models.CharField("代號", max_length=10, blank=True, help_text="例如 DL1")
    # Where the 連結系統 link leads: the system's own sign-in start (its OIDC login-initiation address) or, for a
    # system served by this platform, its path (e.g. /elearn/), which shares the eCPA session.
    entry_url = models.CharField("進入網址", max_length=500, blank=True)
    description = models.CharField("說明", max_length=200, blank=True)
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        ordering = ["group", "order", "id"]
        verbose_name = "連結系統設定"
        verbose_name_plural = "連結系統設定"

    def __str__(self) -> str:
        return f"{self.code} {self.application.name}".strip()

    @property
    def scope_set(self) -> set[str]:
        return set(self.allowed_scopes.split())


class ExternalProvider(models.Model):
    """An external OpenID Connect provider people may sign in with (manual step 三: 我的E政府)."""

    slug = models.SlugField("代稱", max_length=30, unique=True, help_text="出現在登入網址中，例如 myegov")
    name = models.CharField("名稱", max_length=60)
    issuer = models.URLField("Issuer", max_length=300)
    client_id = models.CharField("Client ID", max_length=200)
    client_secret = models.CharField("Client secret", max_length=300, blank=True)
    scopes = models.CharField("要求範圍", max_length=200, default="openid profile email")
    # Empty when the provider does not vouch for national IDs: such people link through the first sign-in check.
    national_id_claim = models.CharField("身分證字號宣告名稱", max_length=60, blank=True)
    is_active = models.BooleanField("啟用", default=True)
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = "外部登入提供者"
        verbose_name_plural = "外部登入提供者"

    def __str__(self) -> str:
        return self.name


class ExternalIdentity(models.Model):
    """One person at an external provider (issuer + subject), linked to one account."""

    BY_NATIONAL_ID = "national_id"
    BY_VERIFICATION = "verification"
    LINKED_BY_CHOICES = [(BY_NATIONAL_ID, "身分證字號宣告"), (BY_VERIFICATION, "首次登入認證")]

    provider = models.ForeignKey(
        ExternalProvider, verbose_name="提供者", on_delete=models.PROTECT, related_name="identities"
    )
    subject = models.CharField("外部識別碼 (sub)", max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="帳號", on_delete=models.CASCADE, related_name="external_identities"
    )
    linked_by = models.CharField("連結方式", max_length=16, choices=LINKED_BY_CHOICES)
    linked_at = models.DateTimeField("連結時間", default=clock.now)
    last_signin_at = models.DateTimeField("上次登入", null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="external_identity_unique"),
        ]
        verbose_name = "外部帳號連結"
        verbose_name_plural = "外部帳號連結"

    def __str__(self) -> str:
        return f"{self.provider} {self.subject[:12]} → {self.user}"
