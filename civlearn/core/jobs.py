"""The one job machinery: long work (an upload, an import) as a row with a status and a progress figure, so a person
can leave and come back, and a crash leaves a trace. The hours uploads (hours/jobs.py) and the registry imports
(registry/services.py) are jobs of this kind; each app keeps its own model (its own fields and result) on `JobBase`.

- A run claims its job with a conditional update (queued → running), so a task delivered twice does the work once.
- While it runs, a `Heartbeat` thread stamps `heartbeat_at` every JOB_HEARTBEAT_SECONDS on its own
  connection (the run's own connection is inside a transaction whose writes nobody sees yet).
- `jobs_reclaim` marks failed every running job whose stamp is older than JOB_STALE_SECONDS: its worker is gone
  (killed, out of memory, the machine restarted), nothing of it was committed, and the person can run it again.
- A run writes its outcome only while the row is still its own (`still_ours`); otherwise `JobLost` rolls it back.
- A job records the language of the page that queued it (`job_language`), and its run speaks that language
  (`speaking`): the messages it stores (row errors, failures) are read by that person later, not by the worker.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from django.conf import settings
from django.db import DatabaseError, connections, models, transaction
from django.db.models import Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext_lazy

from civlearn.core import clock
from civlearn.core.services import audit_record

logger = logging.getLogger(__name__)

FAILED_MESSAGE = gettext_lazy("處理時發生錯誤，請稍後重試或聯絡系統管理者（{error}）")
STALE_MESSAGE = gettext_lazy("處理程序已中斷（超過 {seconds} 秒沒有回應），未匯入任何資料；請按「重新執行」再試一次")


class JobBase(models.Model):
    """The fields every job row has. Subclasses add what they work on and what they found."""

    QUEUED = "queued"
    RUNNING = "running"
    REVIEW = "review"
    DONE = "done"
    FAILED = "failed"
    STATUS_CHOICES = [
        (QUEUED, gettext_lazy("排隊中")),
        (RUNNING, gettext_lazy("處理中")),
        (REVIEW, gettext_lazy("有錯誤，未匯入")),
        (DONE, gettext_lazy("已完成")),
        (FAILED, gettext_lazy("處理失敗")),
    ]

    status = models.CharField("狀態", max_length=16, choices=STATUS_CHOICES, default=QUEUED)
    progress = models.PositiveSmallIntegerField("進度（%）", default=0)
    message = models.TextField("訊息", blank=True)
    created_at = models.DateTimeField("上傳時間")
    started_at = models.DateTimeField("開始處理", null=True, blank=True)
    # Stamped every few seconds by the process running the job (Heartbeat); a running job whose stamp is older than
    # JOB_STALE_SECONDS has lost its worker and is marked failed (jobs_reclaim).
    heartbeat_at = models.DateTimeField("最後心跳", null=True, blank=True)
    finished_at = models.DateTimeField("處理完成", null=True, blank=True)
    # The language of the page that queued the job: its messages are written in it (blank: LANGUAGE_CODE).
    language = models.CharField("語言", max_length=16, blank=True, default="")

    class Meta:
        abstract = True

    @property
    def is_finished(self) -> bool:
        return self.status in {self.REVIEW, self.DONE, self.FAILED}


def job_language() -> str:
    """The language to record with a job being queued: the active one (the request's page)."""
    return translation.get_language() or settings.LANGUAGE_CODE


def speaking(job: JobBase) -> translation.override:
    """`with speaking(job):` the job's messages come out in the language recorded with it."""
    return translation.override(job.language or settings.LANGUAGE_CODE)


def heartbeat_seconds() -> float:
    return float(getattr(settings, "JOB_HEARTBEAT_SECONDS", 10))


def stale_seconds() -> float:
    return float(getattr(settings, "JOB_STALE_SECONDS", 60))


class JobLost(Exception):
    """The job's row is no longer this run's: the transaction that would have written its outcome is rolled back."""


def job_claim(model: type[JobBase], job_id: int) -> dt.datetime | None:
    """Move a queued job to running; its start time (the run's identity) or None if another run has it."""
    started = clock.now()
    claimed = model._default_manager.filter(pk=job_id, status=JobBase.QUEUED).update(
        status=JobBase.RUNNING, started_at=started, heartbeat_at=started, progress=0
    )
    return started if claimed else None


def still_ours(job: JobBase) -> QuerySet:
    """The job's row, if it is still running as this run claimed it."""
    return type(job)._default_manager.filter(pk=job.pk, status=JobBase.RUNNING, started_at=job.started_at)


class Heartbeat:
    """While the block runs, a thread stamps the job's heartbeat_at every JOB_HEARTBEAT_SECONDS, on its own
    database connection.

    A thread rather than the progress callback: the last steps of a big job (a COPY's end, the commit) report no
    progress for a while, yet the worker is alive. When the process dies, the stamps stop.
    """

    def __init__(self, *, model: type[JobBase], job_id: int, started_at: dt.datetime) -> None:
        self._model, self._job_id, self._started_at = model, job_id, started_at
        self._stop = threading.Event()
        name = f"{model._meta.label_lower}-{job_id}-heartbeat"
        self._thread = threading.Thread(target=self._beat, name=name, daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        interval = heartbeat_seconds()
        try:
            while not self._stop.wait(interval):
                try:
                    self._model._default_manager.filter(
                        pk=self._job_id, status=JobBase.RUNNING, started_at=self._started_at
                    ).update(heartbeat_at=clock.now())
                except DatabaseError:
                    # A database that cannot take the stamp now (SQLite busy with the job's own write) may take the
                    # next one; the stale bound is several intervals long.
                    logger.warning("%s %s: heartbeat not recorded", self._model.__name__, self._job_id, exc_info=True)
        finally:
            connections.close_all()


def jobs_reclaim(model: type[JobBase], *, action: str) -> list[int]:
    """Mark failed every running job of `model` whose heartbeat is older than JOB_STALE_SECONDS, with an
    audit event `action` each; return their ids. Conditional on the same run, so a job claimed again is left alone."""
    seconds = stale_seconds()
    cutoff = clock.now() - dt.timedelta(seconds=seconds)
    stale = list(
        model._default_manager.filter(status=JobBase.RUNNING)
        .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff))
        .values_list("pk", "started_at", "language")
    )
    reclaimed = []
    for job_id, started_at, language in stale:
        with translation.override(language or settings.LANGUAGE_CODE):
            message = str(STALE_MESSAGE).format(seconds=int(seconds))
        with transaction.atomic():
            done = model._default_manager.filter(
                Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True),
                pk=job_id,
                status=JobBase.RUNNING,
                started_at=started_at,
            ).update(status=JobBase.FAILED, finished_at=clock.now(), message=message)
            if done:
                audit_record(
                    actor=None,
                    action=action,
                    subject_type=model._meta.label_lower,
                    subject_id=str(job_id),
                    changes={"status": [JobBase.RUNNING, JobBase.FAILED]},
                )
                reclaimed.append(job_id)
    if reclaimed:
        logger.warning("%s %s had no heartbeat for %s s: marked failed", model.__name__, reclaimed, int(seconds))
    return reclaimed
