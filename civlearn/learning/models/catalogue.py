"""The catalogue of e等公務園+: zones (專區), courses, their units, and the questions of tests and questionnaires."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from civlearn.core import clock
from civlearn.core.text import search_fold


def search_normalize(text: str) -> str:
    """The form both the stored search field and a query take (`core.text.search_fold`: NFKC, lower case, 台/臺
    and other variants alike, no white space)."""
    return search_fold(text)


class Mode(models.IntegerChoices):
    # 學習性質: 1–3 from the portal's exporters; 遠距 was added in 2022 and its code is not public (4 here).
    DIGITAL = 1, _("數位")
    PHYSICAL = 2, _("實體")
    BLENDED = 3, _("混成")
    REMOTE = 4, _("遠距")


class Zone(models.Model):
    """A curated shelf of the catalogue (專區), e.g. 公務人員10小時課程專區 and its sub-zones."""

    slug = models.SlugField(_("代碼"), max_length=50, unique=True)
    name = models.CharField(_("名稱"), max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name=_("上層專區"), null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    description = models.TextField(_("說明"), blank=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("課程專區")
        verbose_name_plural = _("課程專區")

    def __str__(self) -> str:
        return self.name


class Course(models.Model):
    code = models.CharField(_("課程代碼"), max_length=30, unique=True)
    title = models.CharField(_("課程名稱"), max_length=200)
    summary = models.TextField(_("課程簡介"), blank=True)
    keywords = models.CharField(_("關鍵字"), max_length=200, blank=True)
    category_code = models.CharField(_("課程類別代碼"), max_length=10)
    certified_hours = models.DecimalField(
        _("認證時數"), max_digits=5, decimal_places=1, validators=[MinValueValidator(Decimal("0.5"))]
    )
    mode = models.PositiveSmallIntegerField(_("學習性質"), choices=Mode.choices, default=Mode.DIGITAL)
    provider_agency = models.ForeignKey(
        "registry.Agency", verbose_name=_("教材提供機關"), on_delete=models.PROTECT, related_name="provided_courses"
    )
    production_year = models.PositiveSmallIntegerField(_("製作年度（西元）"), validators=[MinValueValidator(1990)])
    enrol_start = models.DateField(_("報名開始日"), null=True, blank=True)
    enrol_end = models.DateField(_("報名截止日"), null=True, blank=True)
    class_start = models.DateField(_("上課開始日"), null=True, blank=True)
    class_end = models.DateField(_("上課結束日"), null=True, blank=True)
    open_to_all = models.BooleanField(_("開放所有人報名"), default=True)
    allowed_agencies = models.ManyToManyField(
        "registry.Agency",
        verbose_name=_("限定報名機關（含所屬機關）"),
        blank=True,
        related_name="restricted_courses",
    )
    recertifiable = models.BooleanField(_("次年度可再次取得認證"), default=False)
    required_reading_minutes = models.PositiveIntegerField(
        _("閱讀時數門檻（分鐘）"), default=60, validators=[MaxValueValidator(6000)]
    )
    is_published = models.BooleanField(_("上架"), default=True)
    zones = models.ManyToManyField(Zone, verbose_name=_("專區"), blank=True, related_name="courses")
    # Normalized title + summary + keywords + provider: what catalogue search matches against.
    search_text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(_("建立時間"), default=clock.now)

    class Meta:
        ordering = ["-production_year", "code"]
        verbose_name = _("課程")
        verbose_name_plural = _("課程")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(enrol_end__isnull=True)
                | models.Q(enrol_start__isnull=True)
                | models.Q(enrol_end__gte=models.F("enrol_start")),
                name="course_enrol_period_ordered",
            ),
        ]
        indexes = [models.Index(fields=["category_code"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"

    def save(self, *args, **kwargs):
        provider = self.provider_agency.name if self.provider_agency_id else ""
        self.search_text = search_normalize(" ".join([self.title, self.code, self.keywords, self.summary, provider]))
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    @property
    def required_reading_ms(self) -> int:
        return self.required_reading_minutes * 60_000


class Unit(models.Model):
    PAGE, VIDEO, TEST, QUESTIONNAIRE = "page", "video", "test", "questionnaire"
    KIND_CHOICES = [(PAGE, _("文字頁")), (VIDEO, _("影片")), (TEST, _("測驗")), (QUESTIONNAIRE, _("問卷"))]
    # SCORM 1.2 / 2004 packages (civlearn/learning/scorm): the unit plays its SCOs.
    SCORM = "scorm"
    KIND_CHOICES += [(SCORM, _("SCORM 教材"))]

    course = models.ForeignKey(Course, verbose_name=_("課程"), on_delete=models.CASCADE, related_name="units")
    order = models.PositiveSmallIntegerField(_("順序"), default=0)
    kind = models.CharField(_("類型"), max_length=16, choices=KIND_CHOICES, default=PAGE)
    title = models.CharField(_("單元名稱"), max_length=200)
    body = models.TextField(_("內容（純文字，空行分段）"), blank=True)
    video_file = models.FileField(_("影片檔"), upload_to="learning/videos/", blank=True)
    video_url = models.URLField(_("外部影片網址"), blank=True)
    pass_mark = models.PositiveSmallIntegerField(
        _("及格分數（測驗，滿分 100）"), default=60, validators=[MaxValueValidator(100)]
    )
    max_attempts = models.PositiveSmallIntegerField(_("測驗次數上限（0 = 不限）"), default=3)

    class Meta:
        ordering = ["course", "order", "pk"]
        verbose_name = _("課程單元")
        verbose_name_plural = _("課程單元")

    def __str__(self) -> str:
        return f"{self.course.code} #{self.order} {self.title}"

    @property
    def paragraphs(self) -> list[str]:
        return [part.strip() for part in self.body.split("\n\n") if part.strip()]


class Question(models.Model):
    SINGLE, MULTIPLE, TRUE_FALSE, SCALE, TEXT = "single", "multiple", "truefalse", "scale", "text"
    KIND_CHOICES = [
        (SINGLE, _("單選")),
        (MULTIPLE, _("複選")),
        (TRUE_FALSE, _("是非")),
        (SCALE, _("量表（問卷）")),
        (TEXT, _("文字（問卷）")),
    ]

    unit = models.ForeignKey(Unit, verbose_name=_("單元"), on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(_("順序"), default=0)
    kind = models.CharField(_("題型"), max_length=16, choices=KIND_CHOICES, default=SINGLE)
    text = models.TextField(_("題目"))
    points = models.PositiveSmallIntegerField(_("配分"), default=1)
    # 量表 questions run 1..scale_max (e.g. 1 非常不同意 … 5 非常同意).
    scale_max = models.PositiveSmallIntegerField(_("量表級數"), default=5, validators=[MinValueValidator(2)])
    required = models.BooleanField(_("必答"), default=True)

    class Meta:
        ordering = ["unit", "order", "pk"]
        verbose_name = _("題目")
        verbose_name_plural = _("題目")

    def __str__(self) -> str:
        return self.text[:40]


class Choice(models.Model):
    question = models.ForeignKey(Question, verbose_name=_("題目"), on_delete=models.CASCADE, related_name="choices")
    order = models.PositiveSmallIntegerField(_("順序"), default=0)
    text = models.CharField(_("選項"), max_length=300)
    is_correct = models.BooleanField(_("正確答案"), default=False)

    class Meta:
        ordering = ["question", "order", "pk"]
        verbose_name = _("選項")
        verbose_name_plural = _("選項")

    def __str__(self) -> str:
        return self.text
