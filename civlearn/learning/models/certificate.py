"""Completion certificates."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from civlearn.core import clock
from civlearn.learning.models.enrolment import Enrolment


class Certificate(models.Model):
    """A completion certificate. Name, course and hours are copied at issue so the verification page keeps
    saying what was certified even if the course is later renamed."""

    enrolment = models.OneToOneField(Enrolment, on_delete=models.PROTECT, related_name="certificate")
    number = models.CharField(_("證書字號"), max_length=30, unique=True)
    verify_code = models.CharField(_("驗證碼"), max_length=20, unique=True)
    issued_at = models.DateTimeField(_("發證時間"), default=clock.now)
    learner_name = models.CharField(_("姓名"), max_length=100)
    course_title = models.CharField(_("課程名稱"), max_length=200)
    certified_hours = models.DecimalField(_("認證時數"), max_digits=5, decimal_places=1)
    provider_name = models.CharField(_("教材提供機關"), max_length=200)

    class Meta:
        verbose_name = _("完成證書")
        verbose_name_plural = _("完成證書")

    def __str__(self) -> str:
        return self.number
