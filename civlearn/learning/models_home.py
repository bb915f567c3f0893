"""The learner's own corner of e等公務園+ (個人專區): member profile (個人資料), learning goals (學習目標) and
course packages (套裝課程 / 學習地圖). Points and levels are computed from enrolments (points.py), not stored."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

from civlearn.core import clock

PLATFORM_ID_VALIDATOR = RegexValidator(r"^[A-Z]\d{10}$", "平台識別編號須為 1 個英文字母加 10 位數字")


class MemberProfile(models.Model):
    """What the learner fills in on 個人資料. Registry facts (name, category, agency) are read from the registry
    and never copied here, so an HR correction shows at once."""

    AVATAR_CHOICES = [
        ("", "不使用預設圖"),
        ("leaf", "葉子"),
        ("book", "書本"),
        ("mountain", "山"),
    ]

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="帳號", on_delete=models.CASCADE, related_name="learning_profile"
    )
    # A letter and ten digits, issued once and never changed (the manual's "T5602110801").
    platform_id = models.CharField(
        "平台識別編號", max_length=11, unique=True, validators=[PLATFORM_ID_VALIDATOR], editable=False
    )
    nickname = models.CharField("暱稱", max_length=30, blank=True)
    contact_email = models.EmailField("電子郵件", blank=True)
    newsletter = models.BooleanField("是否訂閱電子報", default=False)
    backup_email = models.EmailField("備用電子郵件", blank=True)
    website = models.URLField("個人網站(臉書網站)", blank=True)
    bio = models.TextField("個人簡介", blank=True, max_length=1000)
    show_hours_on_signin = models.BooleanField("登入是否顯示學習時數", default=True)
    teacher_network = models.BooleanField("時數是否上傳全教網", default=False)
    part_time_code = models.CharField("兼職代碼", max_length=20, blank=True)
    # A re-encoded PNG (at most 256 × 256), kept in the database so every app server can serve it.
    photo_png = models.BinaryField("個人照片", null=True, blank=True, editable=False)
    avatar = models.CharField("預設圖", max_length=16, choices=AVATAR_CHOICES, blank=True)
    updated_at = models.DateTimeField("更新時間", default=clock.now)

    class Meta:
        verbose_name = "學員個人資料"
        verbose_name_plural = "學員個人資料"

    def __str__(self) -> str:
        return self.platform_id


class LearningGoal(models.Model):
    WEEK, MONTH, YEAR = "week", "month", "year"
    PERIOD_CHOICES = [(WEEK, "週目標"), (MONTH, "月目標"), (YEAR, "年目標")]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="帳號", on_delete=models.CASCADE, related_name="learning_goals"
    )
    period = models.CharField("期間", max_length=8, choices=PERIOD_CHOICES)
    hours = models.DecimalField(
        "目標時數", max_digits=5, decimal_places=1, validators=[MinValueValidator(Decimal("0.5"))]
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "period"], name="learning_goal_once_per_period")]
        verbose_name = "學習目標"
        verbose_name_plural = "學習目標"

    def __str__(self) -> str:
        return f"{self.user_id} {self.period} {self.hours}"


class CoursePackage(models.Model):
    """A set of courses and category subtrees to finish (公務人員10小時課程, 中科大「行政人員套裝課程」).

    `agency` empty = defined by operators for everyone; otherwise by that agency's HR office for its staff
    (including sub-agencies). `identity_type` narrows it further (e.g. 教師)."""

    title = models.CharField("套裝課程名稱", max_length=100)
    description = models.TextField("說明", blank=True)
    agency = models.ForeignKey(
        "registry.Agency",
        verbose_name="適用機關（空白＝全體）",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="course_packages",
    )
    identity_type = models.CharField("適用身份別（空白＝全部）", max_length=20, blank=True)
    courses = models.ManyToManyField("learning.Course", verbose_name="課程", blank=True, related_name="packages")
    # Space-separated category codes; each counts with its whole subtree and asks for `category_hours` hours.
    category_codes = models.CharField("課程類別代碼（空白分隔）", max_length=200, blank=True)
    category_hours = models.DecimalField("類別時數要求", max_digits=5, decimal_places=1, default=Decimal("0"))
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        ordering = ["order", "title"]
        verbose_name = "套裝課程"
        verbose_name_plural = "套裝課程"

    def __str__(self) -> str:
        return self.title


class OutboundDestination(models.Model):
    """Somewhere completed hours go besides the lifelong-learning portal (環境教育終身學習網,
    全國教師在職進修資訊網). Their real formats are not public; docs/outbound-formats.md describes ours."""

    ENVIRONMENT, TEACHER = "environment", "teacher"
    SELECTION_CHOICES = [(ENVIRONMENT, "環境教育類別的完成紀錄"), (TEACHER, "勾選時數上傳全教網的學員")]
    DIRECTORY, HTTP = "directory", "http"
    TRANSPORT_CHOICES = [(DIRECTORY, "放置於目錄"), (HTTP, "HTTP POST")]

    key = models.SlugField("代碼", max_length=30, unique=True)
    name = models.CharField("名稱", max_length=100)
    label = models.CharField("學習紀錄頁顯示文字", max_length=100, help_text="例如：環境教育時數最後上傳時間")
    selection = models.CharField("選取規則", max_length=16, choices=SELECTION_CHOICES)
    transport = models.CharField("傳送方式", max_length=16, choices=TRANSPORT_CHOICES)
    target = models.CharField("目錄路徑或網址", max_length=500)
    is_active = models.BooleanField("啟用", default=True)
    max_attempts = models.PositiveSmallIntegerField("最多嘗試次數", default=10)
    last_success_at = models.DateTimeField("最後上傳時間", null=True, blank=True)
    last_error = models.TextField("最近錯誤", blank=True)

    class Meta:
        ordering = ["key"]
        verbose_name = "外送時數目的地"
        verbose_name_plural = "外送時數目的地"

    def __str__(self) -> str:
        return self.name


class OutboundBatch(models.Model):
    PENDING, SENT, FAILED, GAVE_UP = "pending", "sent", "failed", "gave_up"
    STATUS_CHOICES = [(PENDING, "待傳送"), (SENT, "已傳送"), (FAILED, "傳送失敗，將重試"), (GAVE_UP, "已停止重試")]

    destination = models.ForeignKey(OutboundDestination, on_delete=models.PROTECT, related_name="batches")
    # Sent with every delivery (file name, Idempotency-Key header) so the receiver can drop a repeat.
    reference = models.CharField("批次編號", max_length=60, unique=True)
    created_at = models.DateTimeField("建立時間", default=clock.now)
    payload = models.TextField("內容")
    status = models.CharField("狀態", max_length=16, choices=STATUS_CHOICES, default=PENDING)
    attempts = models.PositiveSmallIntegerField("嘗試次數", default=0)
    last_error = models.TextField("最近錯誤", blank=True)
    sent_at = models.DateTimeField("傳送時間", null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["destination", "status"])]
        verbose_name = "外送時數批次"
        verbose_name_plural = "外送時數批次"

    def __str__(self) -> str:
        return self.reference


class OutboundItem(models.Model):
    """One completion in one batch. The unique key makes each completion go to each destination once."""

    destination = models.ForeignKey(OutboundDestination, on_delete=models.PROTECT, related_name="items")
    batch = models.ForeignKey(OutboundBatch, on_delete=models.CASCADE, related_name="items")
    enrolment = models.ForeignKey("learning.Enrolment", on_delete=models.PROTECT, related_name="outbound_items")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["destination", "enrolment"], name="outbound_once_per_destination")
        ]
        verbose_name = "外送時數項目"
        verbose_name_plural = "外送時數項目"

    def __str__(self) -> str:
        return f"{self.batch_id}: {self.enrolment_id}"
