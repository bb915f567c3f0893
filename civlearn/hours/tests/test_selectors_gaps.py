"""Gaps: each requirement's missing hours, the deadline that applies to the person, the HR office's at-risk list."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from civlearn.core import clock
from civlearn.hours import gaps, rules
from civlearn.hours.models import AgencyCutoff, AgencyGapPolicy, RequirementRule
from civlearn.hours.tests.factories import record, taipei
from conftest import make_person

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def _autumn():
    clock.travel_to(taipei(2026, 10, 1, 9))


def cutoff(agency, kind, day):
    return AgencyCutoff.objects.create(agency=agency, year=day.year, staff_kind=kind, cutoff=day)


def test_the_deadline_is_the_year_end_without_a_cutoff(learner_person):
    report = gaps.person_gaps(person=learner_person)

    assert (report.year, report.deadline.day, report.deadline.is_year_end) == (2026, dt.date(2026, 12, 31), True)
    assert report.days_left == 91


def test_the_cutoff_follows_the_staff_category(agency, learner_person):
    contract = make_person(agency, "A223456788", "陳約聘", personnel_category="12-約聘僱人員")
    cutoff(agency, "permanent", dt.date(2026, 11, 30))
    cutoff(agency, "contract", dt.date(2026, 10, 31))

    permanent = gaps.deadline_of(person=learner_person, year=2026)
    temporary = gaps.deadline_of(person=contract, year=2026)

    assert (permanent.day, permanent.staff_kind_label, permanent.agency_name) == (
        dt.date(2026, 11, 30), "編制內", "國立臺中科技大學",
    )  # fmt: skip
    assert (temporary.day, temporary.staff_kind_label) == (dt.date(2026, 10, 31), "編制外")


def test_a_sub_agency_uses_its_parents_cutoff_and_its_own_wins(agency, sub_agency):
    person = make_person(sub_agency, "A223456788", "陳進修")
    cutoff(agency, "all", dt.date(2026, 11, 15))
    assert gaps.deadline_of(person=person, year=2026).day == dt.date(2026, 11, 15)

    cutoff(sub_agency, "all", dt.date(2026, 11, 20))
    assert gaps.deadline_of(person=person, year=2026).day == dt.date(2026, 11, 20)
    # Another year's cutoff does not apply.
    assert gaps.deadline_of(person=person, year=2027).day == dt.date(2027, 12, 31)


def test_a_specific_staff_category_beats_all_staff_of_the_same_agency(agency, learner_person):
    cutoff(agency, "all", dt.date(2026, 12, 15))
    cutoff(agency, "permanent", dt.date(2026, 11, 30))

    assert gaps.deadline_of(person=learner_person, year=2026).day == dt.date(2026, 11, 30)


def test_each_requirement_done_required_missing(learner_person):
    record(learner_person, code="337", hours="2", end=taipei(2026, 3, 1))  # 環境教育
    record(learner_person, code="550", hours="1", end=taipei(2026, 3, 2))  # 人權教育 → values group

    report = gaps.person_gaps(person=learner_person)

    assert [(g.key, g.done, g.required, g.missing) for g in report.requirements] == [
        ("required-total", D("3.0"), D("10.0"), D("7.0")),
        ("policy", D("0.0"), D("1.0"), D("1.0")),
        ("environment", D("2.0"), D("4.0"), D("2.0")),
        ("values", D("1.0"), D("5.0"), D("4.0")),
    ]
    assert [g.key for g in report.gaps] == ["required-total", "policy", "environment", "values"]
    # The components need 1 + 2 + 4 = 7, the total 7: at least 7 more hours.
    assert report.size == D("7.0")


def test_an_agency_rule_applies_to_its_staff_only(agency, other_agency, learner_person):
    RequirementRule.objects.create(
        key="agency-x-1", label="本校人權教育(2小時)", year_from=2026, agency=agency, minimum_hours=D("2"),
        scope="codes", codes={"2024": ["550"]}, order=101,
    )  # fmt: skip
    rules.invalidate()
    outsider = make_person(other_agency, "A223456788", "外機關")

    mine = gaps.person_gaps(person=learner_person)
    theirs = gaps.person_gaps(person=outsider)

    assert "agency-x-1" in [g.key for g in mine.gaps]
    assert "agency-x-1" not in [g.key for g in theirs.requirements]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([], "0"),
        ([(0, D("3"))], "3"),
        # A parent needing less than its components together: the components' sum.
        ([(0, D("1")), (1, D("2")), (1, D("1"))], "3"),
        # A parent needing more: the parent.
        ([(0, D("7")), (1, D("1")), (1, D("2"))], "7"),
        # Two separate trees: the larger (they may share hours).
        ([(0, D("2")), (0, D("5")), (1, D("1"))], "5"),
    ],
)
def test_least_hours_needed(rows, expected):
    assert gaps.least_hours_needed(rows) == D(expected)


def test_rules_counting_courses_follows_subtrees_like_the_summary(learner_person):
    counted = gaps.rules_counting_courses(
        agency_id=learner_person.agency_id, year=2026, courses=[("a", "339", 1), ("b", "550", 1), ("c", "NOPE", 1)]
    )
    keys = {r.id: r.key for r in RequirementRule.objects.all()}
    assert {keys[i] for i in counted["a"]} == {"environment", "required-total"}
    assert {keys[i] for i in counted["b"]} == {"values", "required-total"}
    assert counted["c"] == frozenset()


def test_reminder_days_come_from_the_nearest_agency_that_set_them(agency, sub_agency):
    assert gaps.reminder_days_of(agency_id=sub_agency.pk) == 30
    AgencyGapPolicy.objects.create(agency=agency, reminder_days=14)
    assert gaps.reminder_days_of(agency_id=sub_agency.pk) == 14


def test_at_risk_lists_who_has_a_gap_riskiest_first(agency, hr_officer, learner_person):
    cutoff(agency, "contract", dt.date(2026, 10, 31))
    contract = make_person(agency, "A223456788", "陳約聘", personnel_category="12-約聘僱人員")
    done = make_person(agency, "A234567891", "李達成")
    for person in (learner_person, contract):
        record(person, code="337", hours="4", end=taipei(2026, 3, 1))
        record(person, code="510", hours="1", end=taipei(2026, 3, 1))
    record(done, code="337", hours="4", end=taipei(2026, 3, 1))
    record(done, code="510", hours="1", end=taipei(2026, 3, 1))
    record(done, code="550", hours="5", end=taipei(2026, 3, 1))

    risk = gaps.at_risk(user=hr_officer)

    # 林人事 (the officer) has no hours at all: 10 hours over 91 days; the two others need 5 hours, the contract
    # employee by 10/31 (30 days), the permanent one by 12/31 (91 days).
    assert [(r.name, r.size, r.days_left, r.per_day) for r in risk.rows] == [
        ("陳約聘", D("5.0"), 30, D("0.17")),
        ("林人事", D("10.0"), 91, D("0.11")),
        ("王小明", D("5.0"), 91, D("0.05")),
    ]
    assert risk.staff == 4
    assert risk.rows[0].gaps == (("每年必須完成之課程總學習時數(10小時)", D("5.0")),
                                 ("性別平等、廉政與服務倫理、人權教育、轉型正義、行政中立、多元族群文化、公民參與(5小時)",
                                  D("5.0")))  # fmt: skip
    assert risk.rows[0].masked_id == "A22345****"


def test_at_risk_refuses_another_agency(agency, other_agency, other_hr_officer):
    with pytest.raises(PermissionDenied):
        gaps.at_risk(user=other_hr_officer, agency=agency)
