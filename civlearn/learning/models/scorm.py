"""SCORM packages (one per course unit of kind "scorm"), their SCOs, and each learner's attempt on a SCO with its
CMI data."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from civlearn.core import clock
from civlearn.learning.scorm.manifest import V12, VERSION_CHOICES


class ScormPackage(models.Model):
    DRAFT, PUBLISHED = "draft", "published"
    STATUS_CHOICES = [(DRAFT, "草稿（僅供預覽）"), (PUBLISHED, "已發布")]

    unit = models.OneToOneField(
        "learning.Unit", verbose_name="單元", on_delete=models.CASCADE, related_name="scorm_package"
    )
    version = models.CharField("SCORM 版本", max_length=8, choices=VERSION_CHOICES)
    identifier = models.CharField("套件識別碼", max_length=200, blank=True)
    title = models.CharField("套件名稱", max_length=200)
    # The directory under SCORM_ROOT holding the extracted files; random, so content URLs cannot be guessed.
    storage_key = models.CharField(max_length=32, unique=True, editable=False)
    original_name = models.CharField("上傳檔名", max_length=255)
    sha256 = models.CharField(max_length=64, editable=False)
    size_bytes = models.BigIntegerField("解壓縮後大小（位元組）")
    file_count = models.PositiveIntegerField("檔案數")
    status = models.CharField("狀態", max_length=12, choices=STATUS_CHOICES, default=DRAFT)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上傳者",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField("上傳時間", default=clock.now)
    published_at = models.DateTimeField("發布時間", null=True, blank=True)

    class Meta:
        verbose_name = "SCORM 套件"
        verbose_name_plural = "SCORM 套件"

    def __str__(self) -> str:
        return f"{self.title} ({self.get_version_display()})"

    @property
    def is_scorm12(self) -> bool:
        return self.version == V12


class Sco(models.Model):
    """One item of the package's organization tree. Items with a launch file are played; aggregations only
    head their children in the table of contents; assets (no SCORM API calls) are played but not tracked."""

    package = models.ForeignKey(ScormPackage, on_delete=models.CASCADE, related_name="scos")
    order = models.PositiveIntegerField("順序")
    depth = models.PositiveSmallIntegerField("層級", default=0)
    identifier = models.CharField("項目識別碼", max_length=200)
    title = models.CharField("名稱", max_length=300)
    launch = models.CharField("啟動檔", max_length=2000, blank=True)
    is_sco = models.BooleanField("SCO（會回報學習狀態）", default=True)
    is_visible = models.BooleanField(default=True)
    launch_data = models.TextField("啟動資料（launch_data）", blank=True)
    mastery_score = models.DecimalField(
        "及格分數（1.2 masteryscore）", max_digits=5, decimal_places=2, null=True, blank=True
    )
    scaled_passing_score = models.DecimalField(
        "及格門檻（2004 scaled_passing_score）", max_digits=5, decimal_places=4, null=True, blank=True
    )
    completion_threshold = models.DecimalField("完成門檻", max_digits=5, decimal_places=4, null=True, blank=True)
    max_time_allowed = models.CharField(max_length=50, blank=True)
    time_limit_action = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["package", "order"]
        constraints = [models.UniqueConstraint(fields=["package", "identifier"], name="scorm_sco_identifier_unique")]
        verbose_name = "SCORM 項目"
        verbose_name_plural = "SCORM 項目"

    def __str__(self) -> str:
        return self.title

    @property
    def tracked(self) -> bool:
        return bool(self.launch) and self.is_sco


class ScormAttempt(models.Model):
    """A learner's attempt on one SCO within one enrolment, resumed across sessions.

    `cmi` is the last complete CMI tree the runtime committed (what is loaded into the runtime on the next
    launch). Session time is summed without double counting: `session_key` names the running session and
    `session_ms` holds the latest session_time it reported; when a new session starts, the old one's time moves
    into `closed_ms`. Total time is `closed_ms + session_ms`."""

    enrolment = models.ForeignKey("learning.Enrolment", on_delete=models.CASCADE, related_name="scorm_attempts")
    sco = models.ForeignKey(Sco, on_delete=models.CASCADE, related_name="attempts")
    started_at = models.DateTimeField("開始時間", default=clock.now)
    updated_at = models.DateTimeField("最後儲存", default=clock.now)
    cmi = models.JSONField(default=dict, blank=True)
    completion_status = models.CharField("完成狀態", max_length=20, blank=True)
    success_status = models.CharField("通過狀態", max_length=20, blank=True)
    score_raw = models.DecimalField("原始分數", max_digits=12, decimal_places=4, null=True, blank=True)
    score_scaled = models.DecimalField("標準化分數", max_digits=6, decimal_places=5, null=True, blank=True)
    location = models.CharField("書籤", max_length=1000, blank=True)
    suspend_data = models.TextField(blank=True)
    exit_mode = models.CharField("離開方式", max_length=20, blank=True)
    closed_ms = models.BigIntegerField(default=0)
    session_ms = models.BigIntegerField(default=0)
    session_key = models.CharField(max_length=32, blank=True)
    session_seq = models.BigIntegerField(default=0)
    session_count = models.PositiveIntegerField("學習次數", default=0)
    done_at = models.DateTimeField("完成時間", null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enrolment", "sco"], name="scorm_attempt_once")]
        verbose_name = "SCORM 學習紀錄"
        verbose_name_plural = "SCORM 學習紀錄"

    def __str__(self) -> str:
        return f"{self.enrolment_id} {self.sco_id} {self.completion_status}/{self.success_status}"

    @property
    def total_ms(self) -> int:
        return self.closed_ms + self.session_ms


class ScormSequencing(models.Model):
    """A learner's course attempt on a SCORM 2004 package as the sequencing engine (scorm-again, in the player)
    left it: the engine's serialized state (activity tree statuses, attempt counts, objectives, current and
    suspended activity), saved on every commit and loaded on the next launch. A suspended attempt (suspendAll)
    resumes; any other end starts a new attempt (`attempt_number` + 1). `done_at`: the first time the root's
    rollup was completed or satisfied (and not failed), which is the course's SCORM condition; it stays."""

    enrolment = models.ForeignKey("learning.Enrolment", on_delete=models.CASCADE, related_name="scorm_sequencing")
    package = models.ForeignKey(ScormPackage, on_delete=models.CASCADE, related_name="sequencing_states")
    attempt_number = models.PositiveIntegerField("課程嘗試次數", default=1)
    state = models.TextField(blank=True)
    suspended = models.BooleanField("已暫停", default=False)
    ended = models.BooleanField("本次嘗試已結束", default=False)
    root_completion = models.CharField("課程完成狀態", max_length=20, blank=True)
    root_success = models.CharField("課程通過狀態", max_length=20, blank=True)
    session_key = models.CharField(max_length=32, blank=True)
    session_seq = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField("最後儲存", default=clock.now)
    done_at = models.DateTimeField("完成時間", null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enrolment", "package"], name="scorm_sequencing_once")]
        verbose_name = "SCORM 排序狀態"
        verbose_name_plural = "SCORM 排序狀態"

    def __str__(self) -> str:
        return (
            f"{self.enrolment_id} {self.package_id} #{self.attempt_number} {self.root_completion}/{self.root_success}"
        )
