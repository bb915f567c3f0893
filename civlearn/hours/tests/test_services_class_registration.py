"""Registration: seats, waitlist promotion with an e-mail, HR approval, eligibility, periods; attendance by QR and
roster; closing into the ledger once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civlearn.core import clock
from civlearn.core.models import AuditEvent
from civlearn.hours import selectors as hours_selectors
from civlearn.hours.classes import attendance, offerings, registration
from civlearn.hours.models import Attendance, ClassOffering, LedgerEntry, Registration
from civlearn.hours.tests.classes_fixtures import SESSION_DAY, approved_institution, at_today, two_code_rows
from conftest import make_account, make_person


@pytest.fixture
def institution(operator):
    staff = make_account(
        make_person(
            __import__("civlearn.registry.models", fromlist=["Agency"]).Agency.objects.create(
                code="P000000009", name="人文學苑本部"
            ),
            "E123456783",
            "周承辦",
            email="staff@example.org",
        )
    )
    institution = approved_institution(staff)
    institution.staff_user = staff
    return institution


@pytest.fixture
def offering(institution):
    at_today()
    result = offerings.offerings_save(actor=institution.staff_user, institution=institution, records=two_code_rows())
    return result.offerings[0]


@pytest.fixture
def people(agency, learner):
    others = [
        make_account(make_person(agency, nid, name, email=f"p{i}@example.tw"))
        for i, (nid, name) in enumerate([("A223456781", "陳一"), ("A123456790", "林二")])
    ]
    return [learner, *others]


def reasons(caught) -> list[str]:
    return caught.value.message_dict["registration"]


def test_full_class_waitlists_and_a_cancellation_promotes_the_first_with_an_email(
    offering, people, smtp_server, django_capture_on_commit_callbacks
):
    first = people[0]
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [registration.register(actor=user, offering=offering).status for user in people]
    assert statuses == ["registered", "registered", "waitlisted"]
    offering.refresh_from_db()
    assert (offering.seats_taken, offering.seats_left) == (2, 0)

    with django_capture_on_commit_callbacks(execute=True):
        registration.cancel(actor=first, registration=Registration.objects.get(person=first.person))

    assert dict(Registration.objects.values_list("person__name", "status")) == {
        "王小明": "cancelled",
        "陳一": "registered",
        "林二": "registered",
    }
    offering.refresh_from_db()
    assert offering.seats_taken == 2
    promoted = [m for m in smtp_server.wait_for(4) if m["Subject"].strip().startswith("候補遞補成功")]
    assert [m["To"] for m in promoted] == ["p1@example.tw"]


def test_refusals_say_why_and_change_nothing(offering, people, agency, other_hr_officer):
    first, second, third = people
    registration.register(actor=first, offering=offering)
    registration.register(actor=second, offering=offering)
    ClassOffering.objects.filter(pk=offering.pk).update(waitlist_limit=0)
    offering.refresh_from_db()
    before = (list(Registration.objects.values_list("pk", "status")), AuditEvent.objects.count())

    with pytest.raises(ValidationError) as caught:
        registration.register(actor=third, offering=offering)
    assert reasons(caught) == ["本班已額滿"]
    with pytest.raises(ValidationError) as caught:
        registration.register(actor=first, offering=offering)
    assert reasons(caught) == ["您已報名本班"]
    with pytest.raises(ValidationError) as caught:
        registration.register(actor=other_hr_officer, offering=ClassOffering.objects.get(pk=offering.pk))
    assert reasons(caught) == ["本班已額滿"]
    offering.agencies.set([agency])
    with pytest.raises(ValidationError) as caught:
        registration.register(actor=other_hr_officer, offering=offering)
    assert reasons(caught) == ["本班限下列機關（含所屬機關）人員報名：國立臺中科技大學"]
    ClassOffering.objects.filter(pk=offering.pk).update(audience="local")
    offering.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        registration.register(actor=third, offering=offering)
    assert reasons(caught) == ["本班限地方機關人員報名"]
    clock.advance(dt.timedelta(days=10))  # 2026-12-11: registration closed on 115-12-10
    with pytest.raises(ValidationError) as caught:
        registration.register(actor=third, offering=offering)
    assert reasons(caught) == ["報名已於 115/12/10 23:59 截止"]
    clock.advance(dt.timedelta(days=2))  # 2026-12-13: past the cancellation deadline 115-12-12
    with pytest.raises(ValidationError) as caught:
        registration.cancel(actor=first, registration=Registration.objects.get(person=first.person))
    assert reasons(caught) == ["取消報名期限已於 115/12/12 23:59 截止"]
    with pytest.raises(PermissionDenied):
        registration.cancel(actor=second, registration=Registration.objects.get(person=first.person))
    assert (list(Registration.objects.values_list("pk", "status")), AuditEvent.objects.count()) == before


def test_hr_approval_holds_a_seat_and_only_the_persons_hr_office_decides(
    offering, people, hr_officer, other_hr_officer
):
    ClassOffering.objects.filter(pk=offering.pk).update(hr_approval=True)
    offering.refresh_from_db()
    pending = registration.register(actor=people[0], offering=offering)
    assert pending.status == "pending"
    from civlearn.hours.classes import selectors

    assert list(selectors.hr_pending(hr_officer)) == [pending]
    assert list(selectors.hr_pending(other_hr_officer)) == []
    with pytest.raises(PermissionDenied):
        registration.hr_decide(actor=other_hr_officer, registration=pending, approve=True)
    with pytest.raises(ValidationError) as caught:
        registration.hr_decide(actor=hr_officer, registration=pending, approve=False, reason="")
    assert caught.value.message_dict == {"reason": ["不同意時請填寫理由"]}
    approved = registration.hr_decide(actor=hr_officer, registration=pending, approve=True)
    assert (approved.status, approved.reviewed_by) == ("registered", hr_officer)
    with pytest.raises(ValidationError) as caught:
        registration.hr_decide(actor=hr_officer, registration=pending, approve=True)
    assert reasons(caught) == ["此報名目前為「報名成功」，不需審核"]


def test_qr_check_in_then_closing_posts_hours_per_code_once_and_records_no_shows(
    offering, institution, people, hr_officer
):
    first, second, third = people
    registration.register(actor=first, offering=offering)
    registration.register(actor=second, offering=offering)
    morning, afternoon = offering.sessions.all()
    clock.travel_to(SESSION_DAY + dt.timedelta(minutes=5))
    token = attendance.checkin_token(session=morning)

    checked = attendance.checkin(actor=first, token=token)
    assert (checked.session, checked.method) == (morning, "qr")
    with pytest.raises(ValidationError) as caught:
        attendance.checkin(actor=first, token=token)
    assert caught.value.message_dict["checkin"][0].startswith("已於 115/12/15 09:05 完成本時段簽到")
    with pytest.raises(ValidationError) as caught:
        attendance.checkin(actor=third, token=token)
    assert caught.value.message_dict == {"checkin": ["您沒有本班的正取報名，不能簽到"]}
    clock.advance(dt.timedelta(seconds=attendance.checkin_lifetime() + 1))
    with pytest.raises(ValidationError) as caught:
        attendance.checkin(actor=second, token=token)
    assert caught.value.message_dict == {"checkin": ["此簽到 QR Code 已過期，請重新掃描現場顯示的最新 QR Code"]}
    with pytest.raises(ValidationError) as caught:
        attendance.checkin(actor=second, token=token[:-2] + "xx")
    assert caught.value.message_dict == {"checkin": ["簽到碼不正確，請重新掃描現場顯示的 QR Code"]}
    # the afternoon by the roster
    first_registration = Registration.objects.get(person=first.person)
    with pytest.raises(PermissionDenied):
        attendance.roster_mark(actor=hr_officer, session=afternoon, present_ids={first_registration.pk})
    assert attendance.roster_mark(
        actor=institution.staff_user, session=afternoon, present_ids={first_registration.pk}
    ) == (1, 0)

    counts = attendance.offering_close(actor=institution.staff_user, offering=offering)

    assert counts == {"completed": 1, "incomplete": 0, "no_show": 1, "records": 2}
    entries = LedgerEntry.objects.filter(person=first.person).order_by("category_code")
    assert [
        (e.category_code, e.certified_hours, e.physical_hours, e.source_kind, e.institution_code) for e in entries
    ] == [
        ("339", Decimal("3.0"), Decimal("3.0"), "class", "P000000001"),
        ("510", Decimal("2.0"), Decimal("2.0"), "class", "P000000001"),
    ]
    summary = hours_selectors.year_summary(person=first.person, year=2026)
    assert summary.total == Decimal("5.0")
    assert dict(Registration.objects.values_list("person__name", "outcome")) == {
        "王小明": "completed",
        "陳一": "no_show",
    }
    from civlearn.hours.classes import selectors

    assert [r.person.name for r in selectors.hr_no_shows(hr_officer)] == ["陳一"]

    before = (LedgerEntry.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as caught:
        attendance.offering_close(actor=institution.staff_user, offering=offering)
    assert caught.value.message_dict == {"close": ["本班已結訓，不能重複結訓"]}
    assert (LedgerEntry.objects.count(), AuditEvent.objects.count()) == before
    assert Attendance.objects.count() == 2


def test_proportional_rule_certifies_the_attended_share(offering, institution, people):
    ClassOffering.objects.filter(pk=offering.pk).update(attendance_rule="proportional")
    offering.refresh_from_db()
    registration.register(actor=people[0], offering=offering)
    morning, _ = offering.sessions.all()
    reg = Registration.objects.get()
    attendance.roster_mark(actor=institution.staff_user, session=morning, present_ids={reg.pk})
    attendance.offering_close(actor=institution.staff_user, offering=offering)
    # 3 of 5 session hours: 3 h × 0.6 = 1.8 and 2 h × 0.6 = 1.2
    assert list(LedgerEntry.objects.order_by("category_code").values_list("category_code", "certified_hours")) == [
        ("339", Decimal("1.8")),
        ("510", Decimal("1.2")),
    ]
