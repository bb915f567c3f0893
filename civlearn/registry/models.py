"""The personnel registry (人事資料): agencies and the persons on their staff.

The registry is what the first sign-in is checked against; it is loaded by import, never typed in by learners.
"""

from django.conf import settings
from django.core.validators import RegexValidator
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
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["agency__code", "name"]
        # HR lists show an agency's staff by name; admin search looks persons up by name.
        indexes = [
            models.Index(fields=["agency", "name"], name="registry_person_agency_name"),
            models.Index(fields=["name"], name="registry_person_name"),
        ]
        verbose_name = _("人員")
        verbose_name_plural = _("人員")

    def __str__(self) -> str:
        return f"{self.name} ({self.masked_id})"

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
