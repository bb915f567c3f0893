"""Gap reminder e-mails: N days before a learner's deadline (N set by their agency, hours.gaps.reminder_days_of),
while a gap remains, with the suggested courses; at most one a week (counting the HR office's own reminders); the
learner can turn them off (a setting, or the signed link in every message).

`gap_reminders_send()` is run periodically (`manage.py learning_gap_reminders`, Celery beat, or the loop `./run`
starts without a broker) and is safe to run twice: each send is claimed under a lock on the learner's preference row
and recorded in
the transaction that sends it, so a failed send leaves no record and the next run sends it.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from civlearn.core import clock, rocdate
from civlearn.core.mail import mail_send
from civlearn.core.services import audit_record
from civlearn.hours import gaps as hours_gaps
from civlearn.hours import selectors as hours_selectors
from civlearn.identity import selectors as identity_selectors
from civlearn.learning.gaps.selectors import GapPanel, gap_panel
from civlearn.learning.models import GapReminder, GapReminderPreference

logger = logging.getLogger(__name__)
_SALT = "learning.gap-reminders.unsubscribe"
WEEK = dt.timedelta(days=7)


def reminders_enabled(*, user) -> bool:
    preference = GapReminderPreference.objects.filter(user=user).first()
    return preference is None or preference.enabled


def reminder_preference_set(*, user, enabled: bool, ip_address: str | None = None) -> GapReminderPreference:
    """Turn the learner's gap reminders on or off (audited)."""
    with transaction.atomic():
        preference, _created = GapReminderPreference.objects.select_for_update().get_or_create(user=user)
        old = preference.enabled if not _created else True
        preference.enabled, preference.changed_at = enabled, clock.now()
        preference.save()
        audit_record(
            actor=user,
            action="learning.gap_reminders_set",
            subject=preference,
            changes={"enabled": [old, enabled]},
            ip_address=ip_address,
        )
    return preference


def unsubscribe_token(*, user) -> str:
    """The signed token of the unsubscribe link: the account's id only, never personal data."""
    return signing.dumps(user.pk, salt=_SALT, compress=True)


def user_for_token(token: str):
    """The account an unsubscribe token names, or None for a forged or damaged token (no expiry: an old e-mail's
    link still works)."""
    try:
        user_id = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    return identity_selectors.active_account(user_id)


def _hours(value) -> str:
    return format(value.normalize(), "f")


REMINDER_TEMPLATE = "learning/mail/gap_reminder"


def message_for(*, user, panel: GapPanel, unsubscribe_url: str) -> tuple[str, dict]:
    """(subject, template context) of one reminder; `mail_send` with REMINDER_TEMPLATE makes the message."""
    report = panel.report
    assert report is not None
    roc_year = rocdate.roc_year(report.year)
    deadline = rocdate.format_display(report.deadline.day)
    subject = _("【e等公務園+】%(year)s年度學習時數尚有缺口，採計截止日 %(deadline)s") % {
        "year": roc_year,
        "deadline": deadline,
    }
    items = [
        {
            "label": item.gap.label,
            "done": _hours(item.gap.done),
            "required": _hours(item.gap.required),
            "missing": _hours(item.gap.missing),
            "courses": [
                {
                    "title": s.title,
                    "hours": _hours(s.hours_for(item.gap.key)),
                    "minutes": s.reading_minutes,
                    "in_progress": s.in_progress,
                    "is_class": s.kind == "class",
                    "institution": s.institution,
                    "dates": f"{rocdate.format_display(s.starts_on)}～{rocdate.format_display(s.ends_on)}"
                    if s.kind == "class"
                    else "",
                    "url": settings.SITE_URL
                    + (
                        reverse("hours:class_detail", args=[s.course_id])
                        if s.kind == "class"
                        else reverse("learning:course", args=[s.code])
                    ),
                }
                for s in item.suggestions
            ],
        }
        for item in panel.items
    ]
    context = {
        "name": user.display_name,
        "roc_year": roc_year,
        "deadline": deadline,
        "days_left": report.days_left,
        "items": items,
        "shares_hours": panel.shares_hours,
        "gaps_url": settings.SITE_URL + reverse("learning:gaps"),
        "unsubscribe_url": unsubscribe_url,
    }
    return subject, context


def reminder_due(*, report: hours_gaps.GapReport, agency_id: int) -> bool:
    """A gap remains and the deadline is at most N days away (and not past)."""
    return bool(report.gaps) and 0 <= report.days_left <= hours_gaps.reminder_days_of(agency_id=agency_id)


def reminder_send(*, user) -> bool:
    """Send `user` a gap reminder if one is due: reminders on, an address, a gap, the deadline within N days, no
    reminder (this kind or the HR office's) in the past week. True when sent."""
    person = user.person
    if person is None or not user.is_active or not reminders_enabled(user=user):
        return False
    email = user.email or person.email
    if not email:
        return False
    now = clock.now()
    with transaction.atomic():
        # The learner's preference row, locked: two runs at once send one reminder, and an opt-out that just
        # happened is seen.
        preference, _created = GapReminderPreference.objects.select_for_update().get_or_create(user=user)
        if not preference.enabled:
            return False
        if GapReminder.objects.filter(user=user, sent_at__gt=now - WEEK).exists():
            return False
        if hours_selectors.reminded_since(person=person, since=now - WEEK):
            return False
        panel = gap_panel(user=user)
        report = panel.report
        if report is None or not reminder_due(report=report, agency_id=person.agency_id):
            return False
        url = settings.SITE_URL + reverse("learning:gaps_unsubscribe", args=[unsubscribe_token(user=user)])
        subject, context = message_for(user=user, panel=panel, unsubscribe_url=url)
        record = GapReminder.objects.create(
            user=user,
            year=report.year,
            email=email,
            deadline=report.deadline.day,
            gaps=[
                {
                    "key": item.gap.key,
                    "label": item.gap.label,
                    "missing": _hours(item.gap.missing),
                    "courses": [s.code for s in item.suggestions],
                }
                for item in panel.items
            ],
            sent_at=now,
        )
        audit_record(
            actor=None,
            action="learning.gap_reminder_send",
            subject=record,
            changes={"user": [None, user.pk], "gaps": [None, len(panel.items)]},
        )
        mail_send(
            template=REMINDER_TEMPLATE,
            subject=subject,
            to=[email],
            context=context,
            # RFC 2369 / RFC 8058: mail clients offer their own one-click unsubscribe.
            headers={"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        )
    return True


def gap_reminders_send() -> int:
    """Every due reminder. Only learners whose agency's deadline window is open today are looked at: the agencies'
    at-risk lists (set-based) name who has a gap, and only they get the per-person panel. Returns how many were sent."""
    today = clock.today()
    sent = 0
    users = identity_selectors.active_accounts_with_person().exclude(gap_reminder_preference__enabled=False)
    by_agency: dict[int, list] = {}
    for user in users.iterator(chunk_size=2000):
        person = user.person
        assert person is not None  # person__isnull=False
        by_agency.setdefault(person.agency_id, []).append(user)
    for agency_id, members in by_agency.items():
        risk = hours_gaps.at_risk_of_agencies(agency_ids={agency_id}, year=today.year)
        window = hours_gaps.reminder_days_of(agency_id=agency_id)
        due = {row.person_id for row in risk.rows if 0 <= row.days_left <= window}
        for user in members:
            if user.person_id not in due:
                continue
            try:
                if reminder_send(user=user):
                    sent += 1
            except Exception:
                # One bad address or a mail server hiccup must not stop everyone else's reminder.
                logger.exception("gap reminder for user %s failed", user.pk)
    return sent
