"""hours 0016 moves a registration's HR decision into the shared review fields (`models.review.Reviewed`) and back
without losing a value: hr_decided_by ↔ reviewed_by, hr_reason ↔ review_note."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from civlearn.core import clock
from civlearn.hours.classes import offerings, registration
from civlearn.hours.models import Registration
from civlearn.hours.tests.classes_fixtures import approved_institution, at_today, class_row

BEFORE = [("hours", "0015_institution_member_name")]
AFTER = [("hours", "0016_registration_review_fields")]


@pytest.mark.django_db(transaction=True)
def test_the_hr_decision_survives_the_migration_both_ways(learner, operator, hr_officer):
    at_today()
    institution = approved_institution(operator)
    offering = offerings.offerings_save(actor=operator, institution=institution, records=[(2, class_row())]).offerings[
        0
    ]
    seat = registration.register(actor=learner, offering=offering)
    Registration.objects.filter(pk=seat.pk).update(
        reviewed_by=hr_officer, review_note="本班與業務相關，同意", reviewed_at=clock.now()
    )

    try:
        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps.get_model("hours", "Registration")
        assert old.objects.filter(pk=seat.pk).values_list("hr_decided_by_id", "hr_reason").get() == (
            hr_officer.pk,
            "本班與業務相關，同意",
        )

        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps.get_model("hours", "Registration")
        assert new.objects.filter(pk=seat.pk).values_list("reviewed_by_id", "review_note", "reviewed_at").get() == (
            hr_officer.pk,
            "本班與業務相關，同意",
            None,  # the decision time was not kept before 0016
        )
    finally:
        # Leave the schema as the other tests expect it, whatever migrations come later.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
