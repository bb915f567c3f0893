"""加盟機關申請 and its review: one function each, permission checked inside, audited in the same transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from civlearn.core import clock
from civlearn.core.services import audit_record
from civlearn.identity import selectors as identity_selectors
from civlearn.learning.models import PartnerAgency


class PartnerError(ValueError):
    """A refused application or decision: `errors` maps a field to its messages (zh-Hant)."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(m for ms in errors.values() for m in ms))


class PartnerDenied(PermissionError):
    pass


def may_apply(user, agency) -> bool:
    """An agency's HR officers and course providers may apply for it; operators for any agency."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff) or any(
        identity_selectors.user_has_role(user, agency, role) for role in ("hr", "provider")
    )


def partner_apply(
    *,
    actor,
    agency,
    introduction: str,
    contact_name: str,
    contact_email: str,
    contact_phone: str,
    ip_address: str | None = None,
) -> PartnerAgency:
    """File (or, after a refusal, file again) 加盟機關申請 for `agency`; it waits for an operator's decision."""
    if not may_apply(actor, agency):
        raise PartnerDenied(_("您不是此機關的人事人員或課程提供人員，不能代為申請"))
    values = {
        "introduction": (introduction or "").strip(),
        "contact_name": (contact_name or "").strip(),
        "contact_email": (contact_email or "").strip(),
        "contact_phone": (contact_phone or "").strip(),
    }
    # The messages go beside their field, whose label the page shows with them (and in its error summary).
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        if not value:
            errors[name] = [_("請填寫")]
    if len(values["introduction"]) > 2000:
        errors["introduction"] = [_("請在 2000 字以內")]
    if values["contact_email"] and "contact_email" not in errors:
        try:
            validate_email(values["contact_email"])
        except ValidationError:
            errors["contact_email"] = [_("格式不正確，例如 name@agency.gov.tw")]
    with transaction.atomic():
        current = PartnerAgency.objects.select_for_update().filter(agency=agency).first()
        if current is not None and current.status == PartnerAgency.APPROVED:
            errors["agency"] = [_("「%(agency)s」已是加盟機關") % {"agency": agency.name}]
        elif current is not None and current.status == PartnerAgency.PENDING:
            errors["agency"] = [_("「%(agency)s」的申請審核中，請靜候結果") % {"agency": agency.name}]
        if errors:
            raise PartnerError(errors)
        now = clock.now()
        if current is None:
            current = PartnerAgency(agency=agency)
        for name, value in values.items():
            setattr(current, name, value)
        current.status = PartnerAgency.PENDING
        current.applied_by = actor
        current.applied_at = now
        current.decided_by = None
        current.decided_at = None
        current.decision_note = ""
        current.save()
        audit_record(
            actor=actor,
            action="learning.partner_applied",
            subject=current,
            changes={"agency": [None, agency.code], "status": [None, PartnerAgency.PENDING]},
            ip_address=ip_address,
        )
    return current


def partner_decide(
    *, actor, partner: PartnerAgency, approve: bool, note: str = "", ip_address: str | None = None
) -> PartnerAgency:
    """An operator approves or refuses a pending application (or withdraws an approval)."""
    if not getattr(actor, "is_staff", False):
        raise PartnerDenied(_("只有系統管理者可以審核加盟機關申請"))
    status = PartnerAgency.APPROVED if approve else PartnerAgency.REJECTED
    with transaction.atomic():
        current = PartnerAgency.objects.select_for_update().get(pk=partner.pk)
        before = current.status
        if before == status:
            return current
        current.status = status
        current.decided_by = actor
        current.decided_at = clock.now()
        current.decision_note = (note or "").strip()[:300]
        current.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(
            actor=actor,
            action="learning.partner_approved" if approve else "learning.partner_rejected",
            subject=current,
            changes={"status": [before, status], "decision_note": [None, current.decision_note]},
            ip_address=ip_address,
        )
    return current


def is_partner(agency) -> bool:
    return PartnerAgency.objects.filter(agency=agency, status=PartnerAgency.APPROVED).exists()
