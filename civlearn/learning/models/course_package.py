"""Course packages (套裝課程 / 學習地圖): a set of courses and category subtrees to finish."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class CoursePackage(models.Model):
    """A set of courses and category subtrees to finish (公務人員10小時課程, 中科大「行政人員套裝課程」).

    `agency` empty = defined by operators for everyone; otherwise by that agency's HR office for its staff
    (including sub-agencies). `identity_type` narrows it further (e.g. 教師)."""

    title = models.CharField(_("套裝課程名稱"), max_length=100)
    description = models.TextField(_("說明"), blank=True)
    agency = models.ForeignKey(
        "registry.Agency",
        verbose_name=_("適用機關（空白＝全體）"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="course_packages",
    )
    identity_type = models.CharField(_("適用身份別（空白＝全部）"), max_length=20, blank=True)
    courses = models.ManyToManyField("learning.Course", verbose_name=_("課程"), blank=True, related_name="packages")
    # Space-separated category codes; each counts with its whole subtree and asks for `category_hours` hours.
    category_codes = models.CharField(_("課程類別代碼（空白分隔）"), max_length=200, blank=True)
    category_hours = models.DecimalField(_("類別時數要求"), max_digits=5, decimal_places=1, default=Decimal("0"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "title"]
        verbose_name = _("套裝課程")
        verbose_name_plural = _("套裝課程")

    def __str__(self) -> str:
        return self.title
