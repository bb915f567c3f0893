"""The gap panel's shared caches: each agency's open counting courses (under the catalogue's and the rule book's
generation stamps and the day) and the cutoffs kept in the rule book. Every change that moves a panel shows on the
next one, with nothing invalidated by hand."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civlearn.core import clock
from civlearn.hours import services as hours_services
from civlearn.hours.tests.factories import record, taipei
from civlearn.learning.gaps.selectors import gap_panel
from civlearn.learning.tests.conftest import listed, make_course
from conftest import make_account, make_person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("autumn_2026")]

D = Decimal


def test_a_colleague_of_the_same_agency_reads_no_course_rows(agency, short_learner):
    make_course(agency, code="ENV-339", category_code="339", certified_hours=D("2"))
    gap_panel(user=short_learner)
    colleague = make_account(make_person(agency, "A100000001", "王同事"))
    record(colleague.person, code="510", hours="1", end=taipei(2026, 3, 1))

    with CaptureQueriesContext(connection) as captured:
        panel = gap_panel(user=colleague)

    assert listed(panel)["environment"] == ["ENV-339"]
    assert not [q for q in captured.captured_queries if '"learning_course"' in q["sql"]]


def test_a_course_saved_shows_on_the_next_panel(agency, short_learner):
    course = make_course(agency, code="ENV-339", category_code="339", certified_hours=D("2"))
    assert listed(gap_panel(user=short_learner)) == {"environment": ["ENV-339"]}

    course.is_published = False
    course.save()
    assert listed(gap_panel(user=short_learner)) == {"environment": []}

    course.is_published, course.category_code = True, "550"  # the values group, already met
    course.save()
    make_course(agency, code="ENV-337", category_code="337", certified_hours=D("1"))
    assert listed(gap_panel(user=short_learner)) == {"environment": ["ENV-337"]}


def test_restricting_a_course_to_other_agencies_shows_on_the_next_panel(agency, other_agency, short_learner):
    course = make_course(agency, code="ENV-339", category_code="339", open_to_all=False)
    course.allowed_agencies.add(agency)
    assert listed(gap_panel(user=short_learner)) == {"environment": ["ENV-339"]}

    course.allowed_agencies.set([other_agency])  # the m2m alone: no save of the course

    assert listed(gap_panel(user=short_learner)) == {"environment": []}


def test_a_course_restricted_to_the_learners_agency_shows_on_the_next_panel(agency, other_agency, short_learner):
    # Given a panel computed while no course is restricted to the learner's agency (it then shares the courses
    # open to all, with no list of its own)
    course = make_course(agency, code="ENV-339", category_code="339", open_to_all=False)
    course.allowed_agencies.add(other_agency)
    assert listed(gap_panel(user=short_learner)) == {"environment": []}

    # When the course is opened to the learner's agency too (the m2m alone: no save of the course)
    course.allowed_agencies.add(agency)

    # Then the next panel suggests it
    assert listed(gap_panel(user=short_learner)) == {"environment": ["ENV-339"]}


def test_a_course_restricted_to_a_parent_agency_shows_on_the_next_panel_of_its_sub_agencies(agency, sub_agency):
    learner = make_account(make_person(sub_agency, "A100000002", "李分部"))
    course = make_course(agency, code="ENV-339", category_code="339", open_to_all=False)
    assert listed(gap_panel(user=learner))["environment"] == []

    course.allowed_agencies.add(agency)

    assert listed(gap_panel(user=learner))["environment"] == ["ENV-339"]


def test_a_learner_of_an_agency_created_since_the_rule_book_was_built_sees_the_parents_courses(agency, short_learner):
    from civlearn.registry.models import Agency

    course = make_course(agency, code="ENV-339", category_code="339", open_to_all=False)
    course.allowed_agencies.add(agency)
    assert listed(gap_panel(user=short_learner)) == {"environment": ["ENV-339"]}  # the rule book is built

    branch = Agency.objects.create(code="A09600002Q", name="國立臺中科技大學新分部", parent=agency)
    newcomer = make_account(make_person(branch, "A100000003", "陳新進"))

    assert listed(gap_panel(user=newcomer))["environment"] == ["ENV-339"]


def test_a_course_whose_enrolment_closes_today_is_gone_tomorrow(agency, short_learner):
    make_course(agency, code="ENV-339", category_code="339", enrol_end=dt.date(2026, 10, 1))
    assert listed(gap_panel(user=short_learner)) == {"environment": ["ENV-339"]}

    clock.travel_to(taipei(2026, 10, 2, 9))

    assert listed(gap_panel(user=short_learner)) == {"environment": []}


def test_a_cutoff_set_or_removed_by_the_hr_office_shows_on_the_next_panel(agency, hr_officer, short_learner):
    assert gap_panel(user=short_learner).report.deadline.day == dt.date(2026, 12, 31)

    cutoff = hours_services.agency_cutoff_set(
        actor=hr_officer, agency=agency, year=2026, staff_kind="all", cutoff=dt.date(2026, 11, 30)
    )
    deadline = gap_panel(user=short_learner).report.deadline
    assert (deadline.day, deadline.agency_name) == (dt.date(2026, 11, 30), agency.name)

    hours_services.agency_cutoff_delete(actor=hr_officer, cutoff=cutoff)

    assert gap_panel(user=short_learner).report.deadline.day == dt.date(2026, 12, 31)


def test_an_agency_rule_added_shows_with_its_courses_on_the_next_panel(
    agency, hr_officer, short_learner, django_capture_on_commit_callbacks
):
    make_course(agency, code="HR-550", category_code="550", certified_hours=D("2"))
    make_course(agency, code="ENV-339", category_code="339", certified_hours=D("2"))
    assert listed(gap_panel(user=short_learner)) == {"environment": ["ENV-339"]}

    with django_capture_on_commit_callbacks(execute=True):
        rule = hours_services.agency_rule_create(
            actor=hr_officer, agency=agency, label="本校人權教育(9小時)", minimum_hours=D("9"), year_from=2026,
            codes=["550"],
        )  # fmt: skip

    assert listed(gap_panel(user=short_learner)) == {"environment": ["ENV-339"], rule.key: ["HR-550"]}
