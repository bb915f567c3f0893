"""eCPA accounts. One account per registry person; operators may have an account with no person."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models

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
    username = models.CharField("自訂帳號", max_length=30, unique=True, null=True, blank=True)
    person = models.OneToOneField(
        "registry.Person", verbose_name="人員", null=True, blank=True, on_delete=models.PROTECT, related_name="account"
    )
    email = models.EmailField("電子郵件", blank=True)
    phone = models.CharField("個人電話", max_length=30, blank=True)
    is_staff = models.BooleanField("可進入管理介面", default=False)
    is_active = models.BooleanField("啟用", default=True)
    date_joined = models.DateTimeField("建立時間", default=clock.now)
    password_changed_at = models.DateTimeField("密碼變更時間", null=True, blank=True)
    signin_count = models.PositiveIntegerField("登入次數", default=0)
    last_signin_ip = models.GenericIPAddressField("上次登入位址", null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "帳號"
        verbose_name_plural = "帳號"

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

    user = models.ForeignKey(User, verbose_name="帳號", on_delete=models.CASCADE, related_name="agency_roles")
    agency = models.ForeignKey("registry.Agency", verbose_name="機關", on_delete=models.CASCADE, related_name="roles")
    role = models.CharField("角色", max_length=16, choices=ROLE_CHOICES)
    # An HR office sees its sub-agencies too unless this is off.
    include_subagencies = models.BooleanField("含所屬機關", default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "agency", "role"], name="agency_role_unique")]
        verbose_name = "機關角色"
        verbose_name_plural = "機關角色"

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} @ {self.agency.code}"
