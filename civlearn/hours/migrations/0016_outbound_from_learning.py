"""Carry the outbound destinations, batches and items across from the learning app (learning 0004_outbound) to the
hours app, where they belong with the exchange.

An item pointed at an enrolment; here it points at the ledger entry the enrolment's completion posted (source
`elearn`, reference `enrolment:<id>`, civlearn/learning/completion/services.py) and keeps that reference, which is
also the record's `reference` in the batch the receiver got. An item whose completion has no ledger entry (its hours
were never posted: the posting failed, or the learner's consent came later) is carried with no entry but with its
reference, so the completion is still not sent a second time once its entry is written. Backwards, every item goes
back to its enrolment through the reference."""

from django.db import migrations

ELEARN = "elearn"
PREFIX = "enrolment:"

DESTINATION_FIELDS = (
    "key", "name", "label", "selection", "transport", "target", "is_active", "max_attempts", "last_success_at",
    "last_error",
)  # fmt: skip
BATCH_FIELDS = ("reference", "created_at", "payload", "status", "attempts", "last_error", "sent_at")


def _copy(source_app: str, target_app: str, apps):
    """Destinations and batches from one app to the other; returns (destination id map, batch id map)."""
    old_destination = apps.get_model(source_app, "OutboundDestination")
    new_destination = apps.get_model(target_app, "OutboundDestination")
    old_batch = apps.get_model(source_app, "OutboundBatch")
    new_batch = apps.get_model(target_app, "OutboundBatch")
    destinations, batches = {}, {}
    for old in old_destination.objects.order_by("pk"):
        destinations[old.pk] = new_destination.objects.create(
            **{name: getattr(old, name) for name in DESTINATION_FIELDS}
        ).pk
    for old in old_batch.objects.order_by("pk"):
        batches[old.pk] = new_batch.objects.create(
            destination_id=destinations[old.destination_id], **{name: getattr(old, name) for name in BATCH_FIELDS}
        ).pk
    return destinations, batches


def _clear(app: str, apps):
    for name in ("OutboundItem", "OutboundBatch", "OutboundDestination"):
        apps.get_model(app, name).objects.all().delete()


def forwards(apps, schema_editor):
    destinations, batches = _copy("learning", "hours", apps)
    old_item = apps.get_model("learning", "OutboundItem")
    new_item = apps.get_model("hours", "OutboundItem")
    ledger = apps.get_model("hours", "LedgerEntry")
    items = list(old_item.objects.order_by("pk").values_list("destination_id", "batch_id", "enrolment_id"))
    references = {f"{PREFIX}{enrolment_id}" for _, _, enrolment_id in items}
    entries: dict[str, int] = {}
    chunk = sorted(references)
    for start in range(0, len(chunk), 500):
        entries.update(
            ledger.objects.filter(source_kind=ELEARN, source_reference__in=chunk[start : start + 500]).values_list(
                "source_reference", "pk"
            )
        )
    new_item.objects.bulk_create(
        (
            new_item(
                destination_id=destinations[destination_id],
                batch_id=batches[batch_id],
                ledger_entry_id=entries.get(f"{PREFIX}{enrolment_id}"),
                reference=f"{PREFIX}{enrolment_id}",
            )
            for destination_id, batch_id, enrolment_id in items
        ),
        batch_size=1000,
    )
    _clear("learning", apps)


def backwards(apps, schema_editor):
    destinations, batches = _copy("hours", "learning", apps)
    new_item = apps.get_model("hours", "OutboundItem")
    old_item = apps.get_model("learning", "OutboundItem")
    enrolments = set(apps.get_model("learning", "Enrolment").objects.values_list("pk", flat=True))
    rows = []
    for destination_id, batch_id, reference in new_item.objects.order_by("pk").values_list(
        "destination_id", "batch_id", "reference"
    ):
        # Only e-learning completions are ever collected, so every reference names an enrolment.
        enrolment_id = int(reference.removeprefix(PREFIX)) if reference.startswith(PREFIX) else None
        if enrolment_id in enrolments:
            rows.append(
                old_item(
                    destination_id=destinations[destination_id],
                    batch_id=batches[batch_id],
                    enrolment_id=enrolment_id,
                )
            )
    old_item.objects.bulk_create(rows, batch_size=1000)
    _clear("hours", apps)


class Migration(migrations.Migration):
    dependencies = [
        ("hours", "0015_outbound_batches_of_ledger_entries"),
        # The tables the rows come from (and go back to).
        ("learning", "0008_merge_scorm_partners_gaps"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
