"""The quick check of upload rows: it accepts only what validate_record accepts, and builds the very same row."""

from __future__ import annotations

import datetime as dt

import pytest

from civlearn.hours import batch, batch_fast
from civlearn.hours.tests.batch_fixtures import ROW
from civlearn.hours.tests.test_batch_parse import CASES, HEADER, PEOPLE, line, parse

TODAY = dt.date(2024, 6, 1)
CODES = frozenset({"339", "337"})
INSTITUTION = "A09600000Q"


def checker(keys=batch.KEYS) -> batch_fast.RowChecker:
    return batch_fast.RowChecker(
        positions={key: index for index, key in enumerate(keys)},
        width=len(keys),
        institution_code=INSTITUTION,
        category_codes_for=lambda day: CODES,
        today=TODAY,
        known_modes=batch.modes(),
        zone=batch.local_zone(),
    )


def both(values: dict[str, str]):
    """(quick row or None, full row or None, full errors) for one record in the file's column order."""
    record = {key: values.get(key, "") for key in batch.KEYS}
    quick = checker()([*record.values(), ""], 2)
    full, errors = batch.validate_record(
        record, line=2, institution_code=INSTITUTION, category_codes_for=lambda day: CODES, today=TODAY
    )
    return quick, full, errors


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
    quick, full, errors = both({**ROW, **changes})

    assert errors == []
    assert quick is not None
    assert quick == full
    assert quick.source_reference == full.source_reference


@pytest.mark.parametrize(
    "changes",
    [
        {"national_id": "a123456789"},  # lower case: validate_record normalizes it
        {"national_id": "A800000014"},  # a resident number
        {"mode": "01"},
        {"job_related": "y", "self_applied_leave": "true"},
    ],
)
def test_forms_the_quick_check_leaves_to_the_full_one_are_still_accepted(changes):
    quick, full, errors = both({**ROW, **changes})

    assert quick is None
    assert errors == []
    assert full is not None


@pytest.mark.parametrize(("changes", "expected"), CASES)
def test_no_row_with_a_problem_passes_the_quick_check(changes, expected):
    quick, full, errors = both({**ROW, **changes})

    if expected.endswith("人事資料庫查無此人員"):
        # The registry is the caller's question: as far as the row goes, it is right either way.
        assert (quick, errors) == (full, [])
    else:
        assert quick is None
        assert [e.text for e in errors] == [expected]


def test_a_long_name_the_quick_check_refuses_is_reported_by_the_full_one():
    quick, _full, errors = both({**ROW, "name": "王" * 101})

    assert quick is None
    assert [e.text for e in errors] == ["第 2 列「姓名」值「" + "王" * 20 + "…」：長度超過 100 字"]


def test_a_file_of_quick_and_full_rows_reads_as_each_row_on_its_own():
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


def test_quick_national_id_agrees_with_the_full_check():
    from civlearn.core import national_id as nid

    samples = ["A123456789", "A123456788", "B220000000", "Z199999999", "I100000000", "O200000000", "A12345678"]
    samples += [f"{letter}1{n:07d}{d}" for letter in "AKOZ" for n in (0, 1234567, 7654321) for d in range(10)]

    for text in samples:
        assert batch_fast.quick_national_id(text) == nid.is_valid(text), text


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
