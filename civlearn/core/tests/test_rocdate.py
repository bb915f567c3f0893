import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civlearn.core import rocdate
from civlearn.core.rocdate import InvalidRocDate

roc_dates = st.dates(min_value=rocdate.MIN_DATE, max_value=rocdate.MAX_DATE)


@pytest.mark.parametrize(
    "typed",
    [
        "0610101",  # the manual's 7-digit form
        "610101",  # two-digit year, six digits
        "061-01-01",  # exchange files
        "61-1-1",
        "61/1/1",  # what people type
        "061/01/01",
        "61.1.1",
        "０６１０１０１",  # full-width digits
        "６１／１／１",
        " 0610101 ",
        "61年1月1日",
        "民國61年1月1日",
        "民國 61 年 1 月 1 日",
        "61年1月1",
    ],
)
def test_every_accepted_form_of_1972_01_01(typed):
    assert rocdate.parse(typed) == dt.date(1972, 1, 1)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1040127", dt.date(2015, 1, 27)),
        ("104-01-27", dt.date(2015, 1, 27)),
        ("1130321", dt.date(2024, 3, 21)),
        ("0010101", dt.date(1912, 1, 1)),
        ("1/1/1", dt.date(1912, 1, 1)),
        ("1130229", dt.date(2024, 2, 29)),
        ("9991231", dt.date(2910, 12, 31)),
    ],
)
def test_other_dates(typed, expected):
    assert rocdate.parse(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "請輸入日期"),
        ("   ", "請輸入日期"),
        (None, "請輸入日期"),
        ("0000101", "民國年應大於 0"),
        ("0-1-1", "民國年應大於 0"),
        ("0611301", "日期不存在，請檢查月份與日期"),
        ("0610230", "日期不存在，請檢查月份與日期"),
        ("1120229", "日期不存在，請檢查月份與日期"),  # 2023 is not a leap year
        ("0610100", "日期不存在，請檢查月份與日期"),
        ("61", "日期格式不正確，請輸入民國年月日，例如：0610101"),
        ("06101011", "日期格式不正確，請輸入民國年月日，例如：0610101"),
        ("1972-01-01", "日期格式不正確，請輸入民國年月日，例如：0610101"),  # ISO needs parse_roc_or_iso
        ("61/1", "日期格式不正確，請輸入民國年月日，例如：0610101"),
        ("abc", "日期格式不正確，請輸入民國年月日，例如：0610101"),
        ("٠٦١٠١٠١", "日期格式不正確，請輸入民國年月日，例如：0610101"),  # Arabic-Indic digits
    ],
)
def test_bad_dates_get_a_reason(typed, message):
    with pytest.raises(InvalidRocDate) as caught:
        rocdate.parse(typed)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1972-01-01", dt.date(1972, 1, 1)),
        ("1972/1/1", dt.date(1972, 1, 1)),
        ("2024-03-21", dt.date(2024, 3, 21)),
        ("0610101", dt.date(1972, 1, 1)),
        ("104-01-27", dt.date(2015, 1, 27)),
    ],
)
def test_roc_or_iso(typed, expected):
    assert rocdate.parse_roc_or_iso(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1972-02-30", "日期不存在，請檢查月份與日期"),
        ("0611301", "日期不存在，請檢查月份與日期"),
        ("1-2", "日期格式不正確，請輸入民國年月日（例如：0610101 或 061-01-01）或西元日期（例如：1972-01-01）"),
        ("", "請輸入日期"),
    ],
)
def test_roc_or_iso_errors(typed, message):
    with pytest.raises(InvalidRocDate) as caught:
        rocdate.parse_roc_or_iso(typed)
    assert str(caught.value) == message


def test_formats():
    day = dt.date(2015, 1, 27)
    assert rocdate.format_compact(dt.date(1972, 1, 1)) == "0610101"
    assert rocdate.format_dashed(day) == "104-01-27"
    assert rocdate.format_display(dt.date(2024, 3, 21)) == "113/03/21"
    assert rocdate.format_display(dt.datetime(2024, 3, 21, 9, 22, 5), with_time=True) == "113/03/21 09:22:05"
    assert rocdate.format_display(dt.datetime(2024, 3, 21, 9, 22, 5)) == "113/03/21"
    assert rocdate.format_display(None) == ""
    assert rocdate.roc_year(dt.date(2024, 1, 1)) == 113
    assert rocdate.roc_year(2024) == 113


def test_dates_before_roc_year_1_have_no_roc_form():
    with pytest.raises(ValueError, match="before 民國 1 年"):
        rocdate.format_compact(dt.date(1911, 12, 31))
    with pytest.raises(ValueError, match="before 民國 1 年"):
        rocdate.format_dashed(dt.date(1900, 1, 1))
    # What people read falls back to ISO rather than a negative year.
    assert rocdate.format_display(dt.date(1911, 12, 31)) == "1911-12-31"


def test_four_digit_roc_years_do_not_fit_the_seven_digit_form():
    with pytest.raises(ValueError, match="4-digit ROC year"):
        rocdate.format_compact(dt.date(2911, 1, 1))


@given(roc_dates)
def test_compact_round_trips(day):
    text = rocdate.format_compact(day)
    assert len(text) == 7
    assert rocdate.parse(text) == day


@given(roc_dates)
def test_dashed_round_trips(day):
    assert rocdate.parse(rocdate.format_dashed(day)) == day


@given(roc_dates)
def test_display_round_trips(day):
    assert rocdate.parse(rocdate.format_display(day)) == day


@given(roc_dates)
def test_iso_and_roc_agree(day):
    assert rocdate.parse_roc_or_iso(day.isoformat()) == rocdate.parse_roc_or_iso(rocdate.format_compact(day)) == day


@given(roc_dates)
def test_compact_order_is_date_order(day):
    # Seven-digit forms sort like the dates they carry (files are often sorted as text).
    later = day + dt.timedelta(days=1)
    if later <= rocdate.MAX_DATE:
        assert rocdate.format_compact(day) < rocdate.format_compact(later)
