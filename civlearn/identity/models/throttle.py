"""Attempt counters and temporary locks of the sign-in throttle (identity/throttle.py), kept in the database so that
a cache restart lifts no lock. Keys are keyed hashes: no national ID, account name or address is stored."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ThrottleCounter(models.Model):
    """Failures of one (scope, value) in one fixed window."""

    key = models.CharField(_("鍵"), max_length=80, unique=True)
    count = models.PositiveIntegerField(_("次數"), default=0)
    expires_at = models.DateTimeField(_("到期"), db_index=True)

    class Meta:
        verbose_name = _("嘗試次數")
        verbose_name_plural = _("嘗試次數")

    def __str__(self) -> str:
        return f"{self.key[:12]}… {self.count}"


class ThrottleLock(models.Model):
    """A temporary lock on one (scope, value) until `until`."""

    key = models.CharField(_("鍵"), max_length=80, unique=True)
    until = models.DateTimeField(_("鎖定至"), db_index=True)

    class Meta:
        verbose_name = _("暫時鎖定")
        verbose_name_plural = _("暫時鎖定")

    def __str__(self) -> str:
        return f"{self.key[:12]}… {self.until:%Y-%m-%d %H:%M}"
