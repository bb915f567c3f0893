"""主管, 官等 and 職等 in the persons import: optional columns (a file without them imports and changes nothing of
them), every bad value named by row and column, all or nothing; the admin applies the same 官等/職等 check."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from civlearn.registry.models import Person
from civlearn.registry.services import registry_import
from civlearn.registry.tests.files import PERSON_HEADER, csv_file, xlsx_file

BASE = ["A123456789", "王小明", "0610101", "A09600000Q", "1040801", "11-一般人員", "公務人員", "xiaoming@example.tw"]
RANK_HEADER = [*PERSON_HEADER, "主管", "官等", "職等"]


def import_persons(file):
    return registry_import(kind="persons", file=file, filename=file.name, actor=None)


def errors_of(result):
    return [(e.row, e.column, e.message) for e in result.errors]


def ranks():
    return list(Person.objects.order_by("national_id").values_list("is_supervisor", "rank_class", "rank_grade"))


@pytest.mark.parametrize("make_file", [csv_file, lambda rows: xlsx_file(rows, name="p.xlsx")], ids=["csv", "xlsx"])
def test_rank_columns_are_imported(agency, make_file):
    rows = [
        RANK_HEADER,
        [*BASE, "是", "薦任", "7"],
        ["F131104093", "陳美玲", "065-03-15", "A09600000Q", "1990-08-01", "", "", "", "否", "簡任", "第12職等"],
        ["A223456781", "林一", "0650315", "A09600000Q", "1040801", "", "", "", "", "", ""],
    ]
    result = import_persons(make_file(rows))
    assert errors_of(result) == []
    assert ranks() == [(True, "junior", 7), (None, "", None), (False, "senior", 12)]


def test_a_file_without_the_columns_imports_and_keeps_what_was_recorded(agency):
    import_persons(csv_file([RANK_HEADER, [*BASE, "是", "委任", "5"]]))
    renamed = [*BASE]
    renamed[1] = "王大明"
    result = import_persons(csv_file([PERSON_HEADER, renamed]))
    assert errors_of(result) == [] and result.updated == 1
    assert ranks() == [(True, "elementary", 5)]
    # present and blank clears, as for the other optional columns
    import_persons(csv_file([RANK_HEADER, [*renamed, "", "", ""]]))
    assert ranks() == [(None, "", None)]


def test_bad_values_name_row_and_column_and_nothing_is_saved(agency):
    rows = [
        RANK_HEADER,
        [*BASE, "可能", "薦任", "7"],
        ["F131104093", "陳美玲", "0650315", "A09600000Q", "1040801", "", "", "", "否", "高等", ""],
        ["A223456781", "林一", "0650315", "A09600000Q", "1040801", "", "", "", "", "薦任", "15"],
        ["A100000010", "林二", "0650315", "A09600000Q", "1040801", "", "", "", "", "薦任", "10"],
        ["E123456783", "周三", "0650315", "A09600000Q", "1040801", "", "", "", "", "特任", "14"],
        ["B220000019", "吳四", "0650315", "A09600000Q", "1040801", "", "", "", "是", "委任", "3"],
    ]
    result = import_persons(csv_file(rows))
    assert errors_of(result) == [
        (2, "主管", "「可能」應為 是 或 否（或空白）"),
        (3, "官等", "「高等」應為 委任、薦任、簡任 或 特任（或空白）"),
        (4, "職等", "「15」應為 1 至 14 的職等（或空白）"),
        (5, "職等", "薦任為第 6 至第 9 職等"),
        (6, "職等", "特任沒有職等，請留空"),
    ]
    assert not Person.objects.exists()  # row 7 was right and is not saved either


def test_admin_refuses_a_grade_outside_its_rank(agency):
    from conftest import make_person

    person = make_person(agency, "A123456789", "王小明")
    person.rank_class, person.rank_grade = "elementary", 8
    with pytest.raises(ValidationError) as caught:
        person.full_clean()
    assert caught.value.message_dict["rank_grade"] == ["委任為第 1 至第 5 職等"]
    person.rank_grade = 5
    person.full_clean()
