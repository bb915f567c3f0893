"""One checker for every ledger record of an institution (batch.RecordChecker): the rows of a file share what
repeats, and each row still gets exactly the answer a fresh check of that row alone gives."""

from __future__ import annotations

import datetime as dt

import pytest

from civlearn.hours import batch
from civlearn.hours.tests.batch_fixtures import ROW
from civlearn.hours.tests.test_batch_parse import CASES, HEADER, PEOPLE, line, parse

TODAY = dt.date(2024, 6, 1)
CODES = frozenset({"339", "337"})
INSTITUTION = "A09600000Q"


def checker() -> batch.RecordChecker:
    return batch.RecordChecker(institution_code=INSTITUTION, category_codes_for=lambda day: CODES, today=TODAY)


# A checker that has already seen every kind of row below, right and wrong: what it remembers must never change
# another row's answer.
WARM = checker()


def both(values: dict[str, str]):
    """(row from the warm checker, row of a fresh check, the fresh check's errors) for one record; the warm
    checker's errors are asserted equal on the way."""
    record = {key: values.get(key, "") for key in batch.KEYS}
    warm, warm_errors = WARM.check(record, line=2, clean=True)
    full, errors = batch.validate_record(
        record, line=2, institution_code=INSTITUTION, category_codes_for=lambda day: CODES, today=TODAY
    )
    assert warm_errors == errors
    return warm, full, errors


GOOD_VARIANTS = [
    {},
    {"period": "", "course_code": ""},
    {"birthday": ""},
    {"mode": "2", "digital_hours": "0", "physical_hours": "2"},
    {"mode": "3", "certified_hours": "1.5", "digital_hours": "0.5", "physical_hours": "1"},
    {"certified_hours": "２", "digital_hours": "２"},
    {"actual_start_time": "9:00", "actual_end_time": "11:30"},
    {"actual_start_date": "1130321", "actual_end_date": "113/3/21"},
    {"job_related": "是", "self_applied_leave": "Y"},
    {"job_related": "N", "self_applied_leave": "否"},
    {"national_id": "B220000000", "name": "李大華"},
    {"course_name": "課" * 200, "course_code": "C" * 50, "period": "P" * 50},
    {"score": "甲", "certificate_no": "證 123", "attendance_note": "全勤"},
]


@pytest.mark.parametrize("changes", GOOD_VARIANTS)
def test_a_right_row_is_the_same_row_either_way(changes):
    for _ in range(2):  # the second time from what the checker remembers
        warm, full, errors = both({**ROW, **changes})

        assert errors == []
        assert warm is not None
        assert warm == full
        assert warm.source_reference == full.source_reference


@pytest.mark.parametrize(
    "changes",
    [
        {"national_id": "a123456789"},  # lower case: civlearn.core.national_id normalizes it
        {"national_id": "A800000014"},  # a resident number
        {"mode": "01"},
        {"job_related": "y", "self_applied_leave": "true"},
    ],
)
def test_other_accepted_forms_are_accepted_either_way(changes):
    warm, full, errors = both({**ROW, **changes})

    assert errors == []
    assert full is not None
    assert warm == full


@pytest.mark.parametrize(("changes", "expected"), CASES)
def test_every_problem_is_named_the_same_either_way(changes, expected):
    for _ in range(2):
        warm, full, errors = both({**ROW, **changes})

        if expected.endswith("人事資料庫查無此人員"):
            # The registry is the caller's question: as far as the row goes, it is right either way.
            assert (warm, errors) == (full, [])
        else:
            assert warm is None
            assert [e.text for e in errors] == [expected]


def test_a_long_name_is_reported():
    warm, _full, errors = both({**ROW, "name": "王" * 101})

    assert warm is None
    assert [e.text for e in errors] == ["第 2 列「姓名」值「" + "王" * 20 + "…」：長度超過 100 字"]


def test_a_file_of_rows_in_several_forms_reads_as_each_row_on_its_own():
    rows = [line(), line(national_id="b220000000"), line(period="2", mode="9"), line(period="3", job_related="")]
    text = "\n".join([HEADER, *rows]) + "\n"

    result = parse(text)

    assert [e.text for e in result.errors] == [
        "第 4 列「學習性質」值「9」：學習性質代碼不正確，應為 1 數位、2 實體、3 混成、4 遠距"
    ]
    assert [(r.line, r.national_id, r.person_id) for r in result.rows] == [
        (2, "A123456789", PEOPLE["A123456789"]),
        (3, "B220000000", PEOPLE["B220000000"]),
        (5, "A123456789", PEOPLE["A123456789"]),
    ]


def test_the_national_id_is_checked_by_the_core_module_only():
    from pathlib import Path

    source = (Path(batch.__file__)).read_text(encoding="utf-8")

    assert "nid.validate(" in source
    assert "LETTER_VALUES" not in source and "_checksum" not in source
    assert not (Path(batch.__file__).parent / "batch_fast.py").exists()


def test_the_file_is_read_in_chunks_with_one_registry_question_each():
    asked: list[set[str]] = []

    def people_for(ids):
        asked.append(set(ids))
        return {i: PEOPLE[i] for i in ids if i in PEOPLE}

    lines = [line(period=str(n)) for n in range(5)] + [line(period="9", national_id="C123456781")]
    result = batch.ParseResult()
    chunks = list(
        batch.iter_upload(
            ("\n".join([HEADER, *lines]) + "\n").encode(),
            result=result,
            institution_code=INSTITUTION,
            category_codes_for=lambda day: CODES,
            people_for=people_for,
            today=TODAY,
            chunk_rows=2,
        )
    )

    assert [[r.line for r in chunk] for chunk in chunks] == [[2, 3], [4, 5], [6]]
    assert asked == [{"A123456789"}, {"A123456789"}, {"A123456789", "C123456781"}]
    assert [e.text for e in result.errors] == ["第 7 列「身分證字號」值「C12345****」：人事資料庫查無此人員"]
    assert (result.total_rows, result.invalid_count) == (6, 1)
