"""The learner's own records on 個人專區: the member profile (個人資料) and learning goals (學習目標).
Points and levels are computed from enrolments (home/points.py), not stored."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from civlearn.core import clock

PLATFORM_ID_VALIDATOR = RegexValidator(r"^[A-Z]\d{10}$", _("平台識別編號須為 1 個英文字母加 10 位數字"))


class MemberProfile(models.Model):
    """What the learner fills in on 個人資料. Registry facts (name, category, agency) are read from the registry
    and never copied here, so an HR correction shows at once."""

    AVATAR_CHOICES = [
        ("", _("不使用預設圖")),
        ("leaf", _("葉子")),
        ("book", _("書本")),
        ("mountain", _("山")),
    ]

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("帳號"), on_delete=models.CASCADE, related_name="learning_profile"
    )
    # A letter and ten digits, issued once and never changed (the manual's "T5602110801").
    platform_id = models.CharField(
        _("平台識別編號"), max_length=11, unique=True, validators=[PLATFORM_ID_VALIDATOR], editable=False
    )
    nickname = models.CharField(_("暱稱"), max_length=30, blank=True)
    contact_email = models.EmailField(_("電子郵件"), blank=True)
    newsletter = models.BooleanField(_("是否訂閱電子報"), default=False)
    backup_email = models.EmailField(_("備用電子郵件"), blank=True)
    website = models.URLField(_("個人網站(臉書網站)"), blank=True)
    bio = models.TextField(_("個人簡介"), blank=True, max_length=1000)
    show_hours_on_signin = models.BooleanField(_("登入是否顯示學習時數"), default=True)
    # The manual's 顯示於名片: whether the contact details above (電子郵件, 個人網站, 個人簡介) appear on the person's
    # card where other learners see it; the name and photo always do.
    show_on_card = models.BooleanField(_("顯示於名片"), default=False)
    teacher_network = models.BooleanField(_("時數是否上傳全教網"), default=False)
    part_time_code = models.CharField(_("兼職代碼"), max_length=20, blank=True)
    # A re-encoded PNG (at most 256 × 256), kept in the database so every app server can serve it.
    photo_png = models.BinaryField(_("個人照片"), null=True, blank=True, editable=False)
    avatar = models.CharField(_("預設圖"), max_length=16, choices=AVATAR_CHOICES, blank=True)
    updated_at = models.DateTimeField(_("更新時間"), default=clock.now)

    class Meta:
        verbose_name = _("學員個人資料")
        verbose_name_plural = _("學員個人資料")

    def __str__(self) -> str:
        return self.platform_id


class LearningGoal(models.Model):
    WEEK, MONTH, YEAR = "week", "month", "year"
    PERIOD_CHOICES = [(WEEK, _("週目標")), (MONTH, _("月目標")), (YEAR, _("年目標"))]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("帳號"), on_delete=models.CASCADE, related_name="learning_goals"
    )
    period = models.CharField(_("期間"), max_length=8, choices=PERIOD_CHOICES)
    hours = models.DecimalField(
        _("目標時數"), max_digits=5, decimal_places=1, validators=[MinValueValidator(Decimal("0.5"))]
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "period"], name="learning_goal_once_per_period")]
        verbose_name = _("學習目標")
        verbose_name_plural = _("學習目標")

    def __str__(self) -> str:
        return f"{self.user_id} {self.period} {self.hours}"
