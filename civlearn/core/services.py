from __future__ import annotations

from typing import Any

from django.db import models, transaction

from civlearn.core import clock
from civlearn.core.client_address import client_address
from civlearn.core.models import AuditEvent


def audit_record(
    *,
    actor: Any | None,
    action: str,
    subject: models.Model | None = None,
    subject_type: str = "",
    subject_id: str | int = "",
    changes: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Write an audit event. Must run inside the transaction that makes the change it records."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the transaction of the change it records")
    if subject is not None:
        subject_type = subject._meta.label_lower
        subject_id = subject.pk
    return AuditEvent.objects.create(
        created_at=clock.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        changes=changes or {},
        ip_address=ip_address,
    )


# The one client-address rule (trusted proxies, rightmost untrusted X-Forwarded-For): core/client_address.py.
client_ip = client_address
