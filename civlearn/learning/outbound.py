"""Outbound hours: batches of completions for 環境教育終身學習網 and 全國教師在職進修資訊網.

`outbound_run()` (the `learning_outbound` command, run periodically) does two things per active destination:
1. collects what is due into one new batch — completions not yet in any batch of that destination; the unique
   key (destination, enrolment) makes collecting safe to run twice or concurrently;
2. delivers every batch not yet sent (new, or failed before) until `max_attempts`: a file dropped in a directory
   (written under a temporary name, then renamed) or an HTTP POST with the batch reference as Idempotency-Key.
   Redelivering the same batch sends the same bytes under the same reference, so a receiver can drop repeats.

The format is provisional (the real ones are not public): docs/outbound-formats.md."""

from __future__ import annotations

import json
import logging
import os
import secrets
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from civlearn.core import clock, rocdate
from civlearn.core.services import audit_record
from civlearn.learning.categories import category_subtree
from civlearn.learning.models import (
    Enrolment,
    MemberConsent,
    MemberProfile,
    OutboundBatch,
    OutboundDestination,
    OutboundItem,
)

logger = logging.getLogger(__name__)

FORMAT = "civlearn-outbound/0.1 (provisional)"
# 環境教育 and related codes, each with its subtree (docs/hours-rules.md, 環境教育(4小時)).
ENVIRONMENT_ROOTS = ("337", "267", "268", "278")
HTTP_TIMEOUT_SECONDS = 20


def environment_codes() -> set[str]:
    codes: set[str] = set()
    for root in ENVIRONMENT_ROOTS:
        codes |= category_subtree(root) or {root}
    return codes


def _consenting_user_ids() -> set[int]:
    """Learners whose latest decision agrees to sending hours on (the terms name both destinations)."""
    latest: dict[int, bool] = {}
    for user_id, share in MemberConsent.objects.order_by("user_id", "-decided_at", "-pk").values_list(
        "user_id", "share_hours"
    ):
        latest.setdefault(user_id, share)
    return {user_id for user_id, share in latest.items() if share}


def due_enrolments(destination: OutboundDestination):
    due = (
        Enrolment.objects.filter(completed_at__isnull=False, user__person__isnull=False)
        .exclude(outbound_items__destination=destination)
        .select_related("course__provider_agency", "user__person")
        .order_by("completed_at", "pk")
    )
    if destination.selection == OutboundDestination.ENVIRONMENT:
        due = due.filter(course__category_code__in=environment_codes())
    else:
        teachers = MemberProfile.objects.filter(teacher_network=True).values("user_id")
        due = due.filter(Q(user_id__in=teachers))
    consenting = _consenting_user_ids()
    return [e for e in due if e.user_id in consenting]


def _record(enrolment: Enrolment) -> dict:
    person, course = enrolment.user.person, enrolment.course
    completed = timezone.localtime(enrolment.completed_at)
    return {
        "national_id": person.national_id,
        "name": person.name,
        "course_code": course.code,
        "course_name": course.title,
        "category_code": course.category_code,
        "mode": course.mode,
        "hours": f"{course.certified_hours:.1f}",
        "completed_on": rocdate.format_dashed(completed.date()),
        "completed_time": completed.strftime("%H:%M:%S"),
        "institution_code": course.provider_agency.code,
        "reference": f"enrolment:{enrolment.pk}",
    }


def batch_collect(*, destination: OutboundDestination) -> OutboundBatch | None:
    """One batch of everything due for `destination`, or None when nothing is."""
    due = due_enrolments(destination)
    if not due:
        return None
    now = clock.now()
    reference = f"{destination.key}-{timezone.localtime(now):%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    payload = {
        "format": FORMAT,
        "destination": destination.key,
        "batch": reference,
        "created_at": now.isoformat(),
        "records": [_record(e) for e in due],
    }
    try:
        with transaction.atomic():
            batch = OutboundBatch.objects.create(
                destination=destination,
                reference=reference,
                created_at=now,
                payload=json.dumps(payload, ensure_ascii=False, indent=1),
            )
            OutboundItem.objects.bulk_create(
                OutboundItem(destination=destination, batch=batch, enrolment=e) for e in due
            )
            audit_record(
                actor=None,
                action="learning.outbound_batch_created",
                subject=batch,
                changes={"records": [None, len(due)]},
            )
    except IntegrityError:
        # Another run collected some of these a moment earlier; the next run picks up whatever is left.
        logger.info("outbound %s: completions collected concurrently, batch skipped", destination.key)
        return None
    return batch


def _deliver_directory(destination: OutboundDestination, batch: OutboundBatch) -> None:
    folder = Path(destination.target)
    if not folder.is_dir():
        raise OSError(f"目錄不存在：{folder}")
    final = folder / f"{batch.reference}.json"
    data = batch.payload.encode("utf-8")
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".partial-", delete=False) as handle:
        handle.write(data)
        temporary = handle.name
    # The receiver sees the file only once it is whole.
    os.replace(temporary, final)


def _deliver_http(destination: OutboundDestination, batch: OutboundBatch) -> None:
    if not destination.target.startswith(("http://", "https://")):
        raise OSError("網址須以 http:// 或 https:// 開頭")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        destination.target,
        data=batch.payload.encode("utf-8"),
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": batch.reference},
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        raise OSError(f"HTTP {exc.code}") from exc
    except urllib.error.URLError as exc:
        raise OSError(f"連線失敗：{exc.reason}") from exc
    if not 200 <= status < 300:
        raise OSError(f"HTTP {status}")


def batch_deliver(*, batch: OutboundBatch) -> bool:
    """Try once to deliver `batch`; record the outcome on the batch and its destination. True when sent."""
    destination = batch.destination
    # Claim the attempt with a conditional update, so two runs do not deliver the same batch at once.
    claimed = OutboundBatch.objects.filter(
        pk=batch.pk, attempts=batch.attempts, status__in=[OutboundBatch.PENDING, OutboundBatch.FAILED]
    ).update(attempts=batch.attempts + 1)
    if not claimed:
        return False
    batch.attempts += 1
    try:
        if destination.transport == OutboundDestination.DIRECTORY:
            _deliver_directory(destination, batch)
        else:
            _deliver_http(destination, batch)
    except OSError as exc:
        error = str(exc)[:500]
        status = OutboundBatch.GAVE_UP if batch.attempts >= destination.max_attempts else OutboundBatch.FAILED
        with transaction.atomic():
            OutboundBatch.objects.filter(pk=batch.pk).update(status=status, last_error=error)
            OutboundDestination.objects.filter(pk=destination.pk).update(last_error=f"{batch.reference}: {error}")
            audit_record(
                actor=None,
                action="learning.outbound_failed",
                subject=batch,
                changes={"status": [batch.status, status], "error": [None, error]},
            )
        logger.warning("outbound %s: batch %s failed (attempt %s)", destination.key, batch.reference, batch.attempts)
        batch.status, batch.last_error = status, error
        return False
    now = clock.now()
    with transaction.atomic():
        OutboundBatch.objects.filter(pk=batch.pk).update(status=OutboundBatch.SENT, sent_at=now, last_error="")
        OutboundDestination.objects.filter(pk=destination.pk).update(last_success_at=now, last_error="")
        audit_record(
            actor=None,
            action="learning.outbound_sent",
            subject=batch,
            changes={"status": [batch.status, OutboundBatch.SENT]},
        )
    batch.status, batch.sent_at = OutboundBatch.SENT, now
    return True


def outbound_run() -> dict[str, dict[str, int]]:
    """Collect and deliver for every active destination. Returns {key: {"collected", "sent", "failed"}}."""
    report = {}
    for destination in OutboundDestination.objects.filter(is_active=True):
        batch = batch_collect(destination=destination)
        sent = failed = 0
        for waiting in OutboundBatch.objects.filter(
            destination=destination, status__in=[OutboundBatch.PENDING, OutboundBatch.FAILED]
        ).order_by("created_at", "pk"):
            if batch_deliver(batch=waiting):
                sent += 1
            else:
                failed += 1
        report[destination.key] = {"collected": len(batch.items.all()) if batch else 0, "sent": sent, "failed": failed}
    return report


def last_uploads(*, user) -> list[tuple[str, object]]:
    """(label, time of the latest sent batch holding one of this learner's completions) per destination."""
    sent = dict(
        OutboundItem.objects.filter(enrolment__user=user, batch__status=OutboundBatch.SENT)
        .values("destination_id")
        .annotate(at=Max("batch__sent_at"))
        .values_list("destination_id", "at")
    )
    return [(d.label, sent.get(d.pk)) for d in OutboundDestination.objects.filter(is_active=True)]
