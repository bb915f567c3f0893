"""What an agency sets for its staff's gaps: the date up to which it counts hours for the yearly appraisal (考績) per
staff category, how many days before it the staff are reminded, where the HR office's weekly digest goes; and the
weekly snapshots of its at-risk list that the digest's trend compares against."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class StaffKind(models.TextChoices):
    ALL = "all", "全體人員"
    PERMANENT = "permanent", "編制內"
    CONTRACT = "contract", "編制外"


class AgencyCutoff(models.Model):
    """An agency's cutoff for a year and a staff category (e.g. 編制內 11/30, 編制外 10/31). Sub-agencies without
    their own use their parent's; a person with none has the year's end (hours/gaps.py)."""

    agency = models.ForeignKey(
        "registry.Agency", verbose_name="機關", on_delete=models.CASCADE, related_name="hours_cutoffs"
    )
    year = models.PositiveSmallIntegerField("年度（西元）")
    staff_kind = models.CharField("人員類別", max_length=16, choices=StaffKind.choices, default=StaffKind.ALL)
    cutoff = models.DateField("時數採計截止日")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="設定者", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    updated_at = models.DateTimeField("設定時間", auto_now=True)

    class Meta:
        ordering = ["agency", "-year", "staff_kind"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "year", "staff_kind"], name="hours_cutoff_once"),
        ]
        verbose_name = "時數採計截止日"
        verbose_name_plural = "時數採計截止日"

    def __str__(self) -> str:
        return f"{self.agency_id} {self.year} {self.get_staff_kind_display()} {self.cutoff:%m-%d}"


class AgencyGapPolicy(models.Model):
    """An agency's settings for gap reminders and the HR digest. Without a row: the defaults below."""

    DEFAULT_REMINDER_DAYS = 30

    agency = models.OneToOneField(
        "registry.Agency", verbose_name="機關", on_delete=models.CASCADE, related_name="hours_gap_policy"
    )
    reminder_days = models.PositiveSmallIntegerField(
        "截止日前幾天寄送提醒",
        default=DEFAULT_REMINDER_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    # Empty: the digest goes to the e-mail addresses of the agency's HR officers.
    digest_email = models.EmailField("每週摘要收件信箱", blank=True)
    updated_at = models.DateTimeField("設定時間", auto_now=True)

    class Meta:
        verbose_name = "時數缺口提醒設定"
        verbose_name_plural = "時數缺口提醒設定"

    def __str__(self) -> str:
        return f"{self.agency_id}: {self.reminder_days}"


class AtRiskSnapshot(models.Model):
    """One agency's at-risk list as its weekly digest saw it; the next digest's trend compares against it.
    `missing` maps person id → hours still missing in tenths (persons with no gap are left out)."""

    agency = models.ForeignKey(
        "registry.Agency", verbose_name="機關", on_delete=models.CASCADE, related_name="hours_risk_snapshots"
    )
    year = models.PositiveSmallIntegerField("年度（西元）")
    # The Monday of the week (Asia/Taipei) the snapshot belongs to: at most one a week.
    week = models.DateField("週次（週一）")
    staff = models.PositiveIntegerField("在職人數")
    at_risk = models.PositiveIntegerField("尚有缺口人數")
    missing_tenths = models.PositiveIntegerField("缺口時數合計（0.1 小時）")
    missing = models.JSONField("各人缺口", default=dict)
    created_at = models.DateTimeField("建立時間")
    # Set once the digest e-mail went out: a run that failed to send sends again on its retry.
    sent_at = models.DateTimeField("寄送時間", null=True, blank=True)
    recipients = models.JSONField("收件者", default=list, blank=True)

    class Meta:
        ordering = ["agency", "-week"]
        constraints = [models.UniqueConstraint(fields=["agency", "week"], name="hours_risk_snapshot_weekly")]
        verbose_name = "缺口週報"
        verbose_name_plural = "缺口週報"

    def __str__(self) -> str:
        return f"{self.agency_id} {self.week}"
