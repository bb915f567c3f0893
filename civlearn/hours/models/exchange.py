"""The exchange with learning institutions and the HR notices: uploads (ImportJob), API clients, HR reminders.
Announcements live in civlearn.content."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ImportJob(models.Model):
    """One uploaded file, from upload to result. A person can leave the page and come back to it."""

    QUEUED = "queued"
    RUNNING = "running"
    REVIEW = "review"
    DONE = "done"
    FAILED = "failed"
    STATUS_CHOICES = [
        (QUEUED, "排隊中"),
        (RUNNING, "處理中"),
        (REVIEW, "有錯誤，未匯入"),
        (DONE, "已完成"),
        (FAILED, "處理失敗"),
    ]

    institution = models.ForeignKey(
        "registry.Agency", verbose_name="學習機關(構)", on_delete=models.PROTECT, related_name="hours_import_jobs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上傳者", on_delete=models.PROTECT, related_name="hours_import_jobs"
    )
    file = models.FileField("檔案", upload_to="hours/imports/%Y/%m/")
    file_name = models.CharField("檔名", max_length=200)
    encoding = models.CharField("編碼", max_length=20, blank=True)
    status = models.CharField("狀態", max_length=16, choices=STATUS_CHOICES, default=QUEUED)
    # The person asked to commit the valid rows of a file that has errors.
    commit_valid_only = models.BooleanField("只匯入正確的資料列", default=False)
    progress = models.PositiveSmallIntegerField("進度（%）", default=0)
    total_rows = models.PositiveIntegerField("資料列數", default=0)
    valid_rows = models.PositiveIntegerField("正確列數", default=0)
    invalid_rows = models.PositiveIntegerField("錯誤列數", default=0)
    created_rows = models.PositiveIntegerField("新增筆數", default=0)
    duplicate_rows = models.PositiveIntegerField("重複（已存在）筆數", default=0)
    error_count = models.PositiveIntegerField("錯誤數", default=0)
    # [{row, column, value, message}], capped (see jobs.MAX_STORED_ERRORS); error_count has the full count.
    errors = models.JSONField("錯誤報告", default=list, blank=True)
    message = models.TextField("訊息", blank=True)
    created_at = models.DateTimeField("上傳時間")
    started_at = models.DateTimeField("開始處理", null=True, blank=True)
    # Stamped every few seconds by the process running the job (jobs.Heartbeat); a running job whose stamp is
    # older than HOURS_JOB_STALE_SECONDS has lost its worker and is marked failed (jobs.import_jobs_reclaim).
    heartbeat_at = models.DateTimeField("最後心跳", null=True, blank=True)
    finished_at = models.DateTimeField("處理完成", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="hours_import_job_by_user"),
            # The reclaim runs on every job page and poll: it looks only at the few running jobs.
            models.Index(
                fields=["heartbeat_at"], name="hours_import_job_running", condition=models.Q(status="running")
            ),
        ]
        verbose_name = "批次上傳"
        verbose_name_plural = "批次上傳"

    def __str__(self) -> str:
        return f"{self.file_name}（{self.get_status_display()}）"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.REVIEW, self.DONE, self.FAILED}


class InstitutionClient(models.Model):
    """Maps an OAuth 2 application (client credentials) to the learning institution it uploads for."""

    application = models.OneToOneField(
        "oauth2_provider.Application",
        verbose_name="OAuth 應用程式",
        on_delete=models.CASCADE,
        related_name="hours_institution",
    )
    institution = models.ForeignKey(
        "registry.Agency", verbose_name="學習機關(構)", on_delete=models.PROTECT, related_name="hours_api_clients"
    )
    is_active = models.BooleanField("啟用", default=True)
    created_at = models.DateTimeField("建立時間", auto_now_add=True)

    class Meta:
        verbose_name = "時數上傳 API 用戶端"
        verbose_name_plural = "時數上傳 API 用戶端"

    def __str__(self) -> str:
        return f"{self.application} → {self.institution.code}"


class ReminderRecord(models.Model):
    """One reminder e-mail an HR office sent to a person who is short of a requirement."""

    person = models.ForeignKey(
        "registry.Person", verbose_name="人員", on_delete=models.PROTECT, related_name="hours_reminders"
    )
    agency = models.ForeignKey(
        "registry.Agency", verbose_name="發送機關", on_delete=models.PROTECT, related_name="hours_reminders"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="發送者", on_delete=models.PROTECT, related_name="hours_reminders_sent"
    )
    year = models.PositiveSmallIntegerField("年度")
    email = models.EmailField("收件地址")
    # [{"key", "label", "missing"}] at the time of sending.
    shortfalls = models.JSONField("未達成項目", default=list)
    sent_at = models.DateTimeField("發送時間", db_index=True)

    class Meta:
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["person", "-sent_at"], name="hours_reminder_person")]
        verbose_name = "時數提醒紀錄"
        verbose_name_plural = "時數提醒紀錄"

    def __str__(self) -> str:
        return f"{self.person} {self.sent_at:%Y-%m-%d}"
