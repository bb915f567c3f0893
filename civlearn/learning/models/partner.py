"""加盟機關: agencies that host courses on e等公務園+. An agency applies (加盟機關申請), an operator approves, and from
then on its course providers may publish courses (`provide.services.course_publish`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PartnerAgency(models.Model):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    STATUS_CHOICES = [(PENDING, _("審核中")), (APPROVED, _("已核准")), (REJECTED, _("未核准"))]

    agency = models.OneToOneField(
        "registry.Agency", verbose_name=_("機關"), on_delete=models.PROTECT, related_name="partnership"
    )
    status = models.CharField(_("狀態"), max_length=10, choices=STATUS_CHOICES, default=PENDING, db_index=True)
    introduction = models.TextField(_("機關簡介"), max_length=2000)
    contact_name = models.CharField(_("聯絡人"), max_length=60)
    contact_email = models.EmailField(_("聯絡電子郵件"))
    contact_phone = models.CharField(_("聯絡電話"), max_length=30)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申請人"), on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(_("申請時間"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("審核者"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(_("審核時間"), null=True, blank=True)
    decision_note = models.CharField(_("審核說明"), max_length=300, blank=True)

    class Meta:
        ordering = ["agency__code"]
        verbose_name = _("加盟機關")
        verbose_name_plural = _("加盟機關")

    def __str__(self) -> str:
        return f"{self.agency.name}（{self.get_status_display()}）"
