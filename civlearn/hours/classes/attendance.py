"""Attendance and closing: per-session QR check-in (a signed code that expires), the roster marked by hand, and
closing a class into the hours ledger (one record per attendee per code portion; idempotent)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civlearn.core import clock
from civlearn.core.services import audit_record
from civlearn.hours import services as hours_services
from civlearn.hours.classes.registration import moment_text
from civlearn.hours.institutions import selectors as institution_selectors
from civlearn.hours.models import Attendance, ClassOffering, ClassSession, LedgerEntry, Registration

_SALT = "civlearn.hours.checkin"
# Check-in opens this long before a session starts and closes when it ends.
CHECKIN_EARLY = dt.timedelta(minutes=60)


def checkin_lifetime() -> int:
    """Seconds a code shown at the door stays valid (the door page shows a fresh one well before then)."""
    return int(getattr(settings, "HOURS_CHECKIN_CODE_SECONDS", 120))


def checkin_token(*, session: ClassSession) -> str:
    """A code for this session, signed and time-stamped: it cannot be made for another session or reused later."""
    # Signed with Django's Signer; the issue time is part of the signed value and read against clock.now() (the
    # platform's one clock), not the wall clock TimestampSigner would use.
    return signing.Signer(salt=_SALT).sign_object({"s": session.pk, "t": int(clock.now().timestamp())})


def _require_staff(actor, offering: ClassOffering) -> None:
    if institution_selectors.role_in(actor, offering.institution) is None:
        raise PermissionDenied(_("您不是此學習機關(構)的人員"))


def checkin(*, actor, token: str) -> Attendance:
    """The signed-in learner checks in to the session the code names. ValidationError({"checkin": [reason]})."""
    try:
        data = signing.Signer(salt=_SALT).unsign_object(token)
    except signing.BadSignature as exc:
        raise ValidationError({"checkin": [_("簽到碼不正確，請重新掃描現場顯示的 QR Code")]}) from exc
    age = clock.now().timestamp() - int(data.get("t", 0))
    if not 0 <= age <= checkin_lifetime():
        raise ValidationError({"checkin": [_("此簽到 QR Code 已過期，請重新掃描現場顯示的最新 QR Code")]})
    session = ClassSession.objects.select_related("offering").filter(pk=data.get("s")).first()
    if session is None:
        raise ValidationError({"checkin": [_("簽到碼不正確，請重新掃描現場顯示的 QR Code")]})
    offering = session.offering
    now = clock.now()
    if offering.status != ClassOffering.PUBLISHED:
        raise ValidationError({"checkin": [_("本班已結訓，不能簽到")]})
    if not session.starts_at - CHECKIN_EARLY <= now <= session.ends_at:
        window = {
            "start": moment_text(session.starts_at - CHECKIN_EARLY),
            "end": f"{timezone.localtime(session.ends_at):%H:%M}",
        }
        raise ValidationError({"checkin": [_("本時段簽到時間為 %(start)s 至 %(end)s") % window]})
    person_id = getattr(actor, "person_id", None)
    registration = (
        Registration.objects.filter(offering=offering, person_id=person_id, status=Registration.REGISTERED).first()
        if person_id is not None
        else None
    )
    if registration is None:
        raise ValidationError({"checkin": [_("您沒有本班的正取報名，不能簽到")]})
    return _attend(actor=actor, registration=registration, session=session, method=Attendance.QR)


def _attend(*, actor, registration: Registration, session: ClassSession, method: str) -> Attendance:
    existing = Attendance.objects.filter(registration=registration, session=session).first()
    if existing is not None:
        raise ValidationError(
            {"checkin": [_("已於 %(moment)s 完成本時段簽到") % {"moment": moment_text(existing.checked_in_at)}]}
        )
    with transaction.atomic(durable=True):
        attendance = Attendance.objects.create(
            registration=registration, session=session, method=method, marked_by=actor, checked_in_at=clock.now()
        )
        audit_record(
            actor=actor,
            action="hours.class_attend",
            subject=attendance,
            changes={"registration": [None, registration.pk], "session": [None, session.pk], "method": [None, method]},
        )
    return attendance


def roster_mark(*, actor, session: ClassSession, present_ids: set[int]) -> tuple[int, int]:
    """Institution staff mark who attended `session` (registration ids): the roster becomes exactly that set.
    Returns (added, removed)."""
    offering = session.offering
    _require_staff(actor, offering)
    if offering.status != ClassOffering.PUBLISHED:
        raise ValidationError({"roster": [_("本班已結訓，出席紀錄不能再修改")]})
    registered = set(
        Registration.objects.filter(offering=offering, status=Registration.REGISTERED).values_list("pk", flat=True)
    )
    unknown = present_ids - registered
    if unknown:
        raise ValidationError({"roster": [_("名單中有非本班正取學員的資料，請重新整理頁面")]})
    with transaction.atomic(durable=True):
        current = set(Attendance.objects.filter(session=session).values_list("registration_id", flat=True))
        added, removed = present_ids - current, current - present_ids
        Attendance.objects.filter(session=session, registration_id__in=removed).delete()
        now = clock.now()
        Attendance.objects.bulk_create(
            Attendance(
                registration_id=pk, session=session, method=Attendance.ROSTER, marked_by=actor, checked_in_at=now
            )
            for pk in sorted(added)
        )
        audit_record(
            actor=actor,
            action="hours.class_roster_mark",
            subject=session,
            changes={"added": [None, sorted(added)], "removed": [sorted(removed), None]},
        )
    return len(added), len(removed)


def _share(amount: Decimal, ratio: Decimal) -> Decimal:
    return (amount * ratio).quantize(Decimal("0.1"), rounding=ROUND_DOWN)


def offering_close(*, actor, offering: ClassOffering) -> dict[str, int]:
    """Close the class: each registered attendee's hours go to the ledger (source: this class; one record per code
    portion), people with no attendance are recorded as 未到訓. All or nothing; closing again is refused and
    changes nothing. Returns {"completed", "incomplete", "no_show", "records"}."""
    _require_staff(actor, offering)
    institution = offering.institution
    agency = institution.agency
    if agency is None:
        raise ValidationError({"close": [_("學習機關(構)尚無代碼，不能結訓")]})
    counts = {"completed": 0, "incomplete": 0, "no_show": 0, "records": 0}
    with transaction.atomic(durable=True):
        claimed = ClassOffering.objects.filter(pk=offering.pk, status=ClassOffering.PUBLISHED).update(
            status=ClassOffering.CLOSED, closed_at=clock.now()
        )
        if not claimed:
            raise ValidationError({"close": [_("本班已結訓，不能重複結訓")]})
        sessions = {session.pk: session for session in ClassSession.objects.filter(offering=offering)}
        total = sum((Decimal(str(round(s.hours, 4))) for s in sessions.values()), Decimal(0))
        portions = list(offering.portions.all())
        attended: dict[int, list[int]] = {}
        for registration_id, session_id in Attendance.objects.filter(session__offering=offering).values_list(
            "registration_id", "session_id"
        ):
            attended.setdefault(registration_id, []).append(session_id)
        registrations = Registration.objects.filter(offering=offering, status=Registration.REGISTERED).select_related(
            "person"
        )
        for registration in registrations:
            mine = sorted((sessions[pk] for pk in attended.get(registration.pk, [])), key=lambda s: s.starts_at)
            present = sum((Decimal(str(round(s.hours, 4))) for s in mine), Decimal(0))
            ratio = present / total if total else Decimal(0)
            if offering.attendance_rule == ClassOffering.RULE_THRESHOLD:
                ratio = Decimal(1) if ratio * 100 >= offering.attendance_minimum else Decimal(0)
            certified = Decimal("0.0")
            if mine and ratio > 0:
                for portion in portions:
                    digital, physical = _share(portion.digital_hours, ratio), _share(portion.physical_hours, ratio)
                    if digital + physical == 0:
                        continue
                    hours_services.ledger_entry_record(
                        person=registration.person,
                        actor=actor,
                        record=hours_services.LedgerRecord(
                            source_kind=LedgerEntry.SOURCE_CLASS,
                            source_reference=f"{offering.pk}:{registration.pk}:{portion.position}",
                            course_name=offering.title,
                            course_code=offering.class_code,
                            period=offering.period,
                            category_code=portion.category_code,
                            mode=offering.mode,
                            certified_hours=digital + physical,
                            digital_hours=digital,
                            physical_hours=physical,
                            actual_start=mine[0].starts_at,
                            actual_end=mine[-1].ends_at,
                            course_start=min(s.starts_at for s in sessions.values()),
                            course_end=max(s.ends_at for s in sessions.values()),
                            institution_code=agency.code,
                            county_code=offering.county_code,
                            attendance_note=f"出席 {len(mine)}/{len(sessions)} 時段",
                        ),
                    )
                    certified += digital + physical
                    counts["records"] += 1
            outcome = (
                Registration.OUTCOME_NO_SHOW
                if not mine
                else Registration.OUTCOME_COMPLETED
                if certified
                else Registration.OUTCOME_INCOMPLETE
            )
            counts[outcome] += 1
            Registration.objects.filter(pk=registration.pk).update(outcome=outcome, certified_hours=certified)
        audit_record(
            actor=actor,
            action="hours.class_close",
            subject=offering,
            changes={
                "status": [ClassOffering.PUBLISHED, ClassOffering.CLOSED],
                **{k: [None, v] for k, v in counts.items()},
            },
        )
    return counts
