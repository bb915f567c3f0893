"""Writes to the hours ledger. Every write is audited in its own transaction; the ledger is append-only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civlearn.core import clock, rocdate
from civlearn.core.services import audit_record
from civlearn.hours import batch, rules
from civlearn.hours.models import (
    AgencyCutoff,
    AgencyGapPolicy,
    LedgerEntry,
    RequirementRule,
    StaffKind,
    mode_labels,
    unknown_codes,
)
from civlearn.identity import selectors as identity_selectors
from civlearn.registry.models import Person

SOURCE_KINDS = {
    LedgerEntry.SOURCE_UPLOAD,
    LedgerEntry.SOURCE_API,
    LedgerEntry.SOURCE_ELEARN,
    LedgerEntry.SOURCE_MANUAL,
    LedgerEntry.SOURCE_CLASS,
}
MAX_HOURS = Decimal("9999.9")


def local_year(moment: dt.datetime) -> int:
    """The year a record counts in: its actual end date's year in Asia/Taipei (TIME_ZONE)."""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return timezone.localtime(moment).year


def _hours(value, field: str, label: str, errors: dict[str, list[str]]) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        errors.setdefault(field, []).append(_("{label}應為數字").format(label=label))
        return Decimal("0")
    if not amount.is_finite() or amount < 0 or amount > MAX_HOURS:
        errors.setdefault(field, []).append(
            _("{label}應介於 0 與 {maximum} 之間").format(label=label, maximum=MAX_HOURS)
        )
        return Decimal("0")
    if amount != amount.quantize(Decimal("0.1")):
        errors.setdefault(field, []).append(_("{label}最多一位小數").format(label=label))
    return amount.quantize(Decimal("0.1"))


def can_manage_person(user: AbstractBaseUser | None, person: Person) -> bool:
    """Operators, and HR officers of the person's agency or of a parent agency that includes its sub-agencies."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return identity_selectors.user_has_role(user, person.agency, identity_selectors.HR_OFFICER)


@dataclass(frozen=True, kw_only=True)
class LedgerRecord:
    """One certified learning as a source reports it: what `ledger_entry_record` writes for a person."""

    source_kind: str
    source_reference: str
    course_name: str
    category_code: str
    mode: int
    certified_hours: Decimal
    digital_hours: Decimal
    physical_hours: Decimal
    actual_start: dt.datetime
    actual_end: dt.datetime
    institution_code: str
    course_code: str = ""
    period: str = ""
    course_start: dt.datetime | None = None
    course_end: dt.datetime | None = None
    hours_unit: str = "1"
    score: str = ""
    certificate_no: str = ""
    attendance_note: str = ""
    job_related: bool = False
    self_applied_leave: bool = False
    county_code: str = ""
    degree_credit: str = "6"


# The row validator's keys → the LedgerRecord field a problem is reported under.
_FIELD_OF_KEY = {
    "national_id": "person",
    "name": "person",
    "birthday": "person",
    **{f"{moment}_{part}": moment for moment in ("actual_start", "actual_end", "course_start", "course_end")
       for part in ("date", "time")},
}  # fmt: skip


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _row_values(person: Person, record: LedgerRecord) -> dict[str, str]:
    """One single record as the upload's {key: text}, so that `batch.RecordChecker` checks it like a file's row."""
    zone = batch.local_zone()
    values = dict.fromkeys(batch.KEYS, "")

    def hours_text(value) -> str:
        try:
            return format(Decimal(str(value)), "f")
        except (InvalidOperation, ValueError, TypeError):
            return str(value)

    values.update(
        # The person is the registry's (its ID checked when imported): the row has no ID to check.
        name=person.name,
        course_name=(record.course_name or "").strip(),
        course_code=(record.course_code or "").strip(),
        period=(record.period or "").strip(),
        category_code=(record.category_code or "").strip(),
        county_code=record.county_code or "",
        degree_credit=record.degree_credit or "6",
        certified_hours=hours_text(record.certified_hours),
        digital_hours=hours_text(record.digital_hours),
        physical_hours=hours_text(record.physical_hours),
        hours_unit=record.hours_unit or "1",
        mode=str(record.mode),
        score=record.score or "",
        certificate_no=record.certificate_no or "",
        attendance_note=record.attendance_note or "",
        job_related="是" if record.job_related else "否",
        self_applied_leave="是" if record.self_applied_leave else "否",
    )
    # A source without a course run of its own (an e-learning enrolment) is checked with the actual times in its place;
    # the entry keeps what the source gave.
    course_start = record.course_start or record.actual_start
    moments = {
        "actual_start": record.actual_start,
        "actual_end": record.actual_end,
        "course_start": course_start,
        "course_end": record.course_end or course_start,
    }
    for prefix, moment in moments.items():
        if isinstance(moment, dt.datetime):
            local = _aware(moment).astimezone(zone)
            if rocdate.MIN_DATE <= local.date() <= rocdate.MAX_DATE:
                values[f"{prefix}_date"] = rocdate.format_dashed(local.date())
                values[f"{prefix}_time"] = local.strftime("%H:%M:%S")
    return values


def _codes_in_force(book: rules.RuleBook):
    def codes_for(day: dt.date):
        table = book.table_for(day)
        return book.codes.get(table[0], {}) if table else {}

    return codes_for


def ledger_entry_record(
    *, person: Person, record: LedgerRecord, actor: AbstractBaseUser | None = None
) -> tuple[LedgerEntry, bool]:
    """Record one certified learning; idempotent on (source_kind, source_reference): (existing, False) on repeat.

    A repeat returns the stored entry as it is, even if the new call carries different values: a correction is a
    reversal plus a new record under a new reference. Raises ValidationError ({field: [zh-Hant message]}) on bad
    input and PermissionDenied when an HR entry ("manual") comes from someone who may not manage the person.
    """
    source_kind, course_name, category_code, mode = (
        record.source_kind, record.course_name, record.category_code, record.mode,
    )  # fmt: skip
    actual_start, actual_end, course_start, course_end = (
        record.actual_start, record.actual_end, record.course_start, record.course_end,
    )  # fmt: skip
    institution_code, course_code, period = record.institution_code, record.course_code, record.period
    source_reference = (record.source_reference or "").strip()
    errors: dict[str, list[str]] = {}
    if source_kind not in SOURCE_KINDS:
        errors["source_kind"] = [_("來源種類 {kind} 不正確").format(kind=source_kind)]
    if not source_reference:
        errors.setdefault("source_reference", []).append(_("來源參考不可空白"))
    elif len(source_reference) > 200:
        errors.setdefault("source_reference", []).append(_("來源參考最多 200 字"))
    if errors:
        raise ValidationError(errors)

    existing = LedgerEntry.objects.filter(source_kind=source_kind, source_reference=source_reference).first()
    if existing is not None:
        return existing, False

    if source_kind == LedgerEntry.SOURCE_MANUAL and not can_manage_person(actor, person):
        raise PermissionDenied(_("您沒有登錄此人員學習時數的權限"))

    course_name = (course_name or "").strip()
    category_code = (category_code or "").strip()
    institution_code = (institution_code or "").strip().upper()
    # Who reports the record is not a property of the row: checked here, the row by the one row validator.
    if not institution_code:
        errors.setdefault("institution_code", []).append(_("學習機關(構)代碼不可空白"))
    elif len(institution_code) > 10:
        errors.setdefault("institution_code", []).append(_("學習機關(構)代碼最多 10 碼"))
    book = rules.book()
    _row, problems = batch.validate_record(
        _row_values(person, record),
        line=1,
        institution_code=institution_code,
        category_codes_for=_codes_in_force(book),
        label=str,
        today=clock.today(),
        known_modes=mode_labels(),
        required=batch.SINGLE_RECORD_REQUIRED,
    )
    for problem in problems:
        field = _FIELD_OF_KEY.get(problem.column, problem.column)
        # The row validator's message names neither the column nor the value (a file's report has columns for them).
        column = batch.HEADER_OF[problem.column]
        if problem.value and problem.column not in _FIELD_OF_KEY:
            message = _("{column}「{value}」：{message}").format(
                column=column, value=problem.value, message=problem.message
            )
        else:
            message = _("{column}：{message}").format(column=column, message=problem.message)
        errors.setdefault(field, []).append(message)
    if errors:
        raise ValidationError(errors)
    certified, digital, physical = (
        Decimal(record.certified_hours).quantize(Decimal("0.1")),
        Decimal(record.digital_hours).quantize(Decimal("0.1")),
        Decimal(record.physical_hours).quantize(Decimal("0.1")),
    )
    end_day = timezone.localtime(_aware(actual_end)).date()
    table = book.table_for(end_day)
    assert table is not None  # the validator found the code in the table in force on that day

    entry = LedgerEntry(
        person=person,
        year=local_year(actual_end),
        course_name=course_name,
        course_code=(course_code or "").strip(),
        period=(period or "").strip(),
        institution_code=institution_code,
        category_table_id=table[0],
        category_code=category_code,
        mode=mode,
        digital_hours=digital,
        physical_hours=physical,
        certified_hours=certified,
        hours_unit=record.hours_unit or "1",
        course_start=course_start,
        course_end=course_end,
        actual_start=actual_start,
        actual_end=actual_end,
        score=record.score or "",
        certificate_no=record.certificate_no or "",
        attendance_note=record.attendance_note or "",
        job_related=bool(record.job_related),
        self_applied_leave=bool(record.self_applied_leave),
        county_code=record.county_code or "",
        degree_credit=record.degree_credit or "6",
        source_kind=source_kind,
        source_reference=source_reference,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=clock.now(),
    )
    try:
        with transaction.atomic():
            entry.save(force_insert=True)
            audit_record(
                actor=actor,
                action="hours.ledger_entry_record",
                subject=entry,
                changes={
                    "person": [None, person.pk],
                    "source": [None, f"{source_kind}:{source_reference}"],
                    "course_name": [None, course_name],
                    "category_code": [None, category_code],
                    "certified_hours": [None, str(certified)],
                    "year": [None, entry.year],
                },
            )
    except IntegrityError:
        # Another request recorded the same source reference first: that one is the record.
        existing = LedgerEntry.objects.filter(source_kind=source_kind, source_reference=source_reference).first()
        if existing is None:
            raise
        return existing, False
    return entry, True


def ledger_entry_reverse(*, entry: LedgerEntry, reason: str, actor: AbstractBaseUser) -> LedgerEntry:
    """Cancel an entry with a reversing entry (negated hours, same year and category), audited.

    Only an operator or an HR officer of the person's agency may reverse; a reason is required; an entry can be
    reversed once, and a reversal cannot itself be reversed (record the learning again instead).
    """
    reason = (reason or "").strip()
    if not can_manage_person(actor, entry.person):
        raise PermissionDenied(_("您沒有沖銷此人員學習時數的權限"))
    if not reason:
        raise ValidationError({"reason": [_("請輸入沖銷原因")]})
    if len(reason) > 1000:
        raise ValidationError({"reason": [_("沖銷原因最多 1000 字")]})
    with transaction.atomic():
        original = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
        if original.source_kind == LedgerEntry.SOURCE_REVERSAL:
            raise ValidationError({"entry": [_("沖銷紀錄不可再沖銷")]})
        if LedgerEntry.objects.filter(reverses=original).exists():
            raise ValidationError({"entry": [_("此紀錄已沖銷")]})
        reversal = LedgerEntry(
            person_id=original.person_id,
            year=original.year,
            course_name=original.course_name,
            course_code=original.course_code,
            period=original.period,
            institution_code=original.institution_code,
            category_table_id=original.category_table_id,
            category_code=original.category_code,
            mode=original.mode,
            digital_hours=-original.digital_hours,
            physical_hours=-original.physical_hours,
            certified_hours=-original.certified_hours,
            hours_unit=original.hours_unit,
            course_start=original.course_start,
            course_end=original.course_end,
            actual_start=original.actual_start,
            actual_end=original.actual_end,
            score=original.score,
            certificate_no=original.certificate_no,
            attendance_note=original.attendance_note,
            job_related=original.job_related,
            self_applied_leave=original.self_applied_leave,
            county_code=original.county_code,
            degree_credit=original.degree_credit,
            source_kind=LedgerEntry.SOURCE_REVERSAL,
            source_reference=f"{original.pk}",
            reverses=original,
            reason=reason,
            created_by=actor,
            created_at=clock.now(),
        )
        try:
            with transaction.atomic():
                reversal.save(force_insert=True)
        except IntegrityError as exc:
            raise ValidationError({"entry": [_("此紀錄已沖銷")]}) from exc
        audit_record(
            actor=actor,
            action="hours.ledger_entry_reverse",
            subject=original,
            changes={
                "reversed_by": [None, reversal.pk],
                "certified_hours": [str(original.certified_hours), "0.0"],
                "reason": [None, reason],
            },
        )
    return reversal


def can_manage_agency(user: AbstractBaseUser | None, agency) -> bool:
    """Operators, and HR officers of the agency (directly or through a parent agency that includes sub-agencies)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or identity_selectors.user_has_role(user, agency, identity_selectors.HR_OFFICER)


def agency_rule_create(
    *,
    actor: AbstractBaseUser,
    agency,
    label: str,
    minimum_hours: Decimal,
    year_from: int,
    year_to: int | None = None,
    mode: int | None = None,
    codes: list[str] | None = None,
    parent: RequirementRule | None = None,
) -> RequirementRule:
    """Add an agency's own requirement (e.g. 50 hours a year, 10 of them digital), seen by its staff and by the
    staff of its sub-agencies. `codes` empty = every course counts; codes are of the table in force on 1 January
    of `year_from`, each with its subtree. Years are Gregorian."""
    if not can_manage_agency(actor, agency):
        raise PermissionDenied(_("您沒有設定此機關時數規定的權限"))
    label = (label or "").strip()
    errors: dict[str, list[str]] = {}
    if not label:
        errors["label"] = [_("請輸入規定名稱")]
    elif len(label) > 200:
        errors["label"] = [_("規定名稱最多 200 字")]
    minimum = _hours(minimum_hours, "minimum_hours", _("最低時數"), errors)
    if "minimum_hours" not in errors and minimum <= 0:
        errors["minimum_hours"] = [_("最低時數應大於 0")]
    if year_to is not None and year_to < year_from:
        errors["year_to"] = [_("適用結束年度不可早於起始年度")]
    if mode is not None and mode not in mode_labels():
        errors["mode"] = [_("學習性質 {mode} 不正確").format(mode=mode)]
    if parent is not None and parent.agency_id != agency.pk:
        errors["parent"] = [_("上層規定須屬於同一機關")]
    code_sets: dict[str, list[str]] = {}
    codes = [code.strip() for code in (codes or []) if code.strip()]
    if codes:
        table = rules.book().table_for(dt.date(year_from, 1, 1))
        if table is None:
            errors["codes"] = [_("{year} 年沒有適用的課程類別代碼表").format(year=year_from)]
        else:
            code_sets = {table[1]: sorted(set(codes), key=codes.index)}
            problems = unknown_codes(code_sets)
            if problems:
                errors["codes"] = problems
    if not errors:
        clash = national_rule_overlapping(code_sets=code_sets, mode=mode, year_from=year_from, year_to=year_to)
        if clash is not None and minimum <= clash.minimum_hours:
            errors["minimum_hours"] = [
                _(
                    "與全國規定「{label}」衝突：計入的課程相同，本機關規定 {minimum} 小時不高於全國規定 "
                    "{national} 小時（全國規定已適用於所有人員）；請設定高於 {national} 小時"
                ).format(label=clash.label, minimum=minimum, national=clash.minimum_hours)
            ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        taken = set(RequirementRule.objects.filter(agency=agency).values_list("key", flat=True))
        number = len(taken) + 1
        while f"agency-{agency.code.lower()}-{number}" in taken:
            number += 1
        rule = RequirementRule.objects.create(
            key=f"agency-{agency.code.lower()}-{number}",
            label=label,
            order=100 + number,
            year_from=year_from,
            year_to=year_to,
            agency=agency,
            parent=parent,
            minimum_hours=minimum,
            scope=RequirementRule.SCOPE_CODES if code_sets else RequirementRule.SCOPE_ALL,
            mode=mode,
            codes=code_sets,
        )
        audit_record(
            actor=actor,
            action="hours.agency_rule_create",
            subject=rule,
            changes={
                "agency": [None, agency.code],
                "label": [None, label],
                "minimum_hours": [None, str(minimum)],
                "years": [None, [year_from, year_to]],
                "mode": [None, mode],
                "codes": [None, code_sets],
            },
        )
        transaction.on_commit(rules.invalidate)
    return rule


def national_rule_overlapping(
    *, code_sets: dict[str, list[str]], mode: int | None, year_from: int, year_to: int | None
) -> RequirementRule | None:
    """A national rule in force in some of the same years that counts exactly the same courses (the same codes in
    the agency rule's table, or both every course; same 學習性質): an agency rule beside it only makes sense with a
    higher minimum."""
    candidates = RequirementRule.objects.filter(agency__isnull=True, mode=mode).exclude(year_to__lt=year_from)
    if year_to is not None:
        candidates = candidates.filter(year_from__lte=year_to)
    wanted = {name: set(codes) for name, codes in code_sets.items()}
    for rule in candidates.order_by("-minimum_hours", "id"):
        if not wanted and rule.scope == RequirementRule.SCOPE_ALL:
            return rule
        # Compared in the table(s) the agency rule names (a national rule also lists older tables' codes).
        theirs = rule.codes or {}
        same_codes = all(set(theirs.get(name, [])) == codes for name, codes in wanted.items())
        if wanted and rule.scope == RequirementRule.SCOPE_CODES and same_codes:
            return rule
    return None


def agency_rule_delete(*, actor: AbstractBaseUser, rule: RequirementRule) -> None:
    """Remove an agency's own rule (and its components). National rules are changed by operators in the admin."""
    if rule.agency_id is None:
        raise PermissionDenied(_("全國規定只能由系統管理者於管理介面調整"))
    if not can_manage_agency(actor, rule.agency):
        raise PermissionDenied(_("您沒有設定此機關時數規定的權限"))
    with transaction.atomic():
        removed = [rule.label, *rule.components.values_list("label", flat=True)]
        audit_record(
            actor=actor,
            action="hours.agency_rule_delete",
            subject=rule,
            changes={"agency": [rule.agency.code, None], "labels": [removed, None]},
        )
        rule.delete()
        transaction.on_commit(rules.invalidate)


# --- gaps: an agency's cutoffs per staff category and its reminder settings ----------------------------------


def agency_cutoff_set(*, actor: AbstractBaseUser, agency, year: int, staff_kind: str, cutoff: dt.date) -> AgencyCutoff:
    """Set (or change) the date up to which `agency` counts `year`'s hours for staff of `staff_kind`. The date must
    lie in that year. Raises PermissionDenied for someone who may not manage the agency, ValidationError
    ({field: [zh-Hant message]}) on bad input; nothing is written then."""
    if not can_manage_agency(actor, agency):
        raise PermissionDenied(_("您沒有設定此機關時數規定的權限"))
    errors: dict[str, list[str]] = {}
    if staff_kind not in StaffKind.values:
        errors["staff_kind"] = [_("人員類別 {kind} 不正確").format(kind=staff_kind)]
    if not isinstance(year, int) or not 1912 <= year <= 2910:
        errors["year"] = [_("年度不正確")]
    elif not isinstance(cutoff, dt.date):
        errors["cutoff"] = [_("請輸入截止日")]
    elif cutoff.year != year:
        first, last = rocdate.format_display(dt.date(year, 1, 1)), rocdate.format_display(dt.date(year, 12, 31))
        errors["cutoff"] = [
            _("截止日 {cutoff} 不在民國 {year} 年度內（應介於 {first} 至 {last}）").format(
                cutoff=rocdate.format_display(cutoff), year=rocdate.roc_year(year), first=first, last=last
            )
        ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row = AgencyCutoff.objects.select_for_update().filter(agency=agency, year=year, staff_kind=staff_kind).first()
        old = row.cutoff.isoformat() if row else None
        if row is None:
            row = AgencyCutoff.objects.create(
                agency=agency, year=year, staff_kind=staff_kind, cutoff=cutoff, updated_by=actor
            )
        else:
            row.cutoff, row.updated_by = cutoff, actor
            row.save(update_fields=["cutoff", "updated_by", "updated_at"])
        audit_record(
            actor=actor,
            action="hours.agency_cutoff_set",
            subject=row,
            changes={"agency": [agency.code, agency.code], "year": [year, year], "staff_kind": [staff_kind, staff_kind],
                     "cutoff": [old, cutoff.isoformat()]},
        )  # fmt: skip
    return row


def agency_cutoff_delete(*, actor: AbstractBaseUser, cutoff: AgencyCutoff) -> None:
    """Remove a cutoff: the staff it covered fall back to the parent agency's cutoff or the year's end."""
    if not can_manage_agency(actor, cutoff.agency):
        raise PermissionDenied(_("您沒有設定此機關時數規定的權限"))
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="hours.agency_cutoff_delete",
            subject=cutoff,
            changes={"cutoff": [cutoff.cutoff.isoformat(), None], "year": [cutoff.year, None]},
        )
        cutoff.delete()


def agency_gap_policy_set(
    *, actor: AbstractBaseUser, agency, reminder_days: int, digest_email: str = ""
) -> AgencyGapPolicy:
    """How many days before their deadline the agency's staff are reminded of a remaining gap (1–365), and where
    the weekly at-risk digest goes (empty: the agency's HR officers)."""
    if not can_manage_agency(actor, agency):
        raise PermissionDenied(_("您沒有設定此機關時數規定的權限"))
    errors: dict[str, list[str]] = {}
    if not isinstance(reminder_days, int) or not 1 <= reminder_days <= 365:
        errors["reminder_days"] = [_("提醒天數應介於 1 至 365 天")]
    digest_email = (digest_email or "").strip()
    if digest_email:
        try:
            validate_email(digest_email)
        except ValidationError:
            errors["digest_email"] = [_("每週摘要收件信箱格式不正確")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        policy = AgencyGapPolicy.objects.select_for_update().filter(agency=agency).first()
        old = [policy.reminder_days, policy.digest_email] if policy else [None, None]
        if policy is None:
            policy = AgencyGapPolicy(agency=agency)
        policy.reminder_days, policy.digest_email = reminder_days, digest_email
        policy.save()
        audit_record(
            actor=actor,
            action="hours.agency_gap_policy_set",
            subject=policy,
            changes={"reminder_days": [old[0], reminder_days], "digest_email": [old[1], digest_email]},
        )
    return policy
