"""Outbound hours: what is due per destination, batches that are idempotent and retried, delivery to a real
local HTTP server and to a directory, failures visible to operators, and the last upload time on 學習紀錄."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command

from civlearn.core.models import AuditEvent
from civlearn.hours.models import LedgerEntry, OutboundBatch, OutboundDestination, OutboundItem
from civlearn.hours.services import ledger_entry_reverse
from civlearn.learning.catalogue.services import enrol
from civlearn.learning.completion.consent import consent_record
from civlearn.learning.completion.outbound import last_uploads, outbound_run
from civlearn.learning.completion.services import completion_evaluate
from civlearn.learning.home.profile import profile_get_or_create, profile_update
from civlearn.learning.models import Enrolment

from .conftest import make_course


class Receiver:
    """A real HTTP server on a free port that answers with the queued status codes (then 200) and keeps
    every body and Idempotency-Key it got."""

    def __init__(self):
        self.statuses: list[int] = []
        self.received: list[tuple[str, dict]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.headers["Idempotency-Key"], json.loads(body)))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hours"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def complete(user, course) -> Enrolment:
    enrolment = enrol(user=user, course=course)
    Enrolment.objects.filter(pk=enrolment.pk).update(reading_ms=course.required_reading_ms)
    assert completion_evaluate(enrolment=enrolment)
    enrolment.refresh_from_db()
    return enrolment


@pytest.fixture
def environment(receiver):
    return OutboundDestination.objects.create(
        key="eeis",
        name="環境教育終身學習網",
        label="環境教育時數最後上傳時間",
        selection=OutboundDestination.ENVIRONMENT,
        transport=OutboundDestination.HTTP,
        target=receiver.url,
        max_attempts=3,
    )


@pytest.fixture
def teachers(tmp_path):
    return OutboundDestination.objects.create(
        key="inservice",
        name="全國教師在職進修資訊網",
        label="教師研習時數最後上傳時間",
        selection=OutboundDestination.TEACHER,
        transport=OutboundDestination.DIRECTORY,
        target=str(tmp_path),
    )


def test_environmental_completions_go_once_to_the_http_destination(consenting_learner, agency, environment, receiver):
    env = make_course(agency, code="O-ENV", category_code="339", certified_hours=Decimal("2"))
    other = make_course(agency, code="O-POL", category_code="7")
    enrolment = complete(consenting_learner, env)
    complete(consenting_learner, other)
    # when the command runs twice
    assert outbound_run() == {"eeis": {"collected": 1, "sent": 1, "failed": 0}}
    assert outbound_run() == {"eeis": {"collected": 0, "sent": 0, "failed": 0}}
    # then one batch with only the environmental course went, under its reference
    batch = OutboundBatch.objects.get()
    [(key, body)] = receiver.received
    assert key == batch.reference and body["batch"] == batch.reference
    assert body["format"] == "civlearn-outbound/0.1 (provisional)"
    [record] = body["records"]
    assert (record["national_id"], record["course_code"], record["hours"], record["reference"]) == (
        "A123456789",
        "O-ENV",
        "2.0",
        f"enrolment:{enrolment.pk}",
    )
    environment.refresh_from_db()
    assert environment.last_success_at == batch.sent_at is not None
    assert last_uploads(user=consenting_learner) == [("環境教育時數最後上傳時間", batch.sent_at)]


def test_a_failed_delivery_is_visible_and_retried_with_the_same_batch(
    consenting_learner, agency, environment, receiver
):
    complete(consenting_learner, make_course(agency, code="O-ENV2", category_code="337"))
    receiver.statuses = [503]
    assert outbound_run() == {"eeis": {"collected": 1, "sent": 0, "failed": 1}}
    batch = OutboundBatch.objects.get()
    environment.refresh_from_db()
    assert (batch.status, batch.attempts, batch.last_error) == ("failed", 1, "HTTP 503")
    assert environment.last_error == f"{batch.reference}: HTTP 503" and environment.last_success_at is None
    assert last_uploads(user=consenting_learner) == [("環境教育時數最後上傳時間", None)]
    # the next run resends the same bytes under the same reference
    assert outbound_run() == {"eeis": {"collected": 0, "sent": 1, "failed": 0}}
    first, second = receiver.received
    assert first == second
    batch.refresh_from_db()
    assert (batch.status, batch.attempts, OutboundBatch.objects.count()) == ("sent", 2, 1)
    assert list(AuditEvent.objects.filter(action__startswith="learning.outbound").values_list("action", flat=True)) == [
        "learning.outbound_batch_created",
        "learning.outbound_failed",
        "learning.outbound_sent",
    ]


def test_retries_stop_after_the_maximum_attempts(consenting_learner, agency, environment, receiver):
    complete(consenting_learner, make_course(agency, code="O-ENV3", category_code="338"))
    receiver.statuses = [500, 500, 500, 500]
    for _ in range(4):
        outbound_run()
    batch = OutboundBatch.objects.get()
    assert (batch.status, batch.attempts, len(receiver.received)) == ("gave_up", 3, 3)


def test_an_unreachable_endpoint_is_a_recorded_failure(consenting_learner, agency, environment, receiver):
    receiver.close()
    complete(consenting_learner, make_course(agency, code="O-ENV4", category_code="339"))
    assert outbound_run()["eeis"]["failed"] == 1
    assert OutboundBatch.objects.get().last_error.startswith("連線失敗：")


def test_opted_in_teachers_go_to_the_directory_drop(consenting_learner, learner_person, agency, teachers, tmp_path):
    course = make_course(agency, code="O-T1", category_code="7")
    complete(consenting_learner, course)
    # not opted in yet: nothing is due
    assert outbound_run() == {"inservice": {"collected": 0, "sent": 0, "failed": 0}}
    profile_get_or_create(user=consenting_learner)
    profile_update(
        user=consenting_learner,
        actor=consenting_learner,
        values={"contact_email": "a@example.tw", "teacher_network": True},
    )
    assert outbound_run() == {"inservice": {"collected": 1, "sent": 1, "failed": 0}}
    batch = OutboundBatch.objects.get()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [f"{batch.reference}.json"]
    assert json.loads((tmp_path / files[0]).read_text("utf-8"))["records"][0]["course_code"] == "O-T1"


def test_a_learner_who_refused_to_share_hours_is_never_sent(learner, agency, environment, receiver):
    consent_record(user=learner, share_hours=False)
    complete(learner, make_course(agency, code="O-ENV5", category_code="339"))
    assert outbound_run() == {"eeis": {"collected": 0, "sent": 0, "failed": 0}}
    assert not OutboundItem.objects.exists() and receiver.received == []


def test_the_command_prints_each_destination(consenting_learner, agency, teachers, capsys):
    call_command("learning_outbound")
    assert capsys.readouterr().out == "inservice: collected 0, sent 0, failed 0\n"


def test_the_records_page_shows_each_destinations_last_upload(client, consenting_learner, agency, environment):
    complete(consenting_learner, make_course(agency, code="O-ENV6", category_code="339"))
    client.force_login(consenting_learner)
    assert "環境教育時數最後上傳時間: 尚未上傳" in client.get("/elearn/home/records/").content.decode()
    outbound_run()
    page = client.get("/elearn/home/records/").content.decode()
    assert "環境教育時數最後上傳時間: 尚未上傳" not in page and "環境教育時數最後上傳時間: 1" in page


def test_what_goes_is_the_certified_ledger_entries_that_stand(
    consenting_learner, agency, environment, receiver, operator
):
    cancelled = complete(consenting_learner, make_course(agency, code="O-ENV7", category_code="339"))
    kept = complete(consenting_learner, make_course(agency, code="O-ENV8", category_code="339"))
    # an entry reversed before the run (e.g. recorded twice) is not sent on
    ledger_entry_reverse(
        entry=LedgerEntry.objects.get(source_reference=f"enrolment:{cancelled.pk}"), reason="重複登錄", actor=operator
    )
    assert outbound_run() == {"eeis": {"collected": 1, "sent": 1, "failed": 0}}
    [(_, body)] = receiver.received
    assert [record["reference"] for record in body["records"]] == [f"enrolment:{kept.pk}"]
    # and the item is keyed on the ledger entry it sent
    item = OutboundItem.objects.get()
    assert (item.ledger_entry.source_kind, item.ledger_entry.source_reference, item.reference) == (
        LedgerEntry.SOURCE_ELEARN,
        f"enrolment:{kept.pk}",
        f"enrolment:{kept.pk}",
    )
