"""Outbound hours batches to destinations besides the lifelong-learning portal (環境教育, 全教網): certified ledger
entries sent on, in batches (civlearn/hours/outbound.py, docs/outbound-formats.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from civlearn.core import clock


class OutboundDestination(models.Model):
    """Somewhere completed hours go besides the lifelong-learning portal (環境教育終身學習網,
    全國教師在職進修資訊網). Their real formats are not public; docs/outbound-formats.md describes ours."""

    ENVIRONMENT, TEACHER = "environment", "teacher"
    SELECTION_CHOICES = [(ENVIRONMENT, _("環境教育類別的完成紀錄")), (TEACHER, _("勾選時數上傳全教網的學員"))]
    DIRECTORY, HTTP = "directory", "http"
    TRANSPORT_CHOICES = [(DIRECTORY, _("放置於目錄")), (HTTP, "HTTP POST")]

    key = models.SlugField(_("代碼"), max_length=30, unique=True)
    name = models.CharField(_("名稱"), max_length=100)
    label = models.CharField(_("學習紀錄頁顯示文字"), max_length=100, help_text=_("例如：環境教育時數最後上傳時間"))
    selection = models.CharField(_("選取規則"), max_length=16, choices=SELECTION_CHOICES)
    transport = models.CharField(_("傳送方式"), max_length=16, choices=TRANSPORT_CHOICES)
    target = models.CharField(_("目錄路徑或網址"), max_length=500)
    is_active = models.BooleanField(_("啟用"), default=True)
    max_attempts = models.PositiveSmallIntegerField(_("最多嘗試次數"), default=10)
    last_success_at = models.DateTimeField(_("最後上傳時間"), null=True, blank=True)
    last_error = models.TextField(_("最近錯誤"), blank=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("外送時數目的地")
        verbose_name_plural = _("外送時數目的地")

    def __str__(self) -> str:
        return self.name


class OutboundBatch(models.Model):
    PENDING, SENT, FAILED, GAVE_UP = "pending", "sent", "failed", "gave_up"
    STATUS_CHOICES = [
        (PENDING, _("待傳送")),
        (SENT, _("已傳送")),
        (FAILED, _("傳送失敗，將重試")),
        (GAVE_UP, _("已停止重試")),
    ]

    destination = models.ForeignKey(OutboundDestination, on_delete=models.PROTECT, related_name="batches")
    # Sent with every delivery (file name, Idempotency-Key header) so the receiver can drop a repeat.
    reference = models.CharField(_("批次編號"), max_length=60, unique=True)
    created_at = models.DateTimeField(_("建立時間"), default=clock.now)
    payload = models.TextField(_("內容"))
    status = models.CharField(_("狀態"), max_length=16, choices=STATUS_CHOICES, default=PENDING)
    attempts = models.PositiveSmallIntegerField(_("嘗試次數"), default=0)
    last_error = models.TextField(_("最近錯誤"), blank=True)
    sent_at = models.DateTimeField(_("傳送時間"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["destination", "status"])]
        verbose_name = _("外送時數批次")
        verbose_name_plural = _("外送時數批次")

    def __str__(self) -> str:
        return self.reference


class OutboundItem(models.Model):
    """One certified ledger entry in one batch. `reference` is the record's reference as sent (the entry's
    source reference, e.g. `enrolment:42`); the unique key on it makes each record go to each destination once.

    `ledger_entry` is empty only for items carried over from before the move to the hours app whose completion had
    no ledger entry then (its hours were never posted): the reference still keeps that completion from being sent a
    second time once its entry is written."""

    destination = models.ForeignKey(OutboundDestination, on_delete=models.PROTECT, related_name="items")
    batch = models.ForeignKey(OutboundBatch, on_delete=models.CASCADE, related_name="items")
    ledger_entry = models.ForeignKey(
        "hours.LedgerEntry",
        verbose_name=_("學習時數紀錄"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outbound_items",
    )
    reference = models.CharField(_("紀錄參考"), max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["destination", "reference"], name="hours_outbound_once_per_destination")
        ]
        verbose_name = _("外送時數項目")
        verbose_name_plural = _("外送時數項目")

    def __str__(self) -> str:
        return f"{self.batch_id}: {self.reference}"
