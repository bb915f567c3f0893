"""hours.mapping: the category-code mapping as a file — read, checked, previewed, applied all or nothing, exported."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from civlearn.core.models import AuditEvent
from civlearn.hours import mapping, rules
from civlearn.hours.models import ReportingCategory, RequirementRule

pytestmark = pytest.mark.django_db

HEADER = "table,code,kind,key,year_from\n"


def _csv(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8"))


def _snapshot():
    return (
        list(ReportingCategory.objects.order_by("pk").values_list("key", "codes")),
        list(RequirementRule.objects.order_by("pk").values_list("key", "codes")),
    )


def _exported(file_format: str) -> io.BytesIO:
    content, _type, _name = mapping.mapping_export(file_format=file_format)
    return io.BytesIO(content)


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "ods"])
def test_an_export_read_back_changes_nothing(file_format):
    plan = mapping.mapping_plan(file=_exported(file_format), filename=f"m.{file_format}")

    assert mapping.mapping_changes(plan) == []
    assert plan.mapping == mapping.current_mapping()


def test_the_export_lists_rows_then_national_rules_with_their_year():
    lines = mapping.mapping_rows()

    assert lines[0] == ["table", "code", "kind", "key", "year_from"]
    assert ["2015", "366", "row", "gender-advanced", ""] in lines
    assert ["2024", "521", "row", "infosec-professional", ""] in lines
    assert ["2024", "510", "rule", "policy", "2024"] in lines
    assert ["2024", "520", "rule", "policy", "2024"] in lines
    # Rows with another measure (通過總學習時數) and the components' union (required-total) are not mappable.
    assert not [line for line in lines if line[3] in ("total", "required-total")]


def test_preview_says_what_is_added_and_removed_per_target():
    lines = [line for line in mapping.mapping_rows()[1:] if line[3] != "human-rights"]
    lines.append(["2024", "550", "row", "transitional-justice", ""])
    lines.remove(["2024", "510", "rule", "policy", "2024"])
    text = HEADER + "".join(",".join(line) + "\n" for line in lines)

    changes = mapping.mapping_changes(mapping.mapping_plan(file=_csv(text), filename="m.csv"))

    assert [(c.kind, c.key, c.year_from, c.label, c.added, c.removed) for c in changes] == [
        ("row", "human-rights", None, "人權教育類學習總時數", [], [("2024", "550")]),
        ("row", "transitional-justice", None, "轉型正義類學習總時數", [("2024", "550")], []),
        ("rule", "policy", 2024, "當前政府重大政策(1小時)", [], [("2024", "510")]),
    ]


def test_applying_writes_every_change_with_an_audit_event_and_refreshes_the_rule_book(
    operator, django_capture_on_commit_callbacks
):
    old_book = rules.book()  # built and cached before the change
    text = HEADER + "2024,550,row,human-rights,\n2024,560,row,human-rights,\n"
    plan = mapping.mapping_plan(file=_csv(text), filename="m.csv")
    before = mapping.current_mapping()

    with django_capture_on_commit_callbacks(execute=True):
        changes = mapping.mapping_apply(actor=operator, plan=plan, expected=mapping.fingerprint(before))

    assert ReportingCategory.objects.get(key="human-rights").codes == {"2024": ["550", "560"]}
    # The file is the whole mapping: every other target lost its codes.
    assert ReportingCategory.objects.get(key="infosec").codes == {}
    assert RequirementRule.objects.get(key="policy", agency__isnull=True).codes == {}
    events = AuditEvent.objects.filter(action="hours.category_mapping_change")
    assert events.count() == len(changes)
    human_rights = ReportingCategory.objects.get(key="human-rights")
    event = events.get(subject_type="hours.reportingcategory", subject_id=str(human_rights.pk))
    assert event.actor == operator
    assert event.changes == {"codes": [{"2024": ["550"]}, {"2024": ["550", "560"]}]}
    assert rules.book() is not old_book


def test_every_bad_line_is_reported_by_row_number_and_nothing_changes(operator):
    before = _snapshot()
    text = (
        HEADER
        + "2024,550,row,human-rights,\n"
        + "2024,999,row,human-rights,\n"
        + "2030,550,row,human-rights,\n"
        + "2024,550,row,no-such-row,\n"
        + "2024,550,row,total,\n"
        + "2024,510,rule,policy,\n"
        + "2024,510,rule,policy,2019\n"
        + "2024,510,rule,required-total,2024\n"
        + "2024,510,target,policy,2024\n"
        + "2024,550,row,human-rights,\n"
        + "2024,550,row,human-rights,2024\n"
    )

    with pytest.raises(mapping.MappingFileError) as caught:
        mapping.mapping_plan(file=_csv(text), filename="m.csv")

    assert [(p.row, p.message) for p in caught.value.problems] == [
        (3, "代碼表 2024 沒有代碼「999」"),
        (4, "沒有名稱為「2030」的課程類別代碼表"),
        (5, "沒有識別碼為 no-such-row 的統計類別"),
        (6, "統計類別 total 的計算方式為「全部時數」，不依課程類別代碼計算"),
        (7, "時數規定須填 year_from（適用起始年度，西元四位數）"),
        (8, "沒有識別碼為 policy、2019 年起適用的全國時數規定"),
        (9, "時數規定 required-total 的計算範圍為「各子項課程類別之聯集」，不依課程類別代碼計算"),
        (10, "kind 應為 row（統計類別）或 rule（時數規定），而非「target」"),
        (11, "與第 2 列重複"),
        (12, "統計類別不填 year_from"),
    ]
    assert _snapshot() == before


def test_a_wrong_header_or_a_broken_file_is_refused_with_its_reason():
    with pytest.raises(mapping.MappingFileError) as caught:
        mapping.mapping_plan(file=_csv("代碼,統計類別\n2024,550\n"), filename="m.csv")
    assert [(p.row, p.message) for p in caught.value.problems] == [
        (1, "第 1 列應為欄位名稱 table,code,kind,key,year_from")
    ]

    with pytest.raises(mapping.MappingFileError) as caught:
        mapping.mapping_plan(file=io.BytesIO(b"PK\x03\x04broken"), filename="m.xlsx")
    assert [p.message for p in caught.value.problems] == ["檔案無法以 Excel（.xlsx）格式開啟，請確認檔案未損壞"]


def test_english_messages_through_i18n():
    from django.utils import translation

    with translation.override("en"), pytest.raises(mapping.MappingFileError) as caught:
        mapping.mapping_plan(file=_csv(HEADER + "2024,999,row,human-rights,\n"), filename="m.csv")
    assert [(p.row, p.message) for p in caught.value.problems] == [(2, "Code table 2024 has no code “999”")]


def test_a_person_without_the_admin_permissions_cannot_apply(hr_officer):
    before = _snapshot()
    plan = mapping.mapping_plan(file=_csv(HEADER), filename="m.csv")

    with pytest.raises(PermissionDenied):
        mapping.mapping_apply(actor=hr_officer, plan=plan)

    assert _snapshot() == before
    assert not AuditEvent.objects.filter(action="hours.category_mapping_change").exists()


def test_a_mapping_changed_after_the_preview_is_not_overwritten(operator):
    plan = mapping.mapping_plan(file=_csv(HEADER + "2024,550,row,human-rights,\n"), filename="m.csv")
    seen = mapping.fingerprint(mapping.current_mapping())
    ReportingCategory.objects.filter(key="infosec").update(codes={"2024": ["520", "522"]})
    before = _snapshot()

    with pytest.raises(ValidationError) as caught:
        mapping.mapping_apply(actor=operator, plan=plan, expected=seen)

    assert caught.value.messages == ["課程類別對應在預覽之後已被變更，請重新上傳檔案並確認預覽"]
    assert _snapshot() == before


def test_the_command_loads_prints_the_changes_and_exports(tmp_path):
    exported = tmp_path / "mapping.xlsx"
    call_command("category_mapping", "export", str(exported), stdout=io.StringIO())
    source = tmp_path / "mapping.csv"
    source.write_text(HEADER + "2024,550,row,human-rights,\n2024,560,row,human-rights,\n", encoding="utf-8")

    dry = io.StringIO()
    call_command("category_mapping", "load", str(source), "--dry-run", stdout=dry)
    assert "統計類別 human-rights「人權教育類學習總時數」 新增 2024:560；移除 —" in dry.getvalue()
    assert ReportingCategory.objects.get(key="human-rights").codes == {"2024": ["550"]}

    out = io.StringIO()
    call_command("category_mapping", "load", str(source), stdout=out)
    assert ReportingCategory.objects.get(key="human-rights").codes == {"2024": ["550", "560"]}
    assert AuditEvent.objects.filter(action="hours.category_mapping_change", actor__isnull=True).exists()

    call_command("category_mapping", "load", str(exported), stdout=io.StringIO())
    assert ReportingCategory.objects.get(key="human-rights").codes == {"2024": ["550"]}
    assert RequirementRule.objects.get(key="policy", agency__isnull=True).codes == {"2024": ["510", "520"]}


def test_the_command_lists_every_bad_line(tmp_path):
    source = tmp_path / "bad.csv"
    source.write_text(HEADER + "2024,999,row,human-rights,\n2024,550,row,nope,\n", encoding="utf-8")

    with pytest.raises(CommandError) as caught:
        call_command("category_mapping", "load", str(source), stdout=io.StringIO())

    assert str(caught.value) == (
        "檔案有誤，沒有任何變更：\n第 2 列：代碼表 2024 沒有代碼「999」\n第 3 列：沒有識別碼為 nope 的統計類別"
    )
