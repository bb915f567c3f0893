"""The exchange with learning institutions and the HR notices: uploads (ImportJob), API clients, HR reminders.
Announcements live in civlearn.content."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civlearn.core.jobs import JobBase


class ImportJob(JobBase):
    """One uploaded file, from upload to result. A person can leave the page and come back to it. Status, progress
    and heartbeat are the job machinery's (core/jobs.py)."""

    institution = models.ForeignKey(
        "registry.Agency", verbose_name=_("學習機關(構)"), on_delete=models.PROTECT, related_name="hours_import_jobs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上傳者"), on_delete=models.PROTECT, related_name="hours_import_jobs"
    )
    file = models.FileField(_("檔案"), upload_to="hours/imports/%Y/%m/")
    file_name = models.CharField(_("檔名"), max_length=200)
    encoding = models.CharField(_("編碼"), max_length=20, blank=True)
    # The person asked to commit the valid rows of a file that has errors.
    commit_valid_only = models.BooleanField(_("只匯入正確的資料列"), default=False)
    total_rows = models.PositiveIntegerField(_("資料列數"), default=0)
    valid_rows = models.PositiveIntegerField(_("正確列數"), default=0)
    invalid_rows = models.PositiveIntegerField(_("錯誤列數"), default=0)
    created_rows = models.PositiveIntegerField(_("新增筆數"), default=0)
    duplicate_rows = models.PositiveIntegerField(_("重複（已存在）筆數"), default=0)
    error_count = models.PositiveIntegerField(_("錯誤數"), default=0)
    # [{row, column, value, message}], capped (see jobs.MAX_STORED_ERRORS); error_count has the full count.
    errors = models.JSONField(_("錯誤報告"), default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="hours_import_job_by_user"),
            # The reclaim runs on every job page and poll: it looks only at the few running jobs.
            models.Index(
                fields=["heartbeat_at"], name="hours_import_job_running", condition=models.Q(status="running")
            ),
        ]
        verbose_name = _("批次上傳")
        verbose_name_plural = _("批次上傳")

    def __str__(self) -> str:
        return f"{self.file_name}（{self.get_status_display()}）"


class InstitutionClient(models.Model):
    """Maps an OAuth 2 application (client credentials) to the learning institution it uploads for."""

    application = models.OneToOneField(
        "oauth2_provider.Application",
        verbose_name=_("OAuth 應用程式"),
        on_delete=models.CASCADE,
        related_name="hours_institution",
    )
    institution = models.ForeignKey(
        "registry.Agency", verbose_name=_("學習機關(構)"), on_delete=models.PROTECT, related_name="hours_api_clients"
    )
    is_active = models.BooleanField(_("啟用"), default=True)
    created_at = models.DateTimeField(_("建立時間"), auto_now_add=True)

    class Meta:
        verbose_name = _("時數上傳 API 用戶端")
        verbose_name_plural = _("時數上傳 API 用戶端")

    def __str__(self) -> str:
        return f"{self.application} → {self.institution.code}"


class ReminderRecord(models.Model):
    """One reminder e-mail an HR office sent to a person who is short of a requirement."""

    person = models.ForeignKey(
        "registry.Person", verbose_name=_("人員"), on_delete=models.PROTECT, related_name="hours_reminders"
    )
    agency = models.ForeignKey(
        "registry.Agency", verbose_name=_("發送機關"), on_delete=models.PROTECT, related_name="hours_reminders"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("發送者"),
        on_delete=models.PROTECT,
        related_name="hours_reminders_sent",
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    email = models.EmailField(_("收件地址"))
    # [{"key", "label", "missing"}] at the time of sending.
    shortfalls = models.JSONField(_("未達成項目"), default=list)
    sent_at = models.DateTimeField(_("發送時間"), db_index=True)

    class Meta:
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["person", "-sent_at"], name="hours_reminder_person")]
        verbose_name = _("時數提醒紀錄")
        verbose_name_plural = _("時數提醒紀錄")

    def __str__(self) -> str:
        return f"{self.person} {self.sent_at:%Y-%m-%d}"
