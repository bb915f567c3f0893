"""A learner in a course: consent to share hours, the enrolment with its reading balance, and the reading clock."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civlearn.core import clock


class MemberConsent(models.Model):
    """One decision on the member terms and on sending hours elsewhere. Append-only: the latest row is current,
    earlier rows are the history of what the learner agreed to and when."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("帳號"), on_delete=models.CASCADE, related_name="learning_consents"
    )
    terms_version = models.CharField(_("會員規範版本"), max_length=20)
    share_hours = models.BooleanField(_("同意上傳學習時數"), default=False)
    decided_at = models.DateTimeField(_("決定時間"), default=clock.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        indexes = [models.Index(fields=["user", "-decided_at"])]
        verbose_name = _("會員規範同意紀錄")
        verbose_name_plural = _("會員規範同意紀錄")

    def __str__(self) -> str:
        return f"{self.user} v{self.terms_version} {'同意' if self.share_hours else '不同意'}上傳"


class LearnerClock(models.Model):
    """One reading-time credit stream per learner, however many tabs or devices are open.

    `last_credited_ms` is the instant (epoch milliseconds, server clock) up to which this learner's time has been
    credited; a heartbeat credits only what lies after it, so overlapping page views are never counted twice.
    `prev_credited_ms` receives the old value in the same UPDATE, so the statement can hand it back with RETURNING
    (the credit needs the old instant, and reading it first would race)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="learning_clock"
    )
    last_credited_ms = models.BigIntegerField(default=0)
    prev_credited_ms = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("閱讀計時")
        verbose_name_plural = _("閱讀計時")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.last_credited_ms}"


class Enrolment(models.Model):
    HOURS_PENDING, HOURS_POSTED, HOURS_NO_CONSENT, HOURS_FAILED = "pending", "posted", "no_consent", "failed"
    HOURS_STATUS_CHOICES = [
        (HOURS_PENDING, _("待上傳")),
        (HOURS_POSTED, _("已上傳終身學習入口網站")),
        (HOURS_NO_CONSENT, _("未同意上傳，未上傳")),
        (HOURS_FAILED, _("上傳失敗，將重試")),
    ]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("學員"), on_delete=models.CASCADE, related_name="enrolments"
    )
    course = models.ForeignKey(
        "learning.Course", verbose_name=_("課程"), on_delete=models.PROTECT, related_name="enrolments"
    )
    # A course that may be certified again in a later year gets one enrolment per (Gregorian) year.
    year = models.PositiveSmallIntegerField(_("年度"))
    enrolled_at = models.DateTimeField(_("報名時間"), default=clock.now)
    reading_ms = models.BigIntegerField(_("已認列閱讀時間（毫秒）"), default=0)
    last_beat_ms = models.BigIntegerField(default=0)
    completed_at = models.DateTimeField(_("完成時間"), null=True, blank=True)
    hours_status = models.CharField(_("時數上傳狀態"), max_length=16, choices=HOURS_STATUS_CHOICES, blank=True)
    hours_posted_at = models.DateTimeField(_("時數上傳時間"), null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "course", "year"], name="enrolment_once_a_year")]
        indexes = [models.Index(fields=["user", "completed_at"])]
        verbose_name = _("選課紀錄")
        verbose_name_plural = _("選課紀錄")

    def __str__(self) -> str:
        return f"{self.user} — {self.course.code} ({self.year})"

    @property
    def reading_minutes(self) -> int:
        return self.reading_ms // 60_000
