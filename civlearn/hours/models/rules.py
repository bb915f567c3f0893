"""What the summary and the requirements are computed from, as data an operator edits.

- `ReportingCategory`: the rows of the manual's summary table (通過總學習時數 …).
- `RequirementRule`: yearly requirements (每年必須完成之課程 10 小時 and its components), national or per agency.

The arithmetic is in civlearn/hours/rules.py.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from civlearn.hours.models.ledger import mode_labels, unknown_codes, validate_code_sets


class ReportingCategory(models.Model):
    """One row of the summary table. `measure` says what it adds up; rows are independent, not a hierarchy."""

    MEASURE_ALL = "all"
    MEASURE_MODE = "mode"
    MEASURE_JOB_RELATED = "job_related"
    MEASURE_SELF_LEAVE = "self_leave"
    MEASURE_CODES = "codes"
    MEASURE_CHOICES = [
        (MEASURE_ALL, "全部時數"),
        (MEASURE_MODE, "依學習性質"),
        (MEASURE_JOB_RELATED, "與業務相關"),
        (MEASURE_SELF_LEAVE, "自行申請公假"),
        (MEASURE_CODES, "依課程類別代碼"),
    ]

    key = models.SlugField(_("識別碼"), max_length=50, unique=True)
    label = models.CharField(_("顯示名稱"), max_length=200)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    measure = models.CharField(_("計算方式"), max_length=16, choices=MEASURE_CHOICES, default=MEASURE_CODES)
    mode = models.PositiveSmallIntegerField(_("學習性質"), null=True, blank=True)
    codes = models.JSONField(_("課程類別代碼（依代碼表）"), default=dict, blank=True, validators=[validate_code_sets])

    class Meta:
        ordering = ["order", "key"]
        verbose_name = _("統計類別")
        verbose_name_plural = _("統計類別")

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if self.measure == self.MEASURE_MODE and self.mode not in mode_labels():
            raise ValidationError({"mode": "依學習性質計算時須指定學習性質"})
        problems = unknown_codes(self.codes) if isinstance(self.codes, dict) else []
        if problems:
            raise ValidationError({"codes": problems})


class RequirementRule(models.Model):
    """A yearly minimum: national (`agency` empty) or an agency's own, seen by its staff and sub-agencies' staff.

    What counts (`scope`): every entry, the entries whose code is in `codes` (with subtrees), or the union of its
    components' code sets. `mode`, when set, further keeps only entries of that 學習性質 (e.g. 10 hours digital).
    """

    SCOPE_ALL = "all"
    SCOPE_CODES = "codes"
    SCOPE_COMPONENTS = "components"
    SCOPE_CHOICES = [
        (SCOPE_ALL, "全部課程"),
        (SCOPE_CODES, "指定課程類別代碼"),
        (SCOPE_COMPONENTS, "各子項課程類別之聯集"),
    ]

    key = models.SlugField(_("識別碼"), max_length=50)
    label = models.CharField(_("顯示名稱"), max_length=200)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    year_from = models.PositiveSmallIntegerField(_("適用起始年度（西元）"))
    year_to = models.PositiveSmallIntegerField(_("適用結束年度（西元）"), null=True, blank=True)
    agency = models.ForeignKey(
        "registry.Agency",
        verbose_name=_("機關（空白為全國）"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="hours_rules",
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("上層規定"), null=True, blank=True, on_delete=models.CASCADE, related_name="components"
    )
    minimum_hours = models.DecimalField(_("最低時數"), max_digits=6, decimal_places=1)
    scope = models.CharField(_("計算範圍"), max_length=16, choices=SCOPE_CHOICES, default=SCOPE_CODES)
    mode = models.PositiveSmallIntegerField(_("限學習性質"), null=True, blank=True)
    codes = models.JSONField(_("課程類別代碼（依代碼表）"), default=dict, blank=True, validators=[validate_code_sets])

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "year_from"], condition=models.Q(agency__isnull=True), name="hours_rule_national_key"
            ),
            models.UniqueConstraint(fields=["agency", "key", "year_from"], name="hours_rule_agency_key"),
        ]
        verbose_name = _("時數規定")
        verbose_name_plural = _("時數規定")

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if self.year_to is not None and self.year_to < self.year_from:
            raise ValidationError({"year_to": "適用結束年度不可早於起始年度"})
        if self.parent_id and self.parent.agency_id != self.agency_id:
            raise ValidationError({"parent": "上層規定須屬於同一機關"})
        if self.mode is not None and self.mode not in mode_labels():
            raise ValidationError({"mode": f"學習性質 {self.mode} 不正確"})
        problems = unknown_codes(self.codes) if isinstance(self.codes, dict) else []
        if problems:
            raise ValidationError({"codes": problems})
