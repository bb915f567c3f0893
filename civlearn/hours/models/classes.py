"""開班資料: physical and blended classes an institution publishes, their sessions, registrations and attendance.

A class's hours are split across up to 10 course-category codes (`ClassPortion`); closing the class posts one
ledger record per attendee per portion, with the class as the source (`LedgerEntry.SOURCE_CLASS`).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models
from django.utils.translation import gettext_lazy, pgettext_lazy

from civlearn.hours.models.institutions import Institution
from civlearn.hours.models.review import Reviewed

MAX_PORTIONS = 10


class ClassOffering(models.Model):
    PUBLISHED = "published"
    CLOSED = "closed"
    STATUS_CHOICES = [(PUBLISHED, gettext_lazy("開放中")), (CLOSED, gettext_lazy("已結訓"))]

    AUDIENCE_ALL = "all"
    AUDIENCE_CENTRAL = "central"
    AUDIENCE_LOCAL = "local"
    AUDIENCE_CHOICES = [
        (AUDIENCE_ALL, pgettext_lazy("open to", "不限")),
        (AUDIENCE_CENTRAL, gettext_lazy("中央機關人員")),
        (AUDIENCE_LOCAL, gettext_lazy("地方機關人員")),
    ]

    RULE_PROPORTIONAL = "proportional"
    RULE_THRESHOLD = "threshold"
    RULE_CHOICES = [
        (RULE_PROPORTIONAL, gettext_lazy("依出席時數比例核給")),
        (RULE_THRESHOLD, gettext_lazy("出席達門檻核給全部時數")),
    ]

    institution = models.ForeignKey(
        Institution, verbose_name="學習機關(構)", on_delete=models.PROTECT, related_name="offerings"
    )
    class_code = models.CharField("班別代碼", max_length=50)
    period = models.CharField("期別", max_length=50)
    title = models.CharField("班別名稱", max_length=300)
    description = models.TextField("課程說明", blank=True)
    # search_fold(title, description, institution name, place, county name): what the keyword search matches.
    search_text = models.TextField("搜尋用文字", editable=False)
    # The distinct two-character pieces of search_text, space-separated (`selectors.search_grams`): on PostgreSQL a
    # GIN index over their tsvector narrows a keyword search to the classes holding every piece of the keyword before
    # the `contains` on search_text decides (a trigram index cannot serve the two-character words Chinese searches
    # mostly are). SQLite has no such index and scans.
    search_grams = models.TextField("搜尋用字組", editable=False, default="")
    mode = models.PositiveSmallIntegerField("學習性質")
    digital_hours = models.DecimalField("數位時數", max_digits=6, decimal_places=1)
    physical_hours = models.DecimalField("實體時數", max_digits=6, decimal_places=1)
    total_hours = models.DecimalField("訓練總數", max_digits=6, decimal_places=1, db_index=True)
    county_code = models.CharField("上課縣市", max_length=4, db_index=True)
    place = models.CharField("上課地點", max_length=300, blank=True)
    online_link = models.URLField("線上課程連結", blank=True)
    starts_on = models.DateField("開課日期", db_index=True)
    ends_on = models.DateField("結訓日期")
    registration_opens = models.DateTimeField("報名開始")
    registration_closes = models.DateTimeField("報名截止")
    cancel_deadline = models.DateTimeField("取消報名期限")
    capacity = models.PositiveIntegerField("名額")
    waitlist_limit = models.PositiveIntegerField("候補名額", default=0)
    audience = models.CharField("報名對象", max_length=8, choices=AUDIENCE_CHOICES, default=AUDIENCE_ALL)
    # Empty = any agency; otherwise these agencies and their sub-agencies.
    agencies = models.ManyToManyField(
        "registry.Agency", verbose_name="限定機關（含所屬）", blank=True, related_name="+"
    )
    hr_staff_only = models.BooleanField("限人事人員", default=False)
    supervisor_only = models.BooleanField("限主管", default=False)
    # 職等 range (1–14) of who may register; blank ends are open. Checked against the registry person's 職等.
    rank_grade_min = models.PositiveSmallIntegerField("職等下限", null=True, blank=True)
    rank_grade_max = models.PositiveSmallIntegerField("職等上限", null=True, blank=True)
    hr_approval = models.BooleanField("須經服務機關人事單位審核", default=False)
    contact = models.CharField("聯絡資訊", max_length=200, blank=True)
    fee = models.DecimalField("費用（元）", max_digits=8, decimal_places=0, default=0)
    attendance_rule = models.CharField("時數核給方式", max_length=16, choices=RULE_CHOICES, default=RULE_THRESHOLD)
    attendance_minimum = models.PositiveSmallIntegerField("出席門檻（%）", default=100)
    status = models.CharField("狀態", max_length=12, choices=STATUS_CHOICES, default=PUBLISHED)
    # Taken seats (registered + awaiting HR approval), kept by the registration service under the row's lock.
    seats_taken = models.PositiveIntegerField("已使用名額", default=0)
    closed_at = models.DateTimeField("結訓時間", null=True, blank=True)
    created_at = models.DateTimeField("建立時間")
    updated_at = models.DateTimeField("更新時間")

    class Meta:
        ordering = ["starts_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "class_code", "period"], name="hours_class_unique_code"),
            models.CheckConstraint(
                condition=models.Q(seats_taken__lte=models.F("capacity")), name="hours_class_no_oversell"
            ),
        ]
        indexes = [
            # PostgreSQL only (migration 0019 skips it elsewhere); the search's expression is this one exactly.
            GinIndex(SearchVector("search_grams", config="simple"), name="hours_class_search_grams"),
            # Open now: registration period.
            models.Index(fields=["registration_closes", "registration_opens"], name="hours_class_registration_open"),
        ]
        verbose_name = "開班資料"
        verbose_name_plural = "開班資料"

    def __str__(self) -> str:
        return f"{self.title}（{self.period}）"

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)


class ClassPortion(models.Model):
    """One course-category code of a class and the hours it carries (課程類別代碼 1…10)."""

    offering = models.ForeignKey(
        ClassOffering, verbose_name="開班資料", on_delete=models.CASCADE, related_name="portions"
    )
    position = models.PositiveSmallIntegerField("序號")
    category_table = models.ForeignKey(
        "hours.CategoryTable", verbose_name="代碼表", on_delete=models.PROTECT, related_name="+"
    )
    category_code = models.CharField("課程類別代碼", max_length=20)
    digital_hours = models.DecimalField("數位時數", max_digits=6, decimal_places=1)
    physical_hours = models.DecimalField("實體時數", max_digits=6, decimal_places=1)

    class Meta:
        ordering = ["offering", "position"]
        constraints = [models.UniqueConstraint(fields=["offering", "position"], name="hours_class_portion_position")]
        indexes = [models.Index(fields=["category_table", "category_code"], name="hours_class_portion_code")]
        verbose_name = "課程類別時數"
        verbose_name_plural = "課程類別時數"

    def __str__(self) -> str:
        return f"{self.category_code}（{self.hours} 小時）"

    @property
    def hours(self):
        return self.digital_hours + self.physical_hours


class ClassSession(models.Model):
    offering = models.ForeignKey(
        ClassOffering, verbose_name="開班資料", on_delete=models.CASCADE, related_name="sessions"
    )
    starts_at = models.DateTimeField("上課起始")
    ends_at = models.DateTimeField("上課結束")

    class Meta:
        ordering = ["offering", "starts_at", "id"]
        verbose_name = "上課時段"
        verbose_name_plural = "上課時段"

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600


class Registration(Reviewed):
    PENDING = "pending"
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    REFUSED = "refused"
    STATUS_CHOICES = [
        (PENDING, gettext_lazy("待人事單位審核")),
        (REGISTERED, gettext_lazy("報名成功")),
        (WAITLISTED, gettext_lazy("候補中")),
        (CANCELLED, gettext_lazy("已取消")),
        (REFUSED, gettext_lazy("人事單位未同意")),
    ]
    ACTIVE = (PENDING, REGISTERED, WAITLISTED)
    SEATED = (PENDING, REGISTERED)

    OUTCOME_NONE = ""
    OUTCOME_COMPLETED = "completed"
    OUTCOME_INCOMPLETE = "incomplete"
    OUTCOME_NO_SHOW = "no_show"
    OUTCOME_CHOICES = [
        (OUTCOME_NONE, "—"),
        (OUTCOME_COMPLETED, pgettext_lazy("class outcome", "結訓")),
        (OUTCOME_INCOMPLETE, gettext_lazy("出席未達門檻")),
        (OUTCOME_NO_SHOW, gettext_lazy("未到訓")),
    ]

    offering = models.ForeignKey(
        ClassOffering, verbose_name="開班資料", on_delete=models.PROTECT, related_name="registrations"
    )
    person = models.ForeignKey(
        "registry.Person", verbose_name="人員", on_delete=models.PROTECT, related_name="class_registrations"
    )
    status = models.CharField("狀態", max_length=12, choices=STATUS_CHOICES)
    created_at = models.DateTimeField("報名時間")
    updated_at = models.DateTimeField("更新時間")
    # reviewed_at, reviewed_by, review_note (`Reviewed`): the HR office's decision on a registration that needed it.
    outcome = models.CharField("結訓結果", max_length=12, choices=OUTCOME_CHOICES, blank=True, default="")
    certified_hours = models.DecimalField("核給時數", max_digits=6, decimal_places=1, null=True, blank=True)

    class Meta:
        ordering = ["offering", "created_at", "id"]
        constraints = [
            # One live registration per person and class; cancelled and refused ones stay as history.
            models.UniqueConstraint(
                fields=["offering", "person"],
                condition=models.Q(status__in=["pending", "registered", "waitlisted"]),
                name="hours_registration_active_once",
            ),
        ]
        indexes = [
            models.Index(fields=["offering", "status", "created_at"], name="hours_registration_queue"),
            models.Index(fields=["person", "status"], name="hours_registration_person"),
        ]
        verbose_name = "報名紀錄"
        verbose_name_plural = "報名紀錄"

    def __str__(self) -> str:
        return f"{self.person} → {self.offering}（{self.get_status_display()}）"


class Attendance(models.Model):
    QR = "qr"
    ROSTER = "roster"
    METHOD_CHOICES = [(QR, gettext_lazy("QR 簽到")), (ROSTER, gettext_lazy("點名"))]

    registration = models.ForeignKey(
        Registration, verbose_name="報名紀錄", on_delete=models.PROTECT, related_name="attendances"
    )
    session = models.ForeignKey(
        ClassSession, verbose_name="上課時段", on_delete=models.PROTECT, related_name="attendances"
    )
    method = models.CharField("簽到方式", max_length=8, choices=METHOD_CHOICES)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登錄者",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    checked_in_at = models.DateTimeField("簽到時間")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["registration", "session"], name="hours_attendance_once")]
        verbose_name = "出席紀錄"
        verbose_name_plural = "出席紀錄"

    def __str__(self) -> str:
        return f"{self.registration_id} @ {self.session_id}（{self.get_method_display()}）"


class CalendarFeed(models.Model):
    """A person's secret iCalendar address (行事曆訂閱). Renewing it gives a new token; the old address stops."""

    person = models.OneToOneField(
        "registry.Person", verbose_name="人員", on_delete=models.CASCADE, related_name="hours_calendar_feed"
    )
    # SHA-256 of the token in the address: the address is shown once, when it is made.
    token_hash = models.CharField("代碼雜湊", max_length=64, unique=True)
    created_at = models.DateTimeField("建立時間")

    class Meta:
        verbose_name = "行事曆訂閱"
        verbose_name_plural = "行事曆訂閱"

    def __str__(self) -> str:
        return f"{self.person}"
