"""Registration: who may register (one rule, `eligibility_problem`), seats without oversell, the waitlist, the HR
office's approval, cancellation, e-mails to registrants."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civlearn.core import clock, rocdate
from civlearn.core.mail import mail_send
from civlearn.core.services import audit_record
from civlearn.hours import services as hours_services
from civlearn.hours.classes import selectors as class_selectors
from civlearn.hours.institutions import selectors as institution_selectors
from civlearn.hours.models import ClassOffering, Registration
from civlearn.identity import selectors as identity_selectors
from civlearn.registry import selectors as registry_selectors


def _notice(subject: str, body: str, recipient: str) -> None:
    """One notice e-mail (text and HTML parts) through the platform's one mail path."""
    mail_send(template="hours/mail/notice", subject=subject, to=[recipient], context={"body": body})


def _greeting(name: str) -> str:
    return _("%(name)s 您好：") % {"name": name} + "\n\n"


# The registry records no language per person, so notices to registrants go out in the site's language (whoever's
# action sent them: the learner, the HR officer, the person whose cancellation freed the seat).
def _notice_in_site_language(message: Callable[[], tuple[str, str]], recipient: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = message()
        _notice(subject, body, recipient)


def agency_is_central(agency) -> bool:
    """Central government agencies' codes (機關代碼) start with a letter (e.g. A09600000Q); local governments' with a
    digit (e.g. 379000000A 臺北市政府). The registry has no other mark of the level."""
    return agency.code[:1].isalpha()


def _ancestor_ids(agency) -> set[int]:
    return {item.pk for item in registry_selectors.agency_path(agency)}


def eligibility_problem(*, offering: ClassOffering, person, user=None) -> str:
    """Why `person` may not register for `offering` (in the active language), or "" when they may. Registration
    period and seats are the registration's own checks; this is who the class is for. Where the registry does not
    record what a rule needs (主管, 職等), the person is refused and told to have their HR office update it."""
    if person is None:
        return _("報名限公務人員（帳號需連結人事資料）")
    if not person.is_active:
        return _("人事資料顯示您目前非在職，不能報名")
    if offering.audience == ClassOffering.AUDIENCE_CENTRAL and not agency_is_central(person.agency):
        return _("本班限中央機關人員報名")
    if offering.audience == ClassOffering.AUDIENCE_LOCAL and agency_is_central(person.agency):
        return _("本班限地方機關人員報名")
    allowed = {agency.pk: agency.name for agency in offering.agencies.all()}
    if allowed and not _ancestor_ids(person.agency) & allowed.keys():
        return _("本班限下列機關（含所屬機關）人員報名：%(agencies)s") % {"agencies": _("、").join(allowed.values())}
    if offering.hr_staff_only:
        account = user if user is not None else getattr(person, "account", None)
        if not identity_selectors.is_hr_officer(account):
            return _("本班限人事人員報名")
    if offering.supervisor_only:
        if person.is_supervisor is None:
            return _("本班限主管報名，您的人事資料未記載是否為主管，請洽服務機關人事單位更新人事資料")
        if not person.is_supervisor:
            return _("本班限主管報名")
    if offering.rank_grade_min is not None or offering.rank_grade_max is not None:
        grades = class_selectors.grade_range_of(offering)
        within = registry_selectors.grade_in_range(person, offering.rank_grade_min, offering.rank_grade_max)
        if within is None:
            return _("本班限%(grades)s報名，您的人事資料未記載官等職等，請洽服務機關人事單位更新人事資料") % {
                "grades": grades
            }
        if not within:
            return _("本班限%(grades)s報名") % {"grades": grades}
    return ""


def _mail(registration: Registration, message: Callable[[], tuple[str, str]]) -> None:
    """After the commit, mail the registrant (subject, body) = message(), built in the site's language."""
    email = registration.person.email
    if email:
        transaction.on_commit(functools.partial(_notice_in_site_language, message, email))


def moment_text(moment) -> str:
    """A moment as people read it here: ROC date and local time to the minute, e.g. 115/12/10 23:59."""
    local = timezone.localtime(moment)
    return f"{rocdate.format_display(local.date())} {local:%H:%M}"


def _when(offering: ClassOffering) -> str:
    return f"{rocdate.format_display(offering.starts_on)}–{rocdate.format_display(offering.ends_on)}"


def _registered_message(registration: Registration) -> tuple[str, str]:
    offering, label = registration.offering, registration.get_status_display()
    subject = _("報名結果：%(title)s（%(status)s）") % {"title": offering.title, "status": label}
    body = _("您報名「%(title)s」（%(period)s，%(when)s）的結果：%(status)s。") % {
        "title": offering.title,
        "period": offering.period,
        "when": _when(offering),
        "status": label,
    }
    return subject, _greeting(registration.person.name) + body + "\n"


def _promoted_message(registration: Registration, offering: ClassOffering) -> tuple[str, str]:
    values = {"title": offering.title, "period": offering.period, "when": _when(offering)}
    if offering.hr_approval:
        body = _("您候補的「%(title)s」（%(period)s，%(when)s）已遞補為正取，尚待您服務機關人事單位審核。") % values
    else:
        body = _("您候補的「%(title)s」（%(period)s，%(when)s）已遞補為正取。") % values
    subject = _("候補遞補成功：%(title)s") % {"title": offering.title}
    return subject, _greeting(registration.person.name) + body + "\n"


def _approved_message(registration: Registration, offering: ClassOffering) -> tuple[str, str]:
    subject = _("人事單位已同意報名：%(title)s") % {"title": offering.title}
    body = _("服務機關人事單位已同意您報名「%(title)s」（%(when)s）。") % {
        "title": offering.title,
        "when": _when(offering),
    }
    return subject, _greeting(registration.person.name) + body + "\n"


def _refused_message(registration: Registration, offering: ClassOffering, reason: str) -> tuple[str, str]:
    subject = _("人事單位未同意報名：%(title)s") % {"title": offering.title}
    body = _("服務機關人事單位未同意您報名「%(title)s」，理由：%(reason)s") % {
        "title": offering.title,
        "reason": reason,
    }
    return subject, _greeting(registration.person.name) + body + "\n"


def register(*, actor, offering: ClassOffering) -> Registration:
    """The signed-in person registers: a seat while there is one (pending the HR office's approval when the class
    asks for it), else the waitlist while it has room. The seat count is taken with one conditional UPDATE, so
    concurrent requests never take more than `capacity` seats. ValidationError({"registration": [reason]})."""
    person = getattr(actor, "person", None) if actor is not None and actor.is_authenticated else None
    now = clock.now()
    if offering.status != ClassOffering.PUBLISHED:
        raise ValidationError({"registration": [_("本班已結訓，不能報名")]})
    if now < offering.registration_opens:
        raise ValidationError(
            {"registration": [_("報名自 %(moment)s 開始") % {"moment": moment_text(offering.registration_opens)}]}
        )
    if now > offering.registration_closes:
        raise ValidationError(
            {"registration": [_("報名已於 %(moment)s 截止") % {"moment": moment_text(offering.registration_closes)}]}
        )
    problem = eligibility_problem(offering=offering, person=person, user=actor)
    if problem:
        raise ValidationError({"registration": [problem]})
    assert person is not None
    if Registration.objects.filter(offering=offering, person=person, status__in=Registration.ACTIVE).exists():
        raise ValidationError({"registration": [_("您已報名本班")]})
    try:
        with transaction.atomic(durable=True):
            seated = ClassOffering.objects.filter(
                pk=offering.pk, status=ClassOffering.PUBLISHED, seats_taken__lt=F("capacity")
            ).update(seats_taken=F("seats_taken") + 1)
            if seated:
                status = Registration.PENDING if offering.hr_approval else Registration.REGISTERED
            else:
                # The row lock orders concurrent waitlist joins, so the waitlist cannot exceed its limit either.
                locked = ClassOffering.objects.select_for_update().get(pk=offering.pk)
                waiting = Registration.objects.filter(offering=locked, status=Registration.WAITLISTED).count()
                if waiting >= locked.waitlist_limit:
                    raise ValidationError(
                        {
                            "registration": [
                                _("本班已額滿，候補名額也已額滿") if locked.waitlist_limit else _("本班已額滿")
                            ]
                        }
                    )
                status = Registration.WAITLISTED
            registration = Registration.objects.create(
                offering=offering, person=person, status=status, created_at=now, updated_at=now
            )
            audit_record(
                actor=actor,
                action="hours.class_register",
                subject=registration,
                changes={"offering": [None, offering.pk], "status": [None, status]},
            )
            _mail(registration, functools.partial(_registered_message, registration))
    except IntegrityError as exc:
        raise ValidationError({"registration": [_("您已報名本班")]}) from exc
    return registration


def _promote(offering_id: int, *, actor) -> Registration | None:
    """Give a freed seat to the first person on the waitlist (first come), inside the caller's transaction."""
    offering = ClassOffering.objects.select_for_update().get(pk=offering_id)
    if offering.seats_taken >= offering.capacity or offering.status != ClassOffering.PUBLISHED:
        return None
    first = (
        Registration.objects.select_for_update()
        .filter(offering=offering, status=Registration.WAITLISTED)
        .order_by("created_at", "id")
        .select_related("person")
        .first()
    )
    if first is None:
        return None
    new_status = Registration.PENDING if offering.hr_approval else Registration.REGISTERED
    Registration.objects.filter(pk=first.pk).update(status=new_status, updated_at=clock.now())
    ClassOffering.objects.filter(pk=offering.pk).update(seats_taken=F("seats_taken") + 1)
    audit_record(
        actor=actor,
        action="hours.class_waitlist_promote",
        subject=first,
        changes={"status": [Registration.WAITLISTED, new_status]},
    )
    first.status = new_status
    _mail(first, functools.partial(_promoted_message, first, offering))
    return first


def _release(registration: Registration, *, actor, new_status: str, action: str, changes: dict) -> Registration:
    """Move an active registration to cancelled/refused; a seat it held goes back and to the waitlist's first."""
    locked = Registration.objects.select_for_update().get(pk=registration.pk)
    if locked.status not in Registration.ACTIVE:
        raise ValidationError(
            {"registration": [_("此報名目前為「%(status)s」") % {"status": locked.get_status_display()}]}
        )
    old = locked.status
    locked.status = new_status
    locked.updated_at = clock.now()
    locked.save(update_fields=["status", "updated_at", "reviewed_by", "reviewed_at", "review_note"])
    if old in Registration.SEATED:
        ClassOffering.objects.filter(pk=locked.offering_id).update(seats_taken=F("seats_taken") - 1)
    audit_record(actor=actor, action=action, subject=locked, changes={"status": [old, new_status], **changes})
    if old in Registration.SEATED:
        _promote(locked.offering_id, actor=actor)
    return locked


def cancel(*, actor, registration: Registration) -> Registration:
    """The person cancels their own registration until the class's cancellation deadline."""
    if actor is None or not actor.is_authenticated or registration.person_id != getattr(actor, "person_id", None):
        raise PermissionDenied(_("只能取消自己的報名"))
    offering = registration.offering
    if clock.now() > offering.cancel_deadline:
        raise ValidationError(
            {
                "registration": [
                    _("取消報名期限已於 %(moment)s 截止") % {"moment": moment_text(offering.cancel_deadline)}
                ]
            }
        )
    with transaction.atomic(durable=True):
        return _release(
            registration, actor=actor, new_status=Registration.CANCELLED, action="hours.class_cancel", changes={}
        )


def hr_decide(*, actor, registration: Registration, approve: bool, reason: str = "") -> Registration:
    """The person's HR office approves or refuses (with a reason) a registration waiting for it."""
    if not hours_services.can_manage_person(actor, registration.person):
        raise PermissionDenied(_("您不是此人員服務機關的人事人員"))
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationError({"reason": [_("不同意時請填寫理由")]})
    if len(reason) > 300:
        raise ValidationError({"reason": [_("理由最多 300 字")]})
    with transaction.atomic(durable=True):
        locked = Registration.objects.select_for_update().select_related("offering", "person").get(pk=registration.pk)
        if locked.status != Registration.PENDING:
            raise ValidationError(
                {"registration": [_("此報名目前為「%(status)s」，不需審核") % {"status": locked.get_status_display()}]}
            )
        locked.reviewed_by, locked.reviewed_at, locked.review_note = actor, clock.now(), reason
        offering = locked.offering
        if approve:
            locked.status = Registration.REGISTERED
            locked.updated_at = clock.now()
            locked.save(update_fields=["status", "updated_at", "reviewed_by", "reviewed_at", "review_note"])
            audit_record(
                actor=actor,
                action="hours.class_hr_approve",
                subject=locked,
                changes={"status": [Registration.PENDING, Registration.REGISTERED]},
            )
            _mail(locked, functools.partial(_approved_message, locked, offering))
        else:
            locked = _release(
                locked,
                actor=actor,
                new_status=Registration.REFUSED,
                action="hours.class_hr_refuse",
                changes={"reason": [None, reason]},
            )
            _mail(locked, functools.partial(_refused_message, locked, offering, reason))
    return locked


def registrants_email(*, actor, offering: ClassOffering, subject: str, body: str, statuses=Registration.SEATED) -> int:
    """The institution e-mails its registrants (one message each; addresses never shown to one another)."""
    if institution_selectors.role_in(actor, offering.institution) is None:
        raise PermissionDenied(_("您不是此學習機關(構)的人員"))
    subject, body = (subject or "").strip(), (body or "").strip()
    errors = {}
    if not subject or len(subject) > 200:
        errors["subject"] = [_("請輸入主旨（最多 200 字）")]
    if not body or len(body) > 5000:
        errors["body"] = [_("請輸入內容（最多 5000 字）")]
    if errors:
        raise ValidationError(errors)
    emails = []
    for email in Registration.objects.filter(offering=offering, status__in=statuses).values_list(
        "person__email", flat=True
    ):
        try:
            validate_email(email)
        except ValidationError:
            continue
        emails.append(email)
    with transaction.atomic(durable=True):
        audit_record(
            actor=actor,
            action="hours.class_registrants_email",
            subject=offering,
            changes={"subject": [None, subject], "recipients": [None, len(emails)]},
        )
        for email in emails:
            transaction.on_commit(functools.partial(_notice, subject, body, email))
    return len(emails)
