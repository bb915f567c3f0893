"""學習機關(構): learning institutions that apply online, are reviewed by operators, and run their own area.

An application and the institution it becomes are one row (`Institution`), whose status moves
submitted → changes requested → submitted … → approved or refused. On approval the institution is linked to the
registry agency whose code it reports hours under (`agency`): the 25-column upload, the API clients and the ledger's
`institution_code` all name that agency, so nothing uploaded before changes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civlearn.hours.models.review import Reviewed


class Institution(Reviewed):
    SUBMITTED = "submitted"
    CHANGES = "changes"
    APPROVED = "approved"
    REFUSED = "refused"
    STATUS_CHOICES = [
        (SUBMITTED, "審核中"),
        (CHANGES, "請補正"),
        (APPROVED, "已核准"),
        (REFUSED, "不予核准"),
    ]
    KIND_AGENCY = "agency"
    KIND_UNIVERSITY = "university"
    KIND_PRIVATE = "private"
    KIND_OTHER = "other"
    KIND_CHOICES = [
        (KIND_AGENCY, "機關（構）訓練單位"),
        (KIND_UNIVERSITY, "大專校院"),
        (KIND_PRIVATE, "民間機構"),
        (KIND_OTHER, "其他"),
    ]

    name = models.CharField("機關(構)名稱", max_length=200)
    name_search = models.CharField("搜尋用名稱", max_length=200, editable=False, db_index=True)
    kind = models.CharField("機關(構)類型", max_length=16, choices=KIND_CHOICES)
    contact_name = models.CharField("聯絡人", max_length=100)
    contact_email = models.EmailField("聯絡人電子郵件")
    contact_phone = models.CharField("聯絡電話", max_length=30, blank=True)
    county_code = models.CharField("所在縣市", max_length=4)
    address = models.CharField("地址", max_length=300)
    # The 學習性質 codes (1 數位, 2 實體, 3 混成, 4 遠距) of the classes it runs.
    class_modes = models.JSONField("開設課程類型", default=list)
    document = models.FileField("證明文件", upload_to="hours/institutions/%Y/%m/", blank=True)
    document_name = models.CharField("證明文件檔名", max_length=200, blank=True)
    status = models.CharField("狀態", max_length=16, choices=STATUS_CHOICES, default=SUBMITTED)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申請人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hours_institution_applications",
    )
    agency = models.OneToOneField(
        "registry.Agency",
        verbose_name="學習機關(構)代碼",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hours_institution",
    )
    created_at = models.DateTimeField("申請時間")
    # reviewed_at, reviewed_by, review_note: `Reviewed`.

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="hours_institution_queue")]
        verbose_name = "學習機關(構)"
        verbose_name_plural = "學習機關(構)"

    def __str__(self) -> str:
        return self.name

    @property
    def code(self) -> str:
        return self.agency.code if self.agency is not None else ""


class InstitutionMember(models.Model):
    """An account acting for an institution: its administrator(s) add and remove staff. Staff with no account yet
    are invited (`services.member_invite`): their account is made with the membership but has no password until
    they set one through the e-mailed link, so they act for the institution only after accepting. `name` is the
    name the administrator typed for such an account (an account with a registry person shows that person's)."""

    ADMIN = "admin"
    STAFF = "staff"
    ROLE_CHOICES = [(ADMIN, _("機關(構)管理者")), (STAFF, _("承辦人員"))]

    institution = models.ForeignKey(
        Institution, verbose_name="學習機關(構)", on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="帳號", on_delete=models.CASCADE, related_name="hours_institutions"
    )
    role = models.CharField("角色", max_length=8, choices=ROLE_CHOICES)
    name = models.CharField("姓名", max_length=100, blank=True)
    added_at = models.DateTimeField("加入時間")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["institution", "user"], name="hours_institution_member_once")]
        verbose_name = "學習機關(構)人員"
        verbose_name_plural = "學習機關(構)人員"

    def __str__(self) -> str:
        return f"{self.user} @ {self.institution}（{self.get_role_display()}）"

    @property
    def display_name(self) -> str:
        return self.user.display_name if self.user.person_id or not self.name else self.name

    @property
    def invited(self) -> bool:
        """Invited and not yet accepted: the account has no password and no registry person."""
        return self.user.person_id is None and not self.user.has_usable_password()
