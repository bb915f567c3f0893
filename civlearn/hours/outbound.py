"""Outbound hours: batches of certified ledger entries for 環境教育終身學習網 and 全國教師在職進修資訊網.

`outbound_run(audience=…)` (run periodically by `manage.py learning_outbound`) does two things per active
destination:
1. collects what is due into one new batch — e-learning completions certified in the ledger (entries written by
   e等公務園+, not reversed) of the destination's audience, not yet in any batch of that destination; the unique key
   (destination, record reference) makes collecting safe to run twice or concurrently;
2. delivers every batch not yet sent (new, or failed before) until `max_attempts`: a file dropped in a directory
   (written under a temporary name, then renamed) or an HTTP POST with the batch reference as Idempotency-Key.
   Redelivering the same batch sends the same bytes under the same reference, so a receiver can drop repeats.

Who may be sent is the learners' own choice (member terms, 個人資料), which the e-learning app keeps: it passes the
`audience`, a function from a destination's selection to the ids of the registry persons who may be sent there
(civlearn/learning/completion/outbound.py).

The format is provisional (the real ones are not public): docs/outbound-formats.md."""

from __future__ import annotations

import json
import logging
import os
import secrets
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Collection
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from civlearn.core import clock, rocdate
from civlearn.core.services import audit_record
from civlearn.hours import rules
from civlearn.hours.models import LedgerEntry, OutboundBatch, OutboundDestination, OutboundItem

logger = logging.getLogger(__name__)

FORMAT = "civlearn-outbound/0.1 (provisional)"
# 環境教育 and related codes, each with its subtree (docs/hours-rules.md, 環境教育(4小時)).
ENVIRONMENT_ROOTS = frozenset({"337", "267", "268", "278"})
HTTP_TIMEOUT_SECONDS = 20
# The selections a destination may have, for the audience function.
ENVIRONMENT, TEACHER = OutboundDestination.ENVIRONMENT, OutboundDestination.TEACHER

# selection → ids of the registry persons whose certified completions may go to a destination of that selection.
Audience = Callable[[str], Collection[int]]


def due_entries(destination: OutboundDestination, *, audience: Audience) -> list[LedgerEntry]:
    """The certified e-learning completions due for `destination`, oldest first."""
    due = (
        LedgerEntry.objects.filter(
            source_kind=LedgerEntry.SOURCE_ELEARN,
            person_id__in=list(audience(destination.selection)),
            reversed_by__isnull=True,
        )
        .exclude(source_reference__in=OutboundItem.objects.filter(destination=destination).values("reference"))
        .select_related("person")
        .order_by("actual_end", "pk")
    )
    if destination.selection == OutboundDestination.ENVIRONMENT:
        book = rules.book()
        return [e for e in due if book.lineage(e.category_table_id, e.category_code) & ENVIRONMENT_ROOTS]
    return list(due)


def _record(entry: LedgerEntry) -> dict:
    person = entry.person
    completed = timezone.localtime(entry.actual_end)
    return {
        "national_id": person.national_id,
        "name": person.name,
        "course_code": entry.course_code,
        "course_name": entry.course_name,
        "category_code": entry.category_code,
        "mode": entry.mode,
        "hours": f"{entry.certified_hours:.1f}",
        "completed_on": rocdate.format_dashed(completed.date()),
        "completed_time": completed.strftime("%H:%M:%S"),
        "institution_code": entry.institution_code,
        "reference": entry.source_reference,
    }


def batch_collect(*, destination: OutboundDestination, audience: Audience) -> OutboundBatch | None:
    """One batch of everything due for `destination`, or None when nothing is."""
    due = due_entries(destination, audience=audience)
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
                OutboundItem(destination=destination, batch=batch, ledger_entry=e, reference=e.source_reference)
                for e in due
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


def outbound_run(*, audience: Audience) -> dict[str, dict[str, int]]:
    """Collect and deliver for every active destination. Returns {key: {"collected", "sent", "failed"}}."""
    report = {}
    for destination in OutboundDestination.objects.filter(is_active=True):
        batch = batch_collect(destination=destination, audience=audience)
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
