"""eCPA accounts. One account per registry person; operators may have an account with no person."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from civlearn.core import clock


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, username: str | None = None, password: str | None = None, **extra):
        user = self.model(username=username or None, **extra)
        if password:
            user.set_password(password)
            user.password_changed_at = clock.now()
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(username, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    # The custom account (自訂帳號); empty until the person sets one. Sign-in also accepts the national ID.
    username = models.CharField(_("自訂帳號"), max_length=30, unique=True, null=True, blank=True)
    person = models.OneToOneField(
        "registry.Person",
        verbose_name=_("人員"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="account",
    )
    email = models.EmailField(_("電子郵件"), blank=True)
    phone = models.CharField(_("個人電話"), max_length=30, blank=True)
    is_staff = models.BooleanField(_("可進入管理介面"), default=False)
    is_active = models.BooleanField(_("啟用"), default=True)
    date_joined = models.DateTimeField(_("建立時間"), default=clock.now)
    password_changed_at = models.DateTimeField(_("密碼變更時間"), null=True, blank=True)
    signin_count = models.PositiveIntegerField(_("登入次數"), default=0)
    last_signin_ip = models.GenericIPAddressField(_("上次登入位址"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            # 自訂帳號 is unique whatever the case: "Wang01" and "wang01" would sign in as each other otherwise.
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
        ]
        verbose_name = _("帳號")
        verbose_name_plural = _("帳號")

    def __str__(self) -> str:
        if self.person_id:
            return str(self.person)
        return self.username or f"user {self.pk}"

    @property
    def display_name(self) -> str:
        return self.person.name if self.person_id else (self.username or "")


class AgencyRole(models.Model):
    """A duty someone holds for an agency: its HR office (人事室) or its course-provider staff."""

    HR_OFFICER = "hr"
    PROVIDER = "provider"
    ROLE_CHOICES = [(HR_OFFICER, "人事人員"), (PROVIDER, "課程提供人員")]

    user = models.ForeignKey(User, verbose_name=_("帳號"), on_delete=models.CASCADE, related_name="agency_roles")
    agency = models.ForeignKey(
        "registry.Agency", verbose_name=_("機關"), on_delete=models.CASCADE, related_name="roles"
    )
    role = models.CharField(_("角色"), max_length=16, choices=ROLE_CHOICES)
    # An HR office sees its sub-agencies too unless this is off.
    include_subagencies = models.BooleanField(_("含所屬機關"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "agency", "role"], name="agency_role_unique")]
        verbose_name = _("機關角色")
        verbose_name_plural = _("機關角色")

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} @ {self.agency.code}"


class PasswordHistory(models.Model):
    """Hashes of the passwords an account has had, newest first: the "not one of the last 3" rule reads them."""

    user = models.ForeignKey(User, verbose_name=_("帳號"), on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(_("密碼雜湊"), max_length=128)
    created_at = models.DateTimeField(_("設定時間"), default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        verbose_name = _("密碼歷程")
        verbose_name_plural = _("密碼歷程")

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"


class EmailVerification(models.Model):
    """One e-mailed link + code: first sign-in (首次登入) or forgotten password (忘記密碼).

    Only hashes are stored: the link's token (sha256) and the code (HMAC keyed by SECRET_KEY and the token hash),
    so a copy of the table lets nobody finish a verification.
    """

    FIRST_SIGNIN = "first_signin"
    RESET = "reset"
    PURPOSE_CHOICES = [(FIRST_SIGNIN, "首次登入"), (RESET, "忘記密碼")]

    purpose = models.CharField(_("用途"), max_length=16, choices=PURPOSE_CHOICES)
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("人員"), on_delete=models.CASCADE, related_name="email_verifications"
    )
    email = models.EmailField(_("電子郵件"))
    token_hash = models.CharField(_("連結雜湊"), max_length=64, unique=True)
    code_hash = models.CharField(_("認證碼雜湊"), max_length=64)
    created_at = models.DateTimeField(_("建立時間"), default=clock.now)
    expires_at = models.DateTimeField(_("到期時間"))
    failed_attempts = models.PositiveSmallIntegerField(_("認證碼錯誤次數"), default=0)
    verified_at = models.DateTimeField(_("認證時間"), null=True, blank=True)
    used_at = models.DateTimeField(_("使用時間"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("申請位址"), null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["person", "created_at"])]
        verbose_name = _("電子郵件認證")
        verbose_name_plural = _("電子郵件認證")

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.person} {self.created_at:%Y-%m-%d %H:%M}"


class SigninRecord(models.Model):
    """One sign-in attempt on a known account: the 登入資訊 shown to the person and the OIDC amr source."""

    PASSWORD = "pwd"  # noqa: S105 (a method name, the OIDC amr value)
    METHOD_CHOICES = [
        (PASSWORD, "帳號密碼登入"),
        ("moica", "自然人憑證登入"),
        ("gca", "機關憑證登入"),
        ("passkey", "通行金鑰登入"),
        ("ext", "外部帳號登入"),  # an external OIDC provider such as 我的E政府 (identity/external.py)
    ]

    user = models.ForeignKey(User, verbose_name=_("帳號"), on_delete=models.CASCADE, related_name="signin_records")
    at = models.DateTimeField(_("時間"), default=clock.now)
    ip_address = models.GenericIPAddressField(_("位址"), null=True, blank=True)
    method = models.CharField(_("登入方式"), max_length=16, choices=METHOD_CHOICES)
    success = models.BooleanField(_("成功"))

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "-at"])]
        verbose_name = _("登入紀錄")
        verbose_name_plural = _("登入紀錄")

    def __str__(self) -> str:
        return f"{self.user} {self.at:%Y-%m-%d %H:%M:%S} {self.method} {'ok' if self.success else 'failed'}"
