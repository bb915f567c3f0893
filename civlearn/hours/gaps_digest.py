"""The HR office's weekly digest of staff at risk: a snapshot of the list each week, and an e-mail with the list and
the trend since the week before.

Safe to run as often as wanted (`manage.py hours_gap_digest`, Celery beat or the in-process loop): an agency gets at
most one digest per week (Monday to Sunday, Asia/Taipei). The snapshot row is claimed under a row lock and marked
sent in the transaction that sends, so a failed send leaves it unsent and the next run sends it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from civlearn.core import clock, rocdate
from civlearn.core.mail import mail_send
from civlearn.core.services import audit_record
from civlearn.hours import gaps, rules
from civlearn.hours.models import AgencyGapPolicy, AtRiskSnapshot
from civlearn.identity import selectors as identity_selectors
from civlearn.registry.models import Agency

# Rows listed in the e-mail body; the page and its download hold every one.
DIGEST_ROWS = 50


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _tenths(value: Decimal) -> int:
    return int(value * 10)


def _hours(tenths: int) -> str:
    return format((Decimal(tenths) / 10).normalize(), "f")


@dataclass(frozen=True)
class Trend:
    """This week against the latest earlier snapshot (None when there is none)."""

    at_risk: int
    missing_tenths: int
    previous: AtRiskSnapshot | None
    newly_at_risk: int = 0
    no_longer: int = 0

    @property
    def at_risk_change(self) -> int | None:
        return None if self.previous is None else self.at_risk - self.previous.at_risk

    @property
    def missing_change_tenths(self) -> int | None:
        return None if self.previous is None else self.missing_tenths - self.previous.missing_tenths


def digest_agencies() -> list[Agency]:
    """Agencies whose HR office gets a digest: those with an HR officer or a digest address set."""
    ids = identity_selectors.hr_office_agency_ids()
    ids |= set(AgencyGapPolicy.objects.exclude(digest_email="").values_list("agency_id", flat=True))
    return list(Agency.objects.filter(pk__in=ids).order_by("code"))


def recipients_of(agency: Agency) -> list[str]:
    policy = AgencyGapPolicy.objects.filter(agency=agency).first()
    if policy and policy.digest_email:
        return [policy.digest_email]
    return identity_selectors.hr_office_emails(agency)


def subtree_ids(agency: Agency) -> set[int]:
    book = rules.book()
    if agency.pk not in book.agency_parent:
        rules.invalidate()
        book = rules.book()
    return {agency_id for agency_id in book.agency_parent if agency.pk in book.agency_chain(agency_id)}


def trend_of(*, agency: Agency, week: dt.date, risk: gaps.RiskList) -> Trend:
    previous = AtRiskSnapshot.objects.filter(agency=agency, week__lt=week).order_by("-week").first()
    missing = {str(row.person_id) for row in risk.rows}
    trend = Trend(len(risk.rows), _tenths(risk.missing_total), previous)
    if previous is None:
        return trend
    before = set(previous.missing)
    return Trend(
        trend.at_risk,
        trend.missing_tenths,
        previous,
        newly_at_risk=len(missing - before),
        no_longer=len(before - missing),
    )


DIGEST_TEMPLATE = "hours/mail/gap_digest"


def message_for(*, agency: Agency, risk: gaps.RiskList, trend: Trend) -> tuple[str, dict]:
    """(subject, template context) of one digest; `mail_send` with DIGEST_TEMPLATE makes the message."""
    roc_year = rocdate.roc_year(risk.year)
    subject = _("【終身學習入口網站】%(year)s年度學習時數缺口週報（%(agency)s）") % {
        "year": roc_year,
        "agency": agency.name,
    }
    before = trend.previous.missing if trend.previous else {}
    previous = None
    if trend.previous is not None:
        previous = {
            "week": rocdate.format_display(trend.previous.week),
            "at_risk": trend.previous.at_risk,
            "change": f"{trend.at_risk_change:+d}",
            "missing": _hours(trend.previous.missing_tenths),
            "new": trend.newly_at_risk,
            "closed": trend.no_longer,
        }
    rows = [
        {
            "name": row.name,
            "agency": row.agency_name,
            "size": _hours(_tenths(row.size)),
            "previous": _hours(before[str(row.person_id)]) if str(row.person_id) in before else "",
            "deadline": rocdate.format_display(row.deadline.day),
            "days_left": row.days_left,
            "overdue": row.overdue_days,
            "gaps": [(label, _hours(missing)) for label, missing in row.shorts],
        }
        for row in risk.rows[:DIGEST_ROWS]
    ]
    context = {
        "agency_name": agency.name,
        "today": rocdate.format_display(risk.today),
        "staff": risk.staff,
        "at_risk": trend.at_risk,
        "roc_year": roc_year,
        "missing": _hours(trend.missing_tenths),
        "previous": previous,
        "rows": rows,
        "more": max(0, len(risk.rows) - DIGEST_ROWS),
        "link": settings.SITE_URL + reverse("hours:hr_at_risk"),
    }
    return subject, context


def digest_send(*, agency: Agency) -> bool:
    """This week's digest for `agency` if it has not gone out yet. True when an e-mail was sent."""
    today = clock.today()
    week = week_of(today)
    to = recipients_of(agency)
    if not to:
        return False
    if AtRiskSnapshot.objects.filter(agency=agency, week=week, sent_at__isnull=False).exists():
        return False
    risk = gaps.at_risk_of_agencies(agency_ids=subtree_ids(agency), year=today.year)
    trend = trend_of(agency=agency, week=week, risk=risk)
    values = {
        "year": risk.year,
        "staff": risk.staff,
        "at_risk": trend.at_risk,
        "missing_tenths": trend.missing_tenths,
        "missing": {str(row.person_id): _tenths(row.size) for row in risk.rows},
        "created_at": clock.now(),
    }
    try:
        with transaction.atomic():
            AtRiskSnapshot.objects.get_or_create(agency=agency, week=week, defaults=values)
    except IntegrityError:
        pass  # another run created it first
    with transaction.atomic():
        snapshot = AtRiskSnapshot.objects.select_for_update().get(agency=agency, week=week)
        if snapshot.sent_at is not None:
            return False
        for field, value in values.items():
            setattr(snapshot, field, value)
        snapshot.sent_at, snapshot.recipients = clock.now(), to
        snapshot.save()
        audit_record(
            actor=None,
            action="hours.gap_digest_send",
            subject=snapshot,
            changes={"at_risk": [None, trend.at_risk], "recipients": [None, len(to)]},
        )
        subject, context = message_for(agency=agency, risk=risk, trend=trend)
        mail_send(template=DIGEST_TEMPLATE, subject=subject, to=to, context=context)
    return True


def digests_send() -> int:
    """Every due digest; returns how many were sent."""
    return sum(1 for agency in digest_agencies() if digest_send(agency=agency))
