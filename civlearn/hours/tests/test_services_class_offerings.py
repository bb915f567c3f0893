"""開班資料 by file: a class split over two codes, every bad row reported, all or nothing, idempotent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from civlearn.core.models import AuditEvent
from civlearn.hours.classes import offerings
from civlearn.hours.models import ClassOffering, ClassPortion, ClassSession
from civlearn.hours.tests.classes_fixtures import approved_institution, class_row, csv_bytes, ods_bytes, two_code_rows


@pytest.fixture
def institution(learner):
    return approved_institution(learner)


def test_a_big5_file_creates_one_class_split_over_two_codes_and_a_second_upload_updates_it(learner, institution):
    data = csv_bytes([record for _, record in two_code_rows()], encoding="big5")
    records = offerings.read_file(SimpleUploadedFile("classes.csv", data), "classes.csv")

    result = offerings.offerings_save(actor=learner, institution=institution, records=records)

    offering = ClassOffering.objects.get()
    assert (result.created, result.updated) == (1, 0)
    assert (offering.title, offering.mode, offering.total_hours, offering.physical_hours) == (
        "臺中氣候變遷與環境教育研習班",
        2,
        Decimal("5.0"),
        Decimal("5.0"),
    )
    assert list(ClassPortion.objects.values_list("position", "category_code", "physical_hours")) == [
        (1, "339", Decimal("3.0")),
        (2, "510", Decimal("2.0")),
    ]
    assert [f"{s.starts_at.astimezone():%m-%d %H:%M}" for s in ClassSession.objects.all()] == [
        "12-15 09:00",
        "12-15 13:00",
    ]
    assert "臺中" in offering.search_text and "台" not in offering.search_text
    assert (offering.capacity, offering.waitlist_limit, offering.county_code) == (2, 5, "40")

    # the same class code + 期別 again, with a new title: updated, not duplicated
    again = offerings.offerings_save(
        actor=learner, institution=institution, records=two_code_rows(title="氣候變遷研習班（更新）")
    )
    assert (again.created, again.updated) == (0, 1)
    assert list(ClassOffering.objects.values_list("title", flat=True)) == ["氣候變遷研習班（更新）"]
    assert ClassPortion.objects.count() == 2
    assert ClassSession.objects.count() == 2
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "hours.class_offering_create",
        "hours.class_offering_update",
    ]


def test_every_bad_row_is_reported_and_nothing_is_saved(learner, institution):
    records = [
        (2, class_row(class_code="OK1")),
        (
            3,
            class_row(
                class_code="BAD",
                mode="9",
                category_code="999",
                physical_hours="abc",
                county_code="77",
                sessions="115-12-15 12:00-09:00",
                registration_opens="115-13-01",
                capacity="0",
                agencies="ZZZZZZZZZZ",
                hr_approval="maybe",
            ),
        ),
        (4, class_row(class_code="OK1", title="不同名稱", category_code="510")),
    ]

    with pytest.raises(offerings.OfferingErrors) as caught:
        offerings.offerings_save(actor=learner, institution=institution, records=records)

    assert [str(problem) for problem in caught.value.problems] == [
        "第 3 列「上課時段」（115-12-15 12:00-09:00）：結束時間應晚於起始時間",
        "第 3 列「上課縣市」（77）：不是已知的上課縣市代碼",
        "第 3 列「名額」（0）：名額應至少 1 人",
        "第 3 列「報名開始日期」（115-13-01）：日期不存在，請檢查月份與日期",
        "第 3 列「學習性質」（9）：應為 1 數位、2 實體、3 混成 或 4 遠距",
        "第 3 列「實體時數」（abc）：應為 0 至 9999.9 的數字，最多一位小數",
        "第 3 列「課程類別代碼」（999）：不在 2024 代碼表中",
        "第 3 列「限定機關代碼」（ZZZZZZZZZZ）：機關代碼不存在：ZZZZZZZZZZ",
        "第 3 列「須人事單位審核」（maybe）：應為 是 或 否",
        "第 4 列「班別名稱」（不同名稱）：同一班別期別各列應相同（第 2 列為「臺中氣候變遷與環境教育研習班」）",
    ]
    assert not ClassOffering.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_file_without_required_columns_names_them(learner, institution):
    data = "班別代碼,期別\nA,1\n".encode()
    with pytest.raises(offerings.OfferingErrors) as caught:
        offerings.read_file(SimpleUploadedFile("c.csv", data), "c.csv")
    assert [str(p) for p in caught.value.problems] == [
        "第 1 列：缺少必要欄位：班別名稱、學習性質、課程類別代碼、數位時數、實體時數、上課縣市、上課時段、"
        "報名開始日期、報名截止日期、名額"
    ]


def test_someone_outside_the_institution_cannot_publish(hr_officer, learner, institution):
    with pytest.raises(PermissionDenied):
        offerings.offerings_save(actor=hr_officer, institution=institution, records=two_code_rows())
    assert not ClassOffering.objects.exists()


def test_an_ods_file_reads_like_the_csv_and_saves_the_same_class(learner, institution):
    records = [record for _, record in two_code_rows()]
    data = ods_bytes(records)
    assert data[:2] == b"PK"  # a real OpenDocument package

    from_ods = offerings.read_file(SimpleUploadedFile("classes.ods", data), "classes.ods")
    from_csv = offerings.read_file(SimpleUploadedFile("classes.csv", csv_bytes(records)), "classes.csv")

    def filled(rows):  # a spreadsheet drops trailing empty cells; an absent column reads as empty
        return [(number, {key: text for key, text in record.items() if text}) for number, record in rows]

    assert filled(from_ods) == filled(from_csv)  # number cells (3, 2) read as the CSV's text

    result = offerings.offerings_save(actor=learner, institution=institution, records=from_ods)
    assert (result.created, result.updated) == (1, 0)
    assert list(ClassPortion.objects.values_list("category_code", "physical_hours")) == [
        ("339", Decimal("3.0")),
        ("510", Decimal("2.0")),
    ]


def test_a_bad_ods_file_gets_the_csv_row_errors_and_saves_nothing(learner, institution):
    records = [class_row(capacity="x", county_code="77"), class_row(class_code="B", physical_hours="0")]
    problems = {}
    for name, data in (("c.csv", csv_bytes(records)), ("c.ods", ods_bytes(records))):
        with pytest.raises(offerings.OfferingErrors) as caught:
            offerings.offerings_save(
                actor=learner,
                institution=institution,
                records=offerings.read_file(SimpleUploadedFile(name, data), name),
            )
        problems[name] = [str(problem) for problem in caught.value.problems]
    assert (
        problems["c.ods"]
        == problems["c.csv"]
        == [
            "第 2 列「上課縣市」（77）：不是已知的上課縣市代碼",
            "第 2 列「名額」（x）：應為 0 以上的整數",
            "第 3 列「實體時數」（0）：數位時數與實體時數合計應大於 0",
        ]
    )
    assert not ClassOffering.objects.exists()
