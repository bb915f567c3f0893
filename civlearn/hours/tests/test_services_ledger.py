import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from civlearn.core.models import AuditEvent
from civlearn.hours.models import LedgerEntry
from civlearn.hours.services import ledger_entry_reverse
from civlearn.hours.tests.factories import record, taipei

pytestmark = pytest.mark.django_db


def test_record_stores_the_entry_with_its_year_and_table_and_audits_it(learner_person):
    entry, created = record(learner_person, hours="2.5", code="337", reference="u-1", period="第1期")

    assert created is True
    entry.refresh_from_db()
    assert (entry.year, entry.category_table.name, entry.certified_hours) == (2024, "2024", Decimal("2.5"))
    event = AuditEvent.objects.get(action="hours.ledger_entry_record")
    assert event.subject_id == str(entry.pk)
    assert event.changes["certified_hours"] == [None, "2.5"]


def test_record_is_idempotent_on_source_reference(learner_person):
    first, _ = record(learner_person, hours="2", reference="u-1")

    again, created = record(learner_person, hours="3", reference="u-1")

    assert (again.pk, created) == (first.pk, False)
    assert LedgerEntry.objects.count() == 1
    assert AuditEvent.objects.filter(action="hours.ledger_entry_record").count() == 1


def test_same_reference_from_another_source_kind_is_another_entry(learner_person):
    record(learner_person, reference="r-1")

    _, created = record(learner_person, reference="r-1", source_kind="api")

    assert created is True
    assert LedgerEntry.objects.count() == 2


def test_year_is_the_taipei_year_of_the_actual_end(learner_person):
    late_on_new_years_eve = taipei(2024, 12, 31, 23, 30)  # 15:30 UTC, still 2024 everywhere
    just_after_midnight = taipei(2025, 1, 1, 0, 30)  # 2024-12-31 16:30 UTC, but 2025 in Taipei

    a, _ = record(learner_person, end=late_on_new_years_eve)
    b, _ = record(learner_person, end=just_after_midnight)

    assert just_after_midnight.astimezone(dt.UTC).year == 2024
    assert (a.year, b.year) == (2024, 2025)


def test_category_code_must_exist_in_the_table_in_force_on_the_end_date(learner_person):
    with pytest.raises(ValidationError) as caught:
        record(learner_person, code="522", end=taipei(2023, 12, 31, 17))

    assert caught.value.message_dict == {
        "category_code": ["課程類別代碼「522」：不是 2023-12-31 適用之課程類別代碼表中的代碼"]
    }
    assert LedgerEntry.objects.count() == 0

    entry, _ = record(learner_person, code="522", end=taipei(2024, 1, 1, 10))
    assert entry.category_table.name == "2024"


def test_bad_input_names_every_field_and_records_nothing(learner_person):
    with pytest.raises(ValidationError) as caught:
        record(
            learner_person,
            course_name=" ",
            mode=9,
            certified_hours=Decimal("3"),
            digital_hours=Decimal("1"),
            physical_hours=Decimal("1"),
            institution_code="",
        )

    assert caught.value.message_dict == {
        "course_name": ["課程名稱：必填欄位未填寫"],
        "institution_code": ["學習機關(構)代碼不可空白"],
        "mode": ["學習性質「9」：學習性質代碼不正確，應為 1 數位、2 實體、3 混成、4 遠距"],
        "certified_hours": ["訓練總數「3」：訓練總數應等於數位時數加實體時數（1 + 1 = 2）"],
    }
    assert LedgerEntry.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_end_before_start_and_negative_hours_are_refused(learner_person):
    end = taipei(2024, 3, 1, 9)
    with pytest.raises(ValidationError) as caught:
        record(learner_person, hours="-1", actual_start=end + dt.timedelta(hours=1), actual_end=end)

    assert caught.value.message_dict == {
        "certified_hours": ["訓練總數「-1」：應為不小於 0 的數字（最多 1 位小數），例如 2 或 1.5"],
        "digital_hours": ["數位時數「-1」：應為不小於 0 的數字（最多 1 位小數），例如 2 或 1.5"],
        "actual_end": ["實際上課結束日期：實際上課結束時間早於實際上課起始時間"],
    }


def test_manual_entry_needs_the_persons_hr_officer(learner_person, hr_officer, other_hr_officer):
    with pytest.raises(PermissionDenied):
        record(learner_person, source_kind="manual", actor=other_hr_officer)
    assert LedgerEntry.objects.count() == 0

    entry, created = record(learner_person, source_kind="manual", actor=hr_officer)
    assert created and entry.created_by == hr_officer


def test_reversal_by_hr_officer_negates_hours_and_is_audited(learner_person, hr_officer):
    entry, _ = record(learner_person, hours="2")

    reversal = ledger_entry_reverse(entry=entry, reason="重複登錄", actor=hr_officer)

    assert (reversal.certified_hours, reversal.digital_hours, reversal.year) == (Decimal("-2.0"), Decimal("-2.0"), 2024)
    assert (reversal.reverses, reversal.reason, reversal.created_by) == (entry, "重複登錄", hr_officer)
    entry.refresh_from_db()
    assert entry.certified_hours == Decimal("2.0")  # the original is never edited
    event = AuditEvent.objects.get(action="hours.ledger_entry_reverse")
    assert event.actor == hr_officer
    assert event.changes == {
        "reversed_by": [None, reversal.pk],
        "certified_hours": ["2.0", "0.0"],
        "reason": [None, "重複登錄"],
    }


def test_reversal_by_operator_and_by_hr_officer_of_parent_agency(sub_agency, hr_officer, operator):
    from conftest import make_person

    person = make_person(sub_agency, "D120000000", "附設人員")
    first, _ = record(person)
    second, _ = record(person)

    ledger_entry_reverse(entry=first, reason="誤植", actor=hr_officer)
    ledger_entry_reverse(entry=second, reason="誤植", actor=operator)

    assert LedgerEntry.objects.filter(source_kind="reversal").count() == 2


@pytest.mark.parametrize("who", ["learner", "other_hr_officer"])
def test_reversal_refused_for_others_and_nothing_changes(who, request, learner_person):
    actor = request.getfixturevalue(who)
    entry, _ = record(learner_person)

    with pytest.raises(PermissionDenied) as caught:
        ledger_entry_reverse(entry=entry, reason="不該可以", actor=actor)

    assert str(caught.value) == "您沒有沖銷此人員學習時數的權限"
    assert LedgerEntry.objects.count() == 1
    assert AuditEvent.objects.filter(action="hours.ledger_entry_reverse").count() == 0


def test_reversal_needs_a_reason_and_happens_once(learner_person, hr_officer):
    entry, _ = record(learner_person)

    with pytest.raises(ValidationError) as caught:
        ledger_entry_reverse(entry=entry, reason="  ", actor=hr_officer)
    assert caught.value.message_dict == {"reason": ["請輸入沖銷原因"]}

    reversal = ledger_entry_reverse(entry=entry, reason="重複", actor=hr_officer)
    with pytest.raises(ValidationError) as caught:
        ledger_entry_reverse(entry=entry, reason="再一次", actor=hr_officer)
    assert caught.value.message_dict == {"entry": ["此紀錄已沖銷"]}
    with pytest.raises(ValidationError) as caught:
        ledger_entry_reverse(entry=reversal, reason="沖銷沖銷", actor=hr_officer)
    assert caught.value.message_dict == {"entry": ["沖銷紀錄不可再沖銷"]}
    assert LedgerEntry.objects.count() == 2
    assert AuditEvent.objects.filter(action="hours.ledger_entry_reverse").count() == 1


def test_admin_reverse_action_asks_for_a_reason_then_reverses_all(client, operator, learner_person):
    first, _ = record(learner_person, hours="2")
    second, _ = record(learner_person, hours="3")
    client.force_login(operator)
    selected = {"action": "reverse_selected", "_selected_action": [first.pk, second.pk]}

    page = client.post("/admin/hours/ledgerentry/", selected)
    assert page.status_code == 200
    assert "沖銷原因" in page.content.decode() and "A12345****" in page.content.decode()
    assert LedgerEntry.objects.count() == 2

    client.post("/admin/hours/ledgerentry/", {**selected, "reason": "機構重複上傳"})

    reversals = LedgerEntry.objects.filter(source_kind="reversal").order_by("reverses_id")
    assert [(r.reverses_id, r.certified_hours, r.reason) for r in reversals] == [
        (first.pk, Decimal("-2.0"), "機構重複上傳"),
        (second.pk, Decimal("-3.0"), "機構重複上傳"),
    ]


def test_admin_reverse_action_is_all_or_nothing(client, operator, learner_person):
    first, _ = record(learner_person, hours="2")
    second, _ = record(learner_person, hours="3")
    ledger_entry_reverse(entry=second, reason="先沖銷", actor=operator)
    client.force_login(operator)

    response = client.post(
        "/admin/hours/ledgerentry/",
        {"action": "reverse_selected", "_selected_action": [first.pk, second.pk], "reason": "再試"},
        follow=True,
    )

    assert f"沒有沖銷任何紀錄：紀錄 {second.pk}：此紀錄已沖銷" in response.content.decode()
    assert LedgerEntry.objects.filter(source_kind="reversal").count() == 1


def test_the_database_itself_refuses_a_second_reversal_of_one_entry(learner_person, hr_officer):
    # The service checks first; the (partial, on PostgreSQL) unique index is the guarantee under concurrency.
    entry, _ = record(learner_person)
    reversal = ledger_entry_reverse(entry=entry, reason="重複", actor=hr_officer)
    second = LedgerEntry.objects.get(pk=reversal.pk)
    second.pk = None
    second.source_reference = f"{reversal.source_reference}-again"
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()
    assert LedgerEntry.objects.count() == 2


@pytest.mark.postgresql
@pytest.mark.skipif(connection.vendor != "postgresql", reason="partial indexes are PostgreSQL's here")
def test_columns_empty_on_most_rows_have_partial_indexes(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'hours_ledgerentry'"
            " AND (indexdef LIKE '%%(created_by_id)%%' OR indexdef LIKE '%%(reverses_id)%%') ORDER BY indexname"
        )
        rows = cursor.fetchall()
    assert [(name, "UNIQUE" in text, text.endswith("IS NOT NULL)")) for name, text in rows] == [
        ("hours_ledger_created_by", False, True),
        ("hours_ledger_reverses_unique", True, True),
    ]
