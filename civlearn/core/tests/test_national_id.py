import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civlearn.core import clock, national_id
from civlearn.core.national_id import InvalidNationalId

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
BEFORE_CUTOFF = dt.date(2030, 12, 31)


# -- letter values ---------------------------------------------------------------------------------------------

EXPECTED_LETTER_VALUES = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17, "I": 34, "J": 18, "K": 19, "L": 20,
    "M": 21, "N": 22, "O": 35, "P": 23, "Q": 24, "R": 25, "S": 26, "T": 27, "U": 28, "V": 29, "W": 32, "X": 30,
    "Y": 31, "Z": 33,
}  # fmt: skip


def test_every_letter_has_the_ministry_value():
    assert national_id.LETTER_VALUES == EXPECTED_LETTER_VALUES


# One valid number per first letter, computed by hand from the rule: tens ×1 + units ×9 + 8 digits ×8..1 + last.
# For the digits "12345678" the weighted part is 1×8+2×7+3×6+4×5+5×4+6×3+7×2+8×1 = 120.
@pytest.mark.parametrize(("letter", "value"), sorted(EXPECTED_LETTER_VALUES.items()))
def test_each_first_letter_counts_with_its_value(letter, value):
    head = value // 10 + (value % 10) * 9 + 120
    last = -head % 10
    valid = f"{letter}12345678{last}"
    assert national_id.kind_of(valid) == "national"
    for wrong in range(10):
        if wrong != last:
            with pytest.raises(InvalidNationalId, match=r"^身分證字號檢查碼不正確$"):
                national_id.kind_of(f"{letter}12345678{wrong}")


# -- national IDs ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["A123456789", "B220000000", "F131104093", "Y120000006", "O100000004"])
def test_known_valid_national_ids(value):
    assert national_id.kind_of(value) == "national"
    assert national_id.is_valid(value)
    assert national_id.validate(value) == value


@pytest.mark.parametrize("value", ["A123456788", "A223456789", "B220000005", "F131104094"])
def test_wrong_check_digit_is_refused(value):
    with pytest.raises(InvalidNationalId) as caught:
        national_id.validate(value)
    assert str(caught.value) == "身分證字號檢查碼不正確"
    assert not national_id.is_valid(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "請輸入身分證字號"),
        ("   ", "請輸入身分證字號"),
        ("A12345678", "身分證字號應為 10 碼（1 個英文字母加 9 個數字）"),
        ("A1234567890", "身分證字號應為 10 碼（1 個英文字母加 9 個數字）"),
        ("1123456789", "身分證字號第 1 碼應為英文字母"),
        ("A323456789", "身分證字號格式不正確（第 2 碼應為 1、2、8、9 或 A–D，其後為 8 個數字）"),
        ("AE23456789", "身分證字號格式不正確（第 2 碼應為 1、2、8、9 或 A–D，其後為 8 個數字）"),
        ("A12345678X", "身分證字號格式不正確（第 2 碼應為 1、2、8、9 或 A–D，其後為 8 個數字）"),
        # Arabic-Indic digits pass \d and int(); they are still not a national ID.
        ("A1234567٨٩", "身分證字號格式不正確（第 2 碼應為 1、2、8、9 或 A–D，其後為 8 個數字）"),
    ],
)
def test_malformed_numbers_get_a_reason(value, message):
    with pytest.raises(InvalidNationalId) as caught:
        national_id.kind_of(value)
    assert str(caught.value) == message


def test_error_messages_never_contain_the_number():
    for value in ["A123456788", "A323456789", "A12345678"]:
        with pytest.raises(InvalidNationalId) as caught:
            national_id.kind_of(value)
        assert value not in str(caught.value)


@pytest.mark.parametrize(
    "typed", ["a123456789", " A123456789 ", "Ａ１２３４５６７８９", "ａ１２３４５６７８９", "\u3000A123456789\t"]
)
def test_lower_case_full_width_and_padding_are_normalized(typed):
    assert national_id.normalize(typed) == "A123456789"
    assert national_id.validate(typed) == "A123456789"


# -- resident certificate numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["A800000014", "A900000016", "F800000000"])
def test_new_resident_format_uses_the_same_checksum(value):
    assert national_id.kind_of(value) == "resident"


def test_new_resident_format_with_a_wrong_check_digit_is_refused():
    with pytest.raises(InvalidNationalId, match=r"^身分證字號檢查碼不正確$"):
        national_id.kind_of("A800000015")


def test_old_resident_format_counts_the_second_letter_as_its_value_mod_10():
    # A=10: 1 + 0×9; second letter C=12 → 2 ×8 = 16; digits 00000000 → 0; total 17 + last → last = 3.
    assert national_id.kind_of("AC00000003", today=BEFORE_CUTOFF) == "resident_old"
    # Counting C as its digit-free position (3) instead would need last = 5: it is refused.
    assert not national_id.is_valid("AC00000005", today=BEFORE_CUTOFF)


@pytest.mark.parametrize(("second", "value"), [("A", 10), ("B", 11), ("C", 12), ("D", 13)])
def test_each_old_resident_second_letter(second, value):
    # A=10 contributes 1; the seven zero digits contribute nothing.
    last = -(1 + (value % 10) * 8) % 10
    assert national_id.kind_of(f"A{second}0000000{last}", today=BEFORE_CUTOFF) == "resident_old"


def test_old_resident_format_is_valid_through_2030_12_31_and_refused_from_2031_01_01():
    assert national_id.kind_of("AC00000003", today=dt.date(2030, 12, 31)) == "resident_old"
    with pytest.raises(InvalidNationalId) as caught:
        national_id.kind_of("AC00000003", today=dt.date(2031, 1, 1))
    assert str(caught.value) == "舊式居留證號已於民國 120 年 1 月 1 日停用，請使用新式統一證號"


def test_old_resident_cutoff_follows_the_platform_clock(db):
    # The default "today" is clock.today(), so moving the clock past the cut-off retires the old format.
    clock.reset()
    start = clock.today()
    if start >= national_id.RESIDENT_OLD_VALID_UNTIL:
        pytest.skip("the real date is already past the cut-off")
    assert national_id.is_valid("AC00000003")
    clock.advance(national_id.RESIDENT_OLD_VALID_UNTIL - start)
    assert not national_id.is_valid("AC00000003")


# -- check digit --------------------------------------------------------------------------------------------------


def test_check_digit_completes_a_prefix():
    assert national_id.check_digit("A12345678") == "9"
    assert national_id.check_digit("B22000000") == "0"
    with pytest.raises(ValueError, match="9 characters"):
        national_id.check_digit("A1234567")


prefixes = st.builds(
    lambda letter, second, digits: letter + second + digits,
    st.sampled_from(LETTERS),
    st.sampled_from("1289ABCD"),
    st.text(alphabet="0123456789", min_size=7, max_size=7),
)


@given(prefixes)
def test_exactly_one_check_digit_is_valid_for_any_prefix(prefix):
    valid = [d for d in "0123456789" if national_id.is_valid(prefix + d, today=BEFORE_CUTOFF)]
    assert valid == [national_id.check_digit(prefix)]


# Positions whose weight (7, 3, 1, and the last digit's 1) shares no factor with 10: any change there shows.
# Weights 6, 5, 4, 2 let some changes through (e.g. +5 at weight 6), a known limit of this checksum.
@given(prefixes, st.sampled_from([2, 6, 8, 9]), st.integers(min_value=1, max_value=9))
def test_changing_a_digit_of_odd_weight_breaks_the_checksum(prefix, position, delta):
    number = prefix + national_id.check_digit(prefix)
    changed = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    assert not national_id.is_valid(changed, today=BEFORE_CUTOFF)


# -- masking ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "masked"),
    [("A123456789", "A12345****"), ("", ""), (None, ""), ("ABC", "***"), ("AC00000003", "AC0000****")],
)
def test_mask(value, masked):
    assert national_id.mask(value) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("sign-in A123456789 failed", "sign-in A12345**** failed"),
        ("id=a123456789&x=1", "id=a12345****&x=1"),
        ("身分證A123456789錯誤", "身分證A12345****錯誤"),
        ("old AC00000003 and new A800000014", "old AC0000**** and new A80000****"),
        ("full width Ａ１２３４５６７８９", "full width Ａ１２３４５****"),
        ("glued xA123456789y", "glued xA12345****y"),
        ("two: A123456789,B220000000", "two: A12345****,B22000****"),
        ("no id here: A09600000Q 379000000A 12345", "no id here: A09600000Q 379000000A 12345"),
    ],
)
def test_mask_in_text(text, masked):
    assert national_id.mask_in_text(text) == masked
