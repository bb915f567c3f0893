"""Suggested courses under each gap: what counts where (the summary's rule), eligibility, ranking."""

import datetime as dt
from decimal import Decimal

import pytest

from civlearn.core import clock
from civlearn.hours import rules
from civlearn.hours.models import RequirementRule
from civlearn.hours.tests.factories import record, taipei
from civlearn.learning.catalogue.selectors import enrolment_refusal
from civlearn.learning.gaps.selectors import gap_panel
from civlearn.learning.models import Enrolment
from civlearn.learning.tests.conftest import listed, make_course
from conftest import make_account, make_person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("autumn_2026")]

D = Decimal


def test_courses_of_a_code_and_its_subtree_are_listed_under_the_gap(agency, short_learner):
    make_course(agency, code="ENV-337", category_code="337", certified_hours=D("1"))
    make_course(agency, code="ENV-339", category_code="339", certified_hours=D("2"))  # child of 337
    make_course(agency, code="HR-550", category_code="550", certified_hours=D("2"))  # values: already met

    panel = gap_panel(user=short_learner)

    assert [g.key for g in panel.report.gaps] == ["environment"]
    assert listed(panel) == {"environment": ["ENV-339", "ENV-337"]}
    first = panel.items[0].suggestions[0]
    assert (first.closes, first.counts_toward, first.reading_minutes, first.in_progress) == (
        ("environment",), ("environment",), 10, False,
    )  # fmt: skip


def test_one_course_closing_two_gaps_ranks_above_courses_closing_one(agency, learner_person, consenting_learner):
    # Short of environment 2 and the agency's own human-rights rule 1 (codes 550 and 345 社區參與, under 337).
    RequirementRule.objects.create(
        key="agency-hr", label="本校人權與社區參與(1小時)", year_from=2026, agency=agency, minimum_hours=D("1"),
        scope="codes", codes={"2024": ["550", "345"]}, order=101,
    )  # fmt: skip
    rules.invalidate()
    record(learner_person, code="510", hours="1", end=taipei(2026, 3, 1))
    record(learner_person, code="337", hours="2", end=taipei(2026, 3, 1))
    record(learner_person, code="560", hours="7", end=taipei(2026, 3, 1))
    make_course(agency, code="A-ENV", category_code="339", certified_hours=D("2"), required_reading_minutes=5)
    make_course(agency, code="B-HR", category_code="550", certified_hours=D("1"), required_reading_minutes=5)
    make_course(agency, code="C-BOTH", category_code="345", certified_hours=D("2"), required_reading_minutes=50)

    panel = gap_panel(user=consenting_learner)

    assert listed(panel) == {"environment": ["C-BOTH", "A-ENV"], "agency-hr": ["C-BOTH", "B-HR"]}
    both = panel.items[0].suggestions[0]
    assert both.closes == ("environment", "agency-hr")


def test_fewest_reading_minutes_first_among_courses_that_close_the_gap(agency, short_learner):
    make_course(agency, code="SLOW", category_code="337", certified_hours=D("2"), required_reading_minutes=120)
    make_course(agency, code="FAST", category_code="337", certified_hours=D("3"), required_reading_minutes=30)
    make_course(agency, code="SMALL", category_code="337", certified_hours=D("1"), required_reading_minutes=5)

    assert listed(gap_panel(user=short_learner)) == {"environment": ["FAST", "SLOW", "SMALL"]}


def test_closed_restricted_completed_courses_are_not_suggested(agency, other_agency, short_learner):
    today = dt.date(2026, 10, 1)
    make_course(agency, code="OPEN", category_code="337", certified_hours=D("1"))
    make_course(agency, code="LATER", category_code="337", enrol_start=today + dt.timedelta(days=1))
    make_course(agency, code="OVER", category_code="337", enrol_end=today - dt.timedelta(days=1))
    make_course(agency, code="HIDDEN", category_code="337", is_published=False)
    elsewhere = make_course(agency, code="THEIRS", category_code="337", open_to_all=False)
    elsewhere.allowed_agencies.add(other_agency)
    ours = make_course(agency, code="OURS", category_code="337", open_to_all=False)
    ours.allowed_agencies.add(agency)
    done = make_course(agency, code="DONE", category_code="337")
    Enrolment.objects.create(user=short_learner, course=done, year=2025, completed_at=clock.now())
    again = make_course(agency, code="AGAIN", category_code="337", recertifiable=True)
    Enrolment.objects.create(user=short_learner, course=again, year=2025, completed_at=clock.now())
    this_year = make_course(agency, code="THISYEAR", category_code="337", recertifiable=True)
    Enrolment.objects.create(user=short_learner, course=this_year, year=2026, completed_at=clock.now())
    going = make_course(agency, code="GOING", category_code="337", required_reading_minutes=30)
    Enrolment.objects.create(user=short_learner, course=going, year=2026, reading_ms=20 * 60_000)

    panel = gap_panel(user=short_learner, per_gap=10)

    suggested = {s.code: s for s in panel.items[0].suggestions}
    assert sorted(suggested) == ["AGAIN", "GOING", "OPEN", "OURS"]
    assert (suggested["GOING"].in_progress, suggested["GOING"].reading_minutes) == (True, 10)
    # The same rule as enrolling: every suggestion not in progress may be enrolled in now.
    from civlearn.learning.models import Course

    for code, suggestion in suggested.items():
        reason = enrolment_refusal(user=short_learner, course=Course.objects.get(code=code))
        assert reason == ("您已報名本課程" if suggestion.in_progress else ""), code


def test_the_list_grows_until_it_closes_the_gap(agency, short_learner):
    for number in range(5):
        make_course(agency, code=f"HALF-{number}", category_code="337", certified_hours=D("0.5"))

    item = gap_panel(user=short_learner, per_gap=2).items[0]

    assert [s.code for s in item.suggestions] == ["HALF-0", "HALF-1", "HALF-2", "HALF-3"]
    assert item.enough is True


def test_not_enough_courses_is_said(agency, short_learner):
    make_course(agency, code="ONLY", category_code="337", certified_hours=D("1"))

    item = gap_panel(user=short_learner).items[0]

    assert ([s.code for s in item.suggestions], item.enough) == (["ONLY"], False)


def test_an_account_without_registry_data_has_no_report(db):
    from civlearn.identity.models import User

    user = User.objects.create_user(None, None, email="nobody@example.tw")
    assert gap_panel(user=user).report is None


def test_without_consent_to_share_hours_the_panel_says_so(agency, learner_person, learner):
    from civlearn.learning.completion.consent import consent_record

    consent_record(user=learner, share_hours=False)
    assert gap_panel(user=learner).shares_hours is False


def test_a_contract_employee_sees_their_cutoff(agency, consenting_learner):
    from civlearn.hours.models import AgencyCutoff

    AgencyCutoff.objects.create(agency=agency, year=2026, staff_kind="contract", cutoff=dt.date(2026, 10, 31))
    person = make_person(agency, "A223456788", "陳約聘", personnel_category="12-約聘僱人員")
    user = make_account(person)

    report = gap_panel(user=user).report

    assert (report.deadline.day, report.days_left) == (dt.date(2026, 10, 31), 30)


@pytest.fixture
def env_class(operator):
    """A 學習資訊中心 class of 5 hours: 3 in 339 (環境教育 subtree) and 2 in 510 (policy), ending 115/12/15."""
    from civlearn.hours.classes import offerings
    from civlearn.hours.tests.classes_fixtures import approved_institution, at_today, two_code_rows
    from civlearn.registry.models import Agency

    staff = make_account(
        make_person(Agency.objects.create(code="P000000009", name="人文學苑本部"), "E123456783", "周承辦")
    )
    institution = approved_institution(staff)
    at_today()  # 115/12/01: registration open
    return offerings.offerings_save(actor=staff, institution=institution, records=two_code_rows()).offerings[0]


def test_a_class_adds_only_the_hours_of_its_portions_that_count(agency, learner_person, consenting_learner, env_class):
    record(learner_person, code="337", hours="2", end=taipei(2026, 3, 1))
    record(learner_person, code="560", hours="7", end=taipei(2026, 3, 1))

    panel = gap_panel(user=consenting_learner)

    by_gap = {item.gap.key: item for item in panel.items}
    suggestion = by_gap["environment"].suggestions[0]
    assert (suggestion.kind, suggestion.course_id, suggestion.hours) == ("class", env_class.pk, D("5.0"))
    assert suggestion.toward_hours == (
        ("required-total", D("5.0")), ("policy", D("2.0")), ("environment", D("3.0")),
    )  # fmt: skip
    assert by_gap["environment"].listed_hours == D("3.0")
    assert suggestion.closes == ("required-total", "policy", "environment")


def test_a_class_ending_after_the_deadline_or_already_registered_is_not_suggested(
    agency, learner_person, consenting_learner, env_class
):
    from civlearn.hours.classes import registration
    from civlearn.hours.models import AgencyCutoff

    AgencyCutoff.objects.create(agency=agency, year=2026, staff_kind="all", cutoff=dt.date(2026, 12, 10))
    assert gap_panel(user=consenting_learner).items[0].suggestions == ()
    AgencyCutoff.objects.all().delete()
    registration.register(actor=consenting_learner, offering=env_class)
    assert all(s.kind != "class" for item in gap_panel(user=consenting_learner).items for s in item.suggestions)
