"""Enrolment restrictions (periods, listed agencies, repeats, recertification) and member consent."""

from __future__ import annotations

import datetime as dt

import pytest

from civlearn.core import clock
from civlearn.core.models import AuditEvent
from civlearn.learning.catalogue.services import EnrolmentRefused, enrol
from civlearn.learning.completion.consent import TERMS_VERSION, consent_current, consent_record
from civlearn.learning.completion.services import completion_evaluate
from civlearn.learning.models import Enrolment, MemberConsent

from .conftest import make_course


def refused(user, course, message):
    before = Enrolment.objects.count()
    with pytest.raises(EnrolmentRefused) as info:
        enrol(user=user, course=course)
    assert str(info.value) == message
    assert Enrolment.objects.count() == before


def test_enrolment_needs_the_member_terms_first(learner, course):
    refused(learner, course, "請先閱讀並同意會員規範")


def test_enrolment_outside_the_period_is_refused_with_the_reason(consenting_learner, agency):
    today = clock.today()
    early = make_course(agency, code="EL-EARLY", enrol_start=today + dt.timedelta(days=1))
    late = make_course(agency, code="EL-LATE", enrol_end=today - dt.timedelta(days=1))
    refused(consenting_learner, early, "尚未開始報名")
    refused(consenting_learner, late, "報名期間已結束")


def test_a_course_for_listed_agencies_admits_their_staff_and_sub_agencies_only(
    consenting_learner, agency, sub_agency, other_agency
):
    course = make_course(agency, code="EL-ONLY", open_to_all=False)
    course.allowed_agencies.set([other_agency])
    refused(consenting_learner, course, "本課程限定特定機關人員報名，您的服務機關不在開放名單內")
    # the learner's agency (A09600000Q) is the parent of a listed agency: still refused; listing the parent admits
    course.allowed_agencies.set([sub_agency])
    refused(consenting_learner, course, "本課程限定特定機關人員報名，您的服務機關不在開放名單內")
    course.allowed_agencies.set([agency])
    assert enrol(user=consenting_learner, course=course).course == course


def test_staff_of_a_sub_agency_may_enrol_where_the_parent_is_listed(sub_agency, agency):
    from conftest import make_account, make_person

    user = make_account(make_person(sub_agency, "E100000008", "張附設"))
    consent_record(user=user, share_hours=True)
    course = make_course(agency, code="EL-PARENT", open_to_all=False)
    course.allowed_agencies.set([agency])
    assert enrol(user=user, course=course).year == clock.today().year


def test_enrolling_twice_is_refused(consenting_learner, course):
    enrol(user=consenting_learner, course=course)
    refused(consenting_learner, course, "您已報名本課程")


def test_a_completed_course_may_be_certified_again_next_year_only_when_it_says_so(consenting_learner, agency):
    once = make_course(agency, code="EL-ONCE")
    yearly = make_course(agency, code="EL-YEARLY", recertifiable=True)
    for course in (once, yearly):
        enrolment = enrol(user=consenting_learner, course=course)
        Enrolment.objects.filter(pk=enrolment.pk).update(reading_ms=course.required_reading_ms)
        completion_evaluate(enrolment=enrolment)
    # this year both are refused
    refused(consenting_learner, yearly, "您已報名本課程")
    # next year
    clock.advance(dt.timedelta(days=366))
    refused(consenting_learner, once, "您已完成本課程，本課程不開放再次認證")
    again = enrol(user=consenting_learner, course=yearly)
    assert (again.year, again.reading_ms, again.completed_at) == (clock.today().year, 0, None)


def test_consent_is_recorded_with_time_and_version_and_can_change(learner):
    assert consent_current(user=learner) is None
    first = consent_record(user=learner, share_hours=False, ip_address="10.0.0.8")
    clock.advance(dt.timedelta(days=3))
    second = consent_record(user=learner, share_hours=True)
    assert consent_current(user=learner) == second
    assert (first.terms_version, first.share_hours, first.ip_address) == (TERMS_VERSION, False, "10.0.0.8")
    assert second.decided_at - first.decided_at >= dt.timedelta(days=3)
    changes = [
        e.changes["share_hours"] for e in AuditEvent.objects.filter(action="learning.consent").order_by("created_at")
    ]
    assert changes == [[None, False], [False, True]]


def test_a_new_terms_version_asks_again(learner, monkeypatch):
    consent_record(user=learner, share_hours=True)
    monkeypatch.setattr("civlearn.learning.completion.consent.TERMS_VERSION", "2099.1")
    assert consent_current(user=learner) is None
    assert MemberConsent.objects.filter(user=learner).count() == 1
