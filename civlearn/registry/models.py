"""The personnel registry (人事資料): agencies and the persons on their staff.

The registry is what the first sign-in is checked against; it is loaded by import, never typed in by learners.
"""

from django.core.validators import RegexValidator
from django.db import models

from civlearn.core.national_id import mask
from civlearn.core.text import search_fold

agency_code_validator = RegexValidator(r"^[0-9A-Z]{10}$", "機關代碼應為 10 碼英數字（大寫）")


class Agency(models.Model):
    # The check character's algorithm is not public: the code is an opaque identifier from the agency list.
    code = models.CharField("機關代碼", max_length=10, unique=True, validators=[agency_code_validator])
    name = models.CharField("機關名稱", max_length=200)
    parent = models.ForeignKey(
        "self", verbose_name="上級機關", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # 機關組織's search: name and code in the one searchable form (core.text.search_fold), kept by save() and by
    # the import's bulk writes (`agency_search_text`).
    search_text = models.CharField(max_length=220, editable=False, default="")

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["name"], name="registry_agency_name")]
        verbose_name = "機關"
        verbose_name_plural = "機關"

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
    national_id = models.CharField("身分證字號", max_length=10, unique=True)
    name = models.CharField("姓名", max_length=100)
    birthday = models.DateField("生日")
    agency = models.ForeignKey(Agency, verbose_name="機關", on_delete=models.PROTECT, related_name="staff")
    post_start_date = models.DateField("任現職之實際到職日期")
    personnel_category = models.CharField("人事資料庫人員區分", max_length=50, blank=True)
    identity_type = models.CharField("身份別", max_length=50, blank=True)
    email = models.EmailField("電子郵件", blank=True)
    is_active = models.BooleanField("在職", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["agency__code", "name"]
        # HR lists show an agency's staff by name; admin search looks persons up by name.
        indexes = [
            models.Index(fields=["agency", "name"], name="registry_person_agency_name"),
            models.Index(fields=["name"], name="registry_person_name"),
        ]
        verbose_name = "人員"
        verbose_name_plural = "人員"

    def __str__(self) -> str:
        return f"{self.name} ({self.masked_id})"

    @property
    def masked_id(self) -> str:
        return mask(self.national_id)
