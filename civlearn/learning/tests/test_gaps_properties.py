"""Properties of the suggestions, over generated catalogues and histories, checked against the ledger's own summary:
a suggested course counts toward the gap it is listed under; completing every course listed under a gap closes it
(when the list says it can); nothing completed and not certifiable again is suggested."""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civlearn.core import clock
from civlearn.hours import rules
from civlearn.hours.models import RequirementRule
from civlearn.hours.selectors import year_summary
from civlearn.hours.tests.factories import record, taipei
from civlearn.learning.gaps.selectors import gap_panel
from civlearn.learning.models import Course, Enrolment

pytestmark = pytest.mark.django_db

# Codes of the 2024 table: 環境教育 and two of its children, the values group, policy, an unrelated one, and one
# that is not in the table at all.
CODES = ["337", "339", "345", "550", "560", "366", "510", "70", "NOPE"]
HOURS = [Decimal(value) for value in ("0.5", "1", "1.5", "2", "3", "4")]
HISTORY = ["none", "done-this-year", "done-last-year", "in-progress"]

courses = st.lists(
    st.tuples(st.sampled_from(CODES), st.sampled_from(HOURS), st.sampled_from([1, 2]), st.booleans(),
              st.sampled_from(HISTORY)),
    min_size=1,
    max_size=12,
)  # fmt: skip
records = st.lists(st.tuples(st.sampled_from(CODES[:-1]), st.sampled_from(HOURS), st.sampled_from([1, 2])), max_size=6)


@pytest.fixture
def world(agency, consenting_learner):
    # An agency rule counting every physical course, so 學習性質 matters too.
    RequirementRule.objects.create(
        key="agency-physical", label="本校實體課程(2小時)", year_from=2026, agency=agency, minimum_hours=Decimal("2"),
        scope="all", mode=2, order=101,
    )  # fmt: skip
    rules.invalidate()
    clock.travel_to(taipei(2026, 10, 1, 9))
    return consenting_learner


def _build(user, agency, course_rows, record_rows):
    person = user.person
    for code, hours, mode in record_rows:
        if code != "NOPE":
            record(person, code=code, hours=str(hours), mode=mode, end=taipei(2026, 3, 1))
    made = []
    for number, (code, hours, mode, recertifiable, history) in enumerate(course_rows):
        course = Course.objects.create(
            code=f"P-{number}", title=f"課程{number}", category_code=code, certified_hours=hours, mode=mode,
            provider_agency=agency, production_year=2025, recertifiable=recertifiable, required_reading_minutes=30,
        )  # fmt: skip
        if history == "done-this-year":
            Enrolment.objects.create(user=user, course=course, year=2026, completed_at=clock.now())
        elif history == "done-last-year":
            Enrolment.objects.create(user=user, course=course, year=2025, completed_at=clock.now())
        elif history == "in-progress":
            Enrolment.objects.create(user=user, course=course, year=2026, reading_ms=60_000)
        made.append((course, recertifiable, history))
    return made


def _complete(person, suggestion, number):
    record(
        person, code=Course.objects.get(pk=suggestion.course_id).category_code, hours=str(suggestion.hours),
        mode=suggestion.mode, end=taipei(2026, 10, 1, 8), reference=f"prop-{number}-{suggestion.course_id}",
    )  # fmt: skip


class Rollback(Exception):
    pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(course_rows=courses, record_rows=records)
def test_suggestions_count_close_and_respect_completion(world, agency, course_rows, record_rows):
    user = world
    try:
        with transaction.atomic():
            made = _build(user, agency, course_rows, record_rows)
            panel = gap_panel(user=user, per_gap=3)
            before = {row.key: row for row in year_summary(person=user.person, year=2026).requirements}
            barred = {
                course.pk for course, recertifiable, history in made
                if history == "done-this-year" or (history == "done-last-year" and not recertifiable)
            }  # fmt: skip
            for item in panel.items:
                for suggestion in item.suggestions:
                    assert suggestion.course_id not in barred
                    # Counts toward its gap: recording its hours raises that requirement by exactly them.
                    with transaction.atomic():
                        _complete(user.person, suggestion, 0)
                        after = year_summary(person=user.person, year=2026).row(item.gap.key)
                        assert after.hours == before[item.gap.key].hours + suggestion.hours
                        transaction.set_rollback(True)
                # Completing every listed course closes the gap when the list says it is enough.
                with transaction.atomic():
                    for number, suggestion in enumerate(item.suggestions):
                        _complete(user.person, suggestion, number)
                    after = year_summary(person=user.person, year=2026).row(item.gap.key)
                    assert (after.missing == 0) == item.enough
                    transaction.set_rollback(True)
            raise Rollback
    except Rollback:
        pass
