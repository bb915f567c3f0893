from decimal import Decimal

import pytest

from civlearn.core import clock
from civlearn.demo import hours as demo_hours
from civlearn.demo import registry as demo_registry
from civlearn.hours.models import LedgerEntry, RequirementRule
from civlearn.hours.selectors import year_summary
from civlearn.hours.tests.factories import MANUAL_113_FIGURES, taipei
from civlearn.registry.models import Person

pytestmark = pytest.mark.django_db


def test_demo_ledger_shows_the_manual_figures_and_a_second_run_adds_nothing():
    clock.advance(taipei(2026, 11, 27, 10) - clock.now())
    demo_registry.seed()

    demo_hours.seed()
    count = LedgerEntry.objects.count()
    demo_hours.seed()

    assert LedgerEntry.objects.count() == count
    assert RequirementRule.objects.filter(agency__code="A09600000Q").count() == 2
    learner = Person.objects.get(national_id="A123456789")
    summary = year_summary(person=learner, year=2024)
    assert [(row.label, f"{row.hours.normalize():f}") for row in summary.rows[:18]] == MANUAL_113_FIGURES
    this_year = year_summary(person=learner, year=2026)
    assert this_year.total == Decimal("8.0")
    assert this_year.row("campus-total").met is False
