"""The learner's side of e等公務園+: member consent, enrolments, the reading clock, test attempts,
questionnaire answers and certificates."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from civlearn.core import clock


class MemberConsent(models.Model):
    """One decision on the member terms and on sending hours elsewhere. Append-only: the latest row is current,
    earlier rows are the history of what the learner agreed to and when."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="帳號", on_delete=models.CASCADE, related_name="learning_consents"
    )
    terms_version = models.CharField("會員規範版本", max_length=20)
    share_hours = models.BooleanField("同意上傳學習時數", default=False)
    decided_at = models.DateTimeField("決定時間", default=clock.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        indexes = [models.Index(fields=["user", "-decided_at"])]
        verbose_name = "會員規範同意紀錄"
        verbose_name_plural = "會員規範同意紀錄"

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
        verbose_name = "閱讀計時"
        verbose_name_plural = "閱讀計時"

    def __str__(self) -> str:
        return f"{self.user_id}: {self.last_credited_ms}"


class Enrolment(models.Model):
    HOURS_PENDING, HOURS_POSTED, HOURS_NO_CONSENT, HOURS_FAILED = "pending", "posted", "no_consent", "failed"
    HOURS_STATUS_CHOICES = [
        (HOURS_PENDING, "待上傳"),
        (HOURS_POSTED, "已上傳終身學習入口網站"),
        (HOURS_NO_CONSENT, "未同意上傳，未上傳"),
        (HOURS_FAILED, "上傳失敗，將重試"),
    ]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="學員", on_delete=models.CASCADE, related_name="enrolments"
    )
    course = models.ForeignKey(
        "learning.Course", verbose_name="課程", on_delete=models.PROTECT, related_name="enrolments"
    )
    # A course that may be certified again in a later year gets one enrolment per (Gregorian) year.
    year = models.PositiveSmallIntegerField("年度")
    enrolled_at = models.DateTimeField("報名時間", default=clock.now)
    reading_ms = models.BigIntegerField("已認列閱讀時間（毫秒）", default=0)
    last_beat_ms = models.BigIntegerField(default=0)
    completed_at = models.DateTimeField("完成時間", null=True, blank=True)
    hours_status = models.CharField("時數上傳狀態", max_length=16, choices=HOURS_STATUS_CHOICES, blank=True)
    hours_posted_at = models.DateTimeField("時數上傳時間", null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "course", "year"], name="enrolment_once_a_year")]
        indexes = [models.Index(fields=["user", "completed_at"])]
        verbose_name = "選課紀錄"
        verbose_name_plural = "選課紀錄"

    def __str__(self) -> str:
        return f"{self.user} — {self.course.code} ({self.year})"

    @property
    def reading_minutes(self) -> int:
        return self.reading_ms // 60_000


class TestAttempt(models.Model):
    __test__ = False  # not a pytest test class, despite the name

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="attempts")
    unit = models.ForeignKey("learning.Unit", on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField("第幾次")
    started_at = models.DateTimeField(default=clock.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The shuffled order this attempt shows: [question id, ...] and {question id: [choice id, ...]}.
    question_order = models.JSONField(default=list)
    choice_order = models.JSONField(default=dict)
    answers = models.JSONField(default=dict, blank=True)
    score = models.PositiveSmallIntegerField("分數", null=True, blank=True)
    passed = models.BooleanField("及格", default=False)

    class Meta:
        ordering = ["enrolment", "unit", "number"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "unit", "number"], name="attempt_number_unique"),
        ]
        verbose_name = "測驗作答"
        verbose_name_plural = "測驗作答"

    def __str__(self) -> str:
        return f"{self.enrolment_id} #{self.number} {self.score}"


class QuestionnaireResponse(models.Model):
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="questionnaire_responses")
    unit = models.ForeignKey("learning.Unit", on_delete=models.CASCADE, related_name="responses")
    answers = models.JSONField(default=dict)
    submitted_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enrolment", "unit"], name="questionnaire_once")]
        verbose_name = "問卷填答"
        verbose_name_plural = "問卷填答"

    def __str__(self) -> str:
        return f"{self.enrolment_id} {self.unit_id}"


class Certificate(models.Model):
    """A completion certificate. Name, course and hours are copied at issue so the verification page keeps
    saying what was certified even if the course is later renamed."""

    enrolment = models.OneToOneField(Enrolment, on_delete=models.PROTECT, related_name="certificate")
    number = models.CharField("證書字號", max_length=30, unique=True)
    verify_code = models.CharField("驗證碼", max_length=20, unique=True)
    issued_at = models.DateTimeField("發證時間", default=clock.now)
    learner_name = models.CharField("姓名", max_length=100)
    course_title = models.CharField("課程名稱", max_length=200)
    certified_hours = models.DecimalField("認證時數", max_digits=5, decimal_places=1)
    provider_name = models.CharField("教材提供機關", max_length=200)

    class Meta:
        verbose_name = "完成證書"
        verbose_name_plural = "完成證書"

    def __str__(self) -> str:
        return self.number
