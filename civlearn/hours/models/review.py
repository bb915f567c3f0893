"""The review fields an institution application and a class registration share: who decided, when, and why."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Reviewed(models.Model):
    """Who reviewed the row (an operator for an application, the person's HR office for a registration), when, and
    the note sent with the decision (審核意見: the reason for a refusal or a request for changes)."""

    reviewed_at = models.DateTimeField("審核時間", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="審核者",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    review_note = models.TextField("審核意見", blank=True)

    class Meta:
        abstract = True
