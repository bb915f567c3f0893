"""Gap reminders: whether a learner wants them, and each one sent (at most one a week, learning/gaps/services.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from civlearn.core import clock


class GapReminderPreference(models.Model):
    """A learner's choice about gap reminder e-mails. No row: reminders are on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        verbose_name="帳號",
        on_delete=models.CASCADE,
        related_name="gap_reminder_preference",
    )
    enabled = models.BooleanField("接收時數缺口提醒信", default=True)
    changed_at = models.DateTimeField("變更時間", default=clock.now)

    class Meta:
        verbose_name = "時數缺口提醒設定"
        verbose_name_plural = "時數缺口提醒設定"

    def __str__(self) -> str:
        return f"{self.user_id}: {'on' if self.enabled else 'off'}"


class GapReminder(models.Model):
    """One gap reminder e-mail sent to a learner, with the gaps and suggested courses it named."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="帳號", on_delete=models.CASCADE, related_name="gap_reminders"
    )
    year = models.PositiveSmallIntegerField("年度")
    email = models.EmailField("收件地址")
    deadline = models.DateField("截止日")
    # [{"key", "label", "missing", "courses": [code, …]}] at the time of sending.
    gaps = models.JSONField("缺口與建議課程", default=list)
    sent_at = models.DateTimeField("寄送時間")

    class Meta:
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["user", "-sent_at"], name="learning_gap_reminder_user")]
        verbose_name = "時數缺口提醒紀錄"
        verbose_name_plural = "時數缺口提醒紀錄"

    def __str__(self) -> str:
        return f"{self.user_id} {self.sent_at:%Y-%m-%d}"
