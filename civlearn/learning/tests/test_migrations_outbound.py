"""The outbound hours batches move from the learning app to the hours app without losing a row (hours 0016,
learning 0009): items then point at the ledger entry the completion posted; an item whose completion has no ledger
entry keeps its reference, so that completion is still not sent twice; and the move runs backwards to the same
rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from civlearn.hours.models import LedgerEntry, OutboundDestination
from civlearn.hours.outbound import due_entries
from civlearn.learning.completion.consent import consent_record
from civlearn.learning.completion.outbound import outbound_audience

from .conftest import make_course
from .test_outbound import complete

BEFORE = [("hours", "0015_outbound_batches_of_ledger_entries"), ("learning", "0008_merge_scorm_partners_gaps")]
AFTER = [("hours", "0016_outbound_from_learning"), ("learning", "0009_outbound_moved_to_hours")]
SENT_AT = dt.datetime(2026, 3, 5, 1, 30, tzinfo=dt.UTC)
DESTINATION = {
    "key": "eeis",
    "name": "環境教育終身學習網",
    "label": "環境教育時數最後上傳時間",
    "selection": "environment",
    "transport": "http",
    "target": "http://127.0.0.1:9/hours",
    "is_active": True,
    "max_attempts": 3,
    "last_success_at": SENT_AT,
    "last_error": "",
}
BATCH = {
    "reference": "eeis-20260305093000-a1b2c3",
    "created_at": SENT_AT,
    "payload": '{"records": []}',
    "status": "sent",
    "attempts": 1,
    "last_error": "",
    "sent_at": SENT_AT,
}


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _rows(model, fields):
    return [tuple(row) for row in model.objects.order_by("pk").values_list(*fields)]


@pytest.mark.django_db(transaction=True)
def test_outbound_rows_move_to_the_hours_app_keyed_on_ledger_entries_and_back(learner, agency):
    # a completion whose hours were posted to the ledger, and one whose were not (the learner had refused then)
    consent_record(user=learner, share_hours=True)
    posted = complete(learner, make_course(agency, code="M-ENV1", category_code="339"))
    consent_record(user=learner, share_hours=False)
    unposted = complete(learner, make_course(agency, code="M-ENV2", category_code="337"))
    entry = LedgerEntry.objects.get(source_reference=f"enrolment:{posted.pk}")
    assert not LedgerEntry.objects.filter(source_reference=f"enrolment:{unposted.pk}").exists()

    # when both were in a batch of the learning app's tables
    old_apps = _migrate(BEFORE)
    old_destination = old_apps.get_model("learning", "OutboundDestination").objects.create(**DESTINATION)
    old_batch = old_apps.get_model("learning", "OutboundBatch").objects.create(destination=old_destination, **BATCH)
    OldItem = old_apps.get_model("learning", "OutboundItem")
    for enrolment in (posted, unposted):
        OldItem.objects.create(destination=old_destination, batch=old_batch, enrolment_id=enrolment.pk)

    # then the move carries every field of the destination and the batch
    new_apps = _migrate(AFTER)
    Destination = new_apps.get_model("hours", "OutboundDestination")
    Batch = new_apps.get_model("hours", "OutboundBatch")
    Item = new_apps.get_model("hours", "OutboundItem")
    assert _rows(Destination, list(DESTINATION)) == [tuple(DESTINATION.values())]
    [(batch_id, *batch)] = _rows(Batch, ["pk", *BATCH])
    assert tuple(batch) == tuple(BATCH.values())
    # and each item points at the ledger entry its completion posted; the one without an entry keeps its reference
    assert _rows(Item, ["batch_id", "ledger_entry_id", "reference"]) == [
        (batch_id, entry.pk, f"enrolment:{posted.pk}"),
        (batch_id, None, f"enrolment:{unposted.pk}"),
    ]
    tables = connection.introspection.table_names()
    assert "learning_outbounditem" not in tables and "hours_outbounditem" in tables

    # once the learner agrees, the unposted completion gets its ledger entry, yet neither is due again
    consent_record(user=learner, share_hours=True)
    assert LedgerEntry.objects.filter(source_reference=f"enrolment:{unposted.pk}").exists()
    assert due_entries(OutboundDestination.objects.get(), audience=outbound_audience) == []

    # backwards: the same rows in the learning app's tables, items on their enrolments again
    old_apps = _migrate(BEFORE)
    assert _rows(old_apps.get_model("learning", "OutboundDestination"), list(DESTINATION)) == [
        tuple(DESTINATION.values())
    ]
    assert [row[1:] for row in _rows(old_apps.get_model("learning", "OutboundBatch"), ["pk", *BATCH])] == [
        tuple(BATCH.values())
    ]
    assert [e for (e,) in _rows(old_apps.get_model("learning", "OutboundItem"), ["enrolment_id"])] == [
        posted.pk,
        unposted.pk,
    ]
    assert not old_apps.get_model("hours", "OutboundItem").objects.exists()

    # Back to the latest state for the tests after this one.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
