"""No oversell: many people registering at once for one class, on PostgreSQL with real concurrent transactions."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from civlearn.hours.classes import offerings, registration
from civlearn.hours.models import ClassOffering, Registration
from civlearn.hours.tests.classes_fixtures import approved_institution, at_today, class_row
from conftest import make_account, make_person

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_registrations_fills_exactly_the_capacity_and_waitlists_the_rest(agency, learner):
    at_today()
    institution = approved_institution(learner)
    offering = offerings.offerings_save(
        actor=learner, institution=institution, records=[(2, class_row(capacity="5", waitlist_limit="10"))]
    ).offerings[0]
    users = [make_account(make_person(agency, f"Q1{n:08d}", f"學員{n}", email="")) for n in range(24)]
    barrier = threading.Barrier(len(users))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(user):
        try:
            barrier.wait()
            try:
                status = registration.register(actor=user, offering=offering).status
            except Exception as exc:
                status = " ".join(getattr(exc, "messages", [str(exc)]))
            with lock:
                outcomes.append(status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == sorted(["registered"] * 5 + ["waitlisted"] * 10 + ["本班已額滿，候補名額也已額滿"] * 9)
    assert ClassOffering.objects.get(pk=offering.pk).seats_taken == 5
    assert Registration.objects.filter(status="registered").count() == 5
    assert Registration.objects.filter(status="waitlisted").count() == 10
