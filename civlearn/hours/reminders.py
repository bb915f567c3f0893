"""Reminder e-mails from an HR office to staff who are short of a requirement: preview, then send.

A person gets at most one reminder per `HOURS_REMINDER_MIN_DAYS` (default 7) days, whoever sends it; each sent
message is a ReminderRecord plus an audit event, written in the transaction that sends it, so a failed send leaves
no record and a retry sends it again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.core.mail import get_connection
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from civlearn.core import clock, rocdate
from civlearn.core.mail import mail_render, mail_send
from civlearn.core.services import audit_record
from civlearn.hours import hr
from civlearn.hours.models import ReminderRecord
from civlearn.registry.models import Agency, Person

REMINDER_TEMPLATE = "hours/mail/reminder"


def min_days() -> int:
    return int(getattr(settings, "HOURS_REMINDER_MIN_DAYS", 7))


@dataclass
class Candidate:
    row: hr.StaffRow
    shortfalls: list[tuple[hr.RequirementColumn, hr.Cell]]
    skip_reason: str = ""

    @property
    def will_send(self) -> bool:
        return not self.skip_reason


def _hours(value) -> str:
    return format(value.normalize(), "f")


def candidates(*, user: AbstractBaseUser, year: int, agency: Agency | None = None, short_in: str = "any",
               name: str = "", person_ids: set[int] | None = None) -> tuple[hr.Report, list[Candidate]]:  # fmt: skip
    """Who would get a reminder (and who not, with the reason). Raises PermissionDenied outside the user's reach."""
    report = hr.agency_report(
        user=user, year=year, agency=agency, short_in=short_in or "any", name=name, person_ids=person_ids
    )
    since = clock.now() - dt.timedelta(days=min_days())
    found = []
    for row in report.rows:
        shortfalls = row.shortfalls(report.columns)
        if not shortfalls:
            continue
        candidate = Candidate(row, shortfalls)
        if not row.email:
            candidate.skip_reason = "人事資料無電子郵件"
        elif row.last_reminded_at and row.last_reminded_at > since:
            when = rocdate.format_display(row.last_reminded_at.astimezone(hr_zone()))
            candidate.skip_reason = f"{when} 已提醒（{min_days()} 天內不重複寄送）"
        found.append(candidate)
    return report, found


def hr_zone():
    from civlearn.hours.batch import local_zone

    return local_zone()


def message_for(candidate: Candidate, *, year: int, agency_name: str) -> tuple[str, dict]:
    """(subject, template context) of one reminder; `mail_render` or `mail_send` with REMINDER_TEMPLATE makes it."""
    roc_year = rocdate.roc_year(year)
    subject = _("【終身學習入口網站】%(year)s年度學習時數提醒") % {"year": roc_year}
    context = {
        "name": candidate.row.name,
        "roc_year": roc_year,
        "shortfalls": [
            {"label": column.label, "done": _hours(cell.hours), "missing": _hours(cell.missing)}
            for column, cell in candidate.shortfalls
        ],
        "total": _hours(candidate.row.total),
        "link": settings.SITE_URL + reverse("hours:hours"),
        "agency_name": agency_name,
    }
    return subject, context


def message_text(candidate: Candidate, *, year: int, agency_name: str) -> tuple[str, str]:
    """(subject, plain-text body) of one reminder, as the HR officer previews it."""
    subject, context = message_for(candidate, year=year, agency_name=agency_name)
    text, _html = mail_render(template=REMINDER_TEMPLATE, context={**context, "subject": subject})
    return subject, text


@dataclass
class SendResult:
    sent: int
    skipped: int


def reminders_send(
    *,
    user: AbstractBaseUser,
    year: int,
    person_ids: set[int],
    agency: Agency | None = None,
    ip_address: str | None = None,
) -> SendResult:
    """Send a reminder to each of `person_ids` who is in the user's reach, short of a requirement, has an e-mail
    address and was not reminded within the throttle window. Raises PermissionDenied if any id is out of reach."""
    if not person_ids:
        return SendResult(0, 0)
    reachable = set(
        Person.objects.filter(pk__in=person_ids, agency_id__in=hr.scope_ids(user, agency)).values_list("pk", flat=True)
    )
    if reachable != set(person_ids):
        raise PermissionDenied("名單中有您無權提醒的人員")
    report, found = candidates(user=user, year=year, agency=agency, person_ids=person_ids)
    sender_agency = agency or _home_agency(user, report)
    sent = skipped = 0
    connection = get_connection()
    since = clock.now() - dt.timedelta(days=min_days())
    for candidate in found:
        if not candidate.will_send:
            skipped += 1
            continue
        with transaction.atomic():
            person = Person.objects.select_for_update().get(pk=candidate.row.person_id)
            # Checked again under the row lock: two officers pressing send at once remind a person once.
            if ReminderRecord.objects.filter(person=person, sent_at__gt=since).exists():
                skipped += 1
                continue
            subject, context = message_for(candidate, year=year, agency_name=sender_agency.name)
            record = ReminderRecord.objects.create(
                person=person,
                agency=sender_agency,
                sent_by=user,
                year=year,
                email=candidate.row.email,
                shortfalls=[
                    {"key": c.key, "label": c.label, "missing": _hours(cell.missing)}
                    for c, cell in candidate.shortfalls
                ],
                sent_at=clock.now(),
            )
            audit_record(
                actor=user,
                action="hours.reminder_send",
                subject=record,
                changes={"person": [None, person.pk], "year": [None, year]},
                ip_address=ip_address,
            )
            mail_send(
                template=REMINDER_TEMPLATE,
                subject=subject,
                to=[candidate.row.email],
                context=context,
                connection=connection,
            )
        sent += 1
    skipped += len(person_ids) - len(found)
    return SendResult(sent, skipped)


def _home_agency(user: AbstractBaseUser, report: hr.Report) -> Agency:
    managed = hr.managed_agencies(user)
    if user.person_id and managed.filter(pk=user.person.agency_id).exists():
        return user.person.agency
    first = managed.order_by("code").first()
    if first is None:
        raise PermissionDenied("您沒有機關人事管理的權限")
    return first
