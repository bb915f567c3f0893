"""The hours ledger and its code tables.

- `CategoryTable` / `Category`: versioned course-category code tables (課程類別代碼表), loaded from CSV.
- `LedgerEntry`: one append-only row per certified learning; corrections are reversing rows.

Code sets (`codes` of the reporting rows and rules, models/rules.py) are JSON objects keyed by code-table name, e.g.
`{"2024": ["337", "510"]}`: the same topic has different codes in different tables, and a code counts with its whole
subtree. They are validated here, against the code tables; the arithmetic is in civlearn/hours/rules.py.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# 學習性質. 遠距 was added in 2022 and its code is not public: 4 is an assumption, overridable in settings.
DEFAULT_MODES = {1: _("數位"), 2: _("實體"), 3: _("混成"), 4: _("遠距")}


def mode_labels() -> dict[int, str]:
    """The labels of 學習性質 in the active language (a requester who chose English reads them in English)."""
    return {code: str(label) for code, label in getattr(settings, "HOURS_MODES", DEFAULT_MODES).items()}


def unknown_codes(code_sets: dict) -> list[str]:
    """Messages for table names and codes in `code_sets` that are not in the loaded code tables."""
    problems: list[str] = []
    for name, codes in (code_sets or {}).items():
        known = set(Category.objects.filter(table__name=name).values_list("code", flat=True))
        if not known and not CategoryTable.objects.filter(name=name).exists():
            problems.append(f"沒有名稱為 {name} 的課程類別代碼表")
            continue
        missing = [code for code in codes if code not in known]
        if missing:
            problems.append(f"代碼表 {name} 沒有代碼：{'、'.join(missing)}")
    return problems


def validate_code_sets(value) -> None:
    """`{"<table name>": ["code", …]}`: table names and codes are strings."""
    if not isinstance(value, dict) or not all(
        isinstance(name, str) and isinstance(codes, list) and all(isinstance(code, str) for code in codes)
        for name, codes in value.items()
    ):
        raise ValidationError('代碼集合格式應為 {"代碼表名稱": ["代碼", …]}')


class CategoryTable(models.Model):
    """One version of the course-category code table, in force from `effective_from` until the next one."""

    name = models.CharField(_("代碼表名稱"), max_length=50, unique=True)
    effective_from = models.DateField(_("生效日期"), unique=True)
    source_note = models.TextField(_("來源說明"), blank=True)
    created_at = models.DateTimeField(_("匯入時間"), auto_now_add=True)

    class Meta:
        ordering = ["effective_from"]
        verbose_name = _("課程類別代碼表")
        verbose_name_plural = _("課程類別代碼表")

    def __str__(self) -> str:
        return f"{self.name}（{self.effective_from:%Y-%m-%d} 起）"


class Category(models.Model):
    table = models.ForeignKey(
        CategoryTable, verbose_name=_("代碼表"), on_delete=models.CASCADE, related_name="categories"
    )
    code = models.CharField(_("課程類別代碼"), max_length=20)
    parent_code = models.CharField(_("上層代碼"), max_length=20, blank=True)
    name = models.CharField(_("類別名稱"), max_length=200)
    level = models.PositiveSmallIntegerField(_("層級"), default=1)

    class Meta:
        ordering = ["table", "code"]
        constraints = [models.UniqueConstraint(fields=["table", "code"], name="hours_category_unique_code")]
        verbose_name = _("課程類別")
        verbose_name_plural = _("課程類別")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class LedgerEntry(models.Model):
    """One certified learning, or the reversal of one. Never updated, never deleted."""

    SOURCE_UPLOAD = "upload"
    SOURCE_API = "api"
    SOURCE_ELEARN = "elearn"
    SOURCE_MANUAL = "manual"
    SOURCE_CLASS = "class"
    SOURCE_REVERSAL = "reversal"
    SOURCE_CHOICES = [
        (SOURCE_UPLOAD, "批次上傳"),
        (SOURCE_API, "API"),
        (SOURCE_ELEARN, "e等公務園+"),
        (SOURCE_MANUAL, "人事登錄"),
        (SOURCE_CLASS, "實體開班"),
        (SOURCE_REVERSAL, "沖銷"),
    ]

    # No index of its own: hours_ledger_person_year_cov starts with person_id and serves every lookup by person
    # (and the PROTECT check); a second index would only cost every ledger insert.
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("人員"),
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        db_index=False,
    )
    # The Gregorian year of the actual end date in Asia/Taipei: the year the hours count in.
    year = models.PositiveSmallIntegerField(_("年度"))
    course_name = models.CharField(_("課程名稱"), max_length=300)
    course_code = models.CharField(_("課程代碼"), max_length=50, blank=True)
    period = models.CharField(_("期別"), max_length=50, blank=True)
    institution_code = models.CharField(_("學習機關(構)代碼"), max_length=10)
    category_table = models.ForeignKey(
        CategoryTable, verbose_name=_("代碼表"), on_delete=models.PROTECT, related_name="ledger_entries"
    )
    category_code = models.CharField(_("課程類別代碼"), max_length=20)
    mode = models.PositiveSmallIntegerField(_("學習性質"))
    digital_hours = models.DecimalField(_("數位時數"), max_digits=6, decimal_places=1)
    physical_hours = models.DecimalField(_("實體時數"), max_digits=6, decimal_places=1)
    certified_hours = models.DecimalField(_("訓練總數"), max_digits=6, decimal_places=1)
    hours_unit = models.CharField(_("訓練總數單位"), max_length=4, default="1")
    course_start = models.DateTimeField(_("開課起始"), null=True, blank=True)
    course_end = models.DateTimeField(_("開課結束"), null=True, blank=True)
    actual_start = models.DateTimeField(_("實際上課起始"))
    actual_end = models.DateTimeField(_("實際上課結束"))
    score = models.CharField(_("訓練成績"), max_length=20, blank=True)
    certificate_no = models.CharField(_("證件字號"), max_length=100, blank=True)
    attendance_note = models.CharField(_("出勤上課狀況"), max_length=200, blank=True)
    job_related = models.BooleanField(_("與業務相關"), default=False)
    self_applied_leave = models.BooleanField(_("自行申請公假"), default=False)
    county_code = models.CharField(_("上課縣市"), max_length=4, blank=True)
    degree_credit = models.CharField(_("學位學分"), max_length=4, default="6")
    source_kind = models.CharField(_("來源"), max_length=16, choices=SOURCE_CHOICES)
    source_reference = models.CharField(_("來源參考"), max_length=200)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("沖銷之紀錄"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    reason = models.TextField(_("沖銷原因"), blank=True)
    # Indexed only where set (Meta.indexes): uploaded, API and e-learning rows leave it empty.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("建立者"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(_("建立時間"))

    class Meta:
        ordering = ["actual_end", "id"]
        constraints = [
            models.UniqueConstraint(fields=["source_kind", "source_reference"], name="hours_ledger_unique_source"),
        ]
        indexes = [
            # Covering: a summary reads only these columns, so PostgreSQL answers it from one index leaf page
            # (index-only scan) instead of visiting the ≈ 5 heap pages a person's records of a year are spread
            # over. That needs the visibility map set (autovacuum; bench/hours_generate.py runs VACUUM). SQLite
            # ignores INCLUDE and gets a plain (person, year) index.
            models.Index(
                fields=["person", "year"],
                include=[
                    "category_table",
                    "category_code",
                    "mode",
                    "certified_hours",
                    "job_related",
                    "self_applied_leave",
                ],
                name="hours_ledger_person_year_cov",
            ),
            models.Index(fields=["institution_code"], name="hours_ledger_institution"),
            # Partial: nearly every row has no creator (only corrections do), and a full index would hold millions
            # of NULLs that every insert pays for. `created_by_id = X` (PROTECT on a user's deletion) still uses it.
            models.Index(
                fields=["created_by"], condition=models.Q(created_by__isnull=False), name="hours_ledger_created_by"
            ),
        ]
        verbose_name = _("學習時數紀錄")
        verbose_name_plural = _("學習時數紀錄")

    def __str__(self) -> str:
        return f"{self.course_name}（{self.certified_hours} 小時）"

    @property
    def mode_label(self) -> str:
        return mode_labels().get(self.mode, str(self.mode))
