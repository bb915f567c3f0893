import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from civlearn.core.models import AuditEvent
from civlearn.hours import categories
from civlearn.hours.models import Category, CategoryTable, LedgerEntry
from civlearn.hours.selectors import year_summary
from civlearn.hours.tests.factories import record, taipei

pytestmark = pytest.mark.django_db


def test_fresh_database_has_the_complete_2015_table_and_the_2024_table():
    t2015 = CategoryTable.objects.get(name="2015")
    t2024 = CategoryTable.objects.get(name="2024")

    assert (t2015.effective_from, t2015.categories.count()) == (dt.date(2015, 1, 1), 263)
    assert "mcdlee/LectureCSV" in t2015.source_note
    assert t2015.categories.get(code="350").level == 5
    assert t2024.effective_from == dt.date(2024, 1, 1)
    roots = list(t2024.categories.filter(parent_code="").order_by("code").values_list("name", flat=True))
    assert roots == [
        "政策能力訓練",
        "領導力發展(具管理訓練性質)",
        "機關業務知能訓練(具專業訓練性質)",
        "自我成長及其他(人文素養)",
    ]
    assert t2024.categories.get(code="522").name == "資通安全(通識)"
    assert "推定" in t2024.source_note


def test_parse_reports_every_bad_line():
    text = "# 測試\ncode,parent_code,name\n1,,根\n2,9,孤兒\n1,,重複\n3,,\n,1,無代碼\n"

    with pytest.raises(ValidationError) as caught:
        categories.parse_table(text)

    assert caught.value.messages == [
        "第 5 行：代碼 1 重複",
        "第 6 行：代碼 3 沒有名稱",
        "第 7 行：代碼空白",
        "代碼 2 的上層代碼 9 不在表中",
    ]


def test_parse_refuses_cycles_and_missing_columns():
    with pytest.raises(ValidationError) as caught:
        categories.parse_table("code,parent_code,name\n1,2,甲\n2,1,乙\n")
    assert caught.value.messages == ["代碼 1 的上層關係形成循環", "代碼 2 的上層關係形成循環"]

    with pytest.raises(ValidationError) as caught:
        categories.parse_table("code,name\n1,甲\n")
    assert caught.value.messages == ["標題列缺少欄位：parent_code（需要 code,parent_code,name）"]


def test_load_command_imports_a_new_table_from_big5(tmp_path):
    path = tmp_path / "official.csv"
    path.write_bytes("code,parent_code,name\nA,,政策能力訓練\nA1,A,資通安全(通識)\n".encode("big5"))

    call_command("load_categories", str(path), "--name", "2026", "--effective-from", "2026-01-01")

    table = CategoryTable.objects.get(name="2026")
    assert list(table.categories.values_list("code", "parent_code", "name", "level")) == [
        ("A", "", "政策能力訓練", 1),
        ("A1", "A", "資通安全(通識)", 2),
    ]
    assert AuditEvent.objects.get(action="hours.category_table_load").changes["codes"] == [None, 2]


def test_load_command_says_what_is_wrong_and_loads_nothing(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("code,parent_code,name\nA,Z,甲\n", encoding="utf-8")

    with pytest.raises(CommandError) as caught:
        call_command("load_categories", str(path), "--name", "2026", "--effective-from", "2026-01-01")
    assert str(caught.value) == "代碼 A 的上層代碼 Z 不在表中"
    with pytest.raises(CommandError) as caught:
        call_command("load_categories", str(path), "--name", "2026", "--effective-from", "2026/01/01")
    assert str(caught.value) == "生效日期格式不正確：2026/01/01（請用 YYYY-MM-DD）"
    assert not CategoryTable.objects.filter(name="2026").exists()


def test_replacing_a_table_never_rewrites_recorded_entries(
    learner_person, tmp_path, django_capture_on_commit_callbacks
):
    entry, _ = record(learner_person, code="337", hours="4")
    path = tmp_path / "official-2024.csv"
    path.write_text("code,parent_code,name\n900,,政策能力訓練\n901,900,環境教育\n", encoding="utf-8")

    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_categories", str(path), "--name", "2024", "--effective-from", "2024-01-01")

    entry.refresh_from_db()
    assert (entry.category_table.name, entry.category_code, entry.certified_hours) == ("2024", "337", Decimal("4.0"))
    assert LedgerEntry.objects.count() == 1
    assert Category.objects.filter(table__name="2024").count() == 2
    # New records are checked against the replacement table.
    with pytest.raises(ValidationError):
        record(learner_person, code="337", end=taipei(2024, 5, 1))
    record(learner_person, code="901", end=taipei(2024, 5, 1))
    assert year_summary(person=learner_person, year=2024).total == Decimal("5.0")


def test_two_tables_cannot_share_an_effective_date():
    with pytest.raises(ValidationError) as caught:
        categories.table_load(text="code,parent_code,name\n1,,甲\n", name="other", effective_from=dt.date(2024, 1, 1))

    assert caught.value.message_dict == {"effective_from": ["生效日期 2024-01-01 已由代碼表 2024 使用"]}


def test_admin_import_loads_a_table(client, operator):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(operator)
    upload = SimpleUploadedFile("t.csv", "code,parent_code,name\n1,,甲\n".encode(), content_type="text/csv")

    response = client.post(
        "/admin/hours/categorytable/import/", {"file": upload, "name": "2030", "effective_from": "2030-01-01"}
    )

    assert response.status_code == 302
    assert CategoryTable.objects.get(name="2030").categories.count() == 1
    page = client.get("/admin/hours/categorytable/").content.decode()
    assert "匯入代碼表（CSV）" in page


def test_admin_import_shows_errors_and_loads_nothing(client, operator):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(operator)
    upload = SimpleUploadedFile("t.csv", "code,parent_code,name\n1,7,甲\n".encode(), content_type="text/csv")

    response = client.post(
        "/admin/hours/categorytable/import/", {"file": upload, "name": "2030", "effective_from": "2030-01-01"}
    )

    assert response.status_code == 200
    assert "代碼 1 的上層代碼 7 不在表中" in response.content.decode()
    assert not CategoryTable.objects.filter(name="2030").exists()


def test_code_sets_must_name_loaded_tables_and_codes():
    from civlearn.hours.models import ReportingCategory, RequirementRule

    row = ReportingCategory(key="x", label="測試", measure="codes", codes={"2024": ["550", "999"], "1999": ["1"]})
    with pytest.raises(ValidationError) as caught:
        row.full_clean()
    assert caught.value.message_dict == {"codes": ["代碼表 2024 沒有代碼：999", "沒有名稱為 1999 的課程類別代碼表"]}

    rule = RequirementRule(key="y", label="測試", year_from=2024, minimum_hours=1, mode=7, codes={"2024": ["550"]})
    with pytest.raises(ValidationError) as caught:
        rule.full_clean()
    assert caught.value.message_dict == {"mode": ["學習性質 7 不正確"]}
