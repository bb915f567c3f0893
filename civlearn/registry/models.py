"""The personnel registry (人事資料): agencies and the persons on their staff.

The registry is what the first sign-in is checked against; it is loaded by import, never typed in by learners.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from civlearn.core.jobs import JobBase
from civlearn.core.national_id import mask
from civlearn.core.text import search_fold

agency_code_validator = RegexValidator(r"^[0-9A-Z]{10}$", "機關代碼應為 10 碼英數字（大寫）")


class Agency(models.Model):
    # The check character's algorithm is not public: the code is an opaque identifier from the agency list.
    code = models.CharField(_("機關代碼"), max_length=10, unique=True, validators=[agency_code_validator])
    name = models.CharField(_("機關名稱"), max_length=200)
    parent = models.ForeignKey(
        "self", verbose_name=_("上級機關"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # 機關組織's search: name and code in the one searchable form (core.text.search_fold), kept by save() and by
    # the import's bulk writes (`agency_search_text`).
    search_text = models.CharField(max_length=220, editable=False, default="")

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["name"], name="registry_agency_name")]
        verbose_name = _("機關")
        verbose_name_plural = _("機關")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def save(self, *args, **kwargs):
        self.search_text = agency_search_text(name=self.name, code=self.code)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)


def agency_search_text(*, name: str, code: str) -> str:
    """What 機關組織's search matches a folded query against: the folded name, a space, the folded code."""
    return f"{search_fold(name)} {search_fold(code)}"


# 官等 and the 職等 each covers (公務人員任用法 §5: 委任 1–5, 薦任 6–9, 簡任 10–14). 特任 has no 職等.
RANK_ELEMENTARY = "elementary"
RANK_JUNIOR = "junior"
RANK_SENIOR = "senior"
RANK_SPECIAL = "special"
RANK_CLASS_CHOICES = [
    (RANK_ELEMENTARY, _("委任")),
    (RANK_JUNIOR, _("薦任")),
    (RANK_SENIOR, _("簡任")),
    (RANK_SPECIAL, _("特任")),
]
RANK_GRADES = {RANK_ELEMENTARY: range(1, 6), RANK_JUNIOR: range(6, 10), RANK_SENIOR: range(10, 15)}


def rank_class_of_grade(grade: int) -> str:
    """The 官等 a 職等 belongs to (1–5 委任, 6–9 薦任, 10–14 簡任)."""
    return next(rank for rank, grades in RANK_GRADES.items() if grade in grades)


def rank_problem(rank_class: str, rank_grade: int | None) -> str:
    """Why a 官等 and 職等 cannot go together (the registry's one check, for the import and the admin), or ""."""
    if rank_grade is None:
        return ""
    if not 1 <= rank_grade <= 14:
        return str(_("職等應為 1 至 14"))
    if rank_class == RANK_SPECIAL:
        return str(_("特任沒有職等，請留空"))
    if rank_class and rank_grade not in RANK_GRADES[rank_class]:
        grades = RANK_GRADES[rank_class]
        return str(
            _("%(rank)s為第 %(low)s 至第 %(high)s 職等")
            % {"rank": dict(RANK_CLASS_CHOICES)[rank_class], "low": grades[0], "high": grades[-1]}
        )
    return ""


class Person(models.Model):
    national_id = models.CharField(_("身分證字號"), max_length=10, unique=True)
    name = models.CharField(_("姓名"), max_length=100)
    birthday = models.DateField(_("生日"))
    agency = models.ForeignKey(Agency, verbose_name=_("機關"), on_delete=models.PROTECT, related_name="staff")
    post_start_date = models.DateField(_("任現職之實際到職日期"))
    personnel_category = models.CharField(_("人事資料庫人員區分"), max_length=50, blank=True)
    identity_type = models.CharField(_("身份別"), max_length=50, blank=True)
    email = models.EmailField(_("電子郵件"), blank=True)
    is_active = models.BooleanField(_("在職"), default=True)
    # Who-may-register rules of classes (主管 only, 官等/職等 ranges). Blank: the HR office has not recorded it.
    is_supervisor = models.BooleanField(_("主管"), null=True, blank=True)
    rank_class = models.CharField(_("官等"), max_length=12, choices=RANK_CLASS_CHOICES, blank=True)
    rank_grade = models.PositiveSmallIntegerField(
        _("職等"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(14)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["agency__code", "name"]
        # HR lists show an agency's staff by name; admin search looks persons up by name.
        indexes = [
            models.Index(fields=["agency", "name"], name="registry_person_agency_name"),
            models.Index(fields=["name"], name="registry_person_name"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rank_grade__isnull=True) | models.Q(rank_grade__gte=1, rank_grade__lte=14),
                name="registry_person_rank_grade_range",
            ),
        ]
        verbose_name = _("人員")
        verbose_name_plural = _("人員")

    def __str__(self) -> str:
        return f"{self.name} ({self.masked_id})"

    def clean(self) -> None:
        problem = rank_problem(self.rank_class, self.rank_grade)
        if problem:
            raise ValidationError({"rank_grade": [problem]})

    @property
    def masked_id(self) -> str:
        return mask(self.national_id)


class RegistryImportJob(JobBase):
    """One uploaded registry file (persons or agencies), from upload to result, run by the job machinery
    (core/jobs.py): a person can leave the page and come back, and a crash leaves a trace."""

    kind = models.CharField("匯入資料種類", max_length=16)
    dry_run = models.BooleanField("僅檢查，不寫入", default=False)
    file = models.FileField("檔案", upload_to="registry/imports/%Y/%m/")
    file_name = models.CharField("檔名", max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上傳者",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registry_import_jobs",
    )
    # {rows, created, updated, unchanged, ignored_columns, error_count, errors: [{row, column, message}] (capped)}
    result = models.JSONField("結果", default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="registry_import_job_by_user"),
            models.Index(
                fields=["heartbeat_at"], name="registry_import_job_running", condition=models.Q(status="running")
            ),
        ]
        verbose_name = "人事資料匯入作業"
        verbose_name_plural = "人事資料匯入作業"

    def __str__(self) -> str:
        return f"{self.file_name}（{self.get_status_display()}）"
