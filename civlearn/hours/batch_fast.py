"""A quick check for the common row of an upload: one that is right.

`batch.validate_record` is the rule book: it names every problem of a row. Most rows of a real file have none, and
their columns repeat (one course run's dates and times, a handful of hour figures, the same codes), so this checker
accepts a row only when every rule is met, reusing what it already worked out for the same texts earlier in the
file, and answers None otherwise. The caller then runs `validate_record` on that row, which reports the problems
(or accepts a row written in a form this checker does not take the quick way, such as a lower-case ID): the
messages and the rows are exactly those of `validate_record`, only sooner.

Pure functions like `batch`: nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
from collections.abc import Callable, Container, Mapping
from decimal import Decimal
from zoneinfo import ZoneInfo

from civlearn.core import national_id as nid
from civlearn.core import spreadsheets
from civlearn.hours import batch

_LETTERS = nid.LETTER_VALUES
# The value of a national ID's letter in the checksum (tens digit + 9 × units digit).
_LETTER_SUM = {letter: value // 10 + (value % 10) * 9 for letter, value in _LETTERS.items()}
_DIGIT = {str(d): d for d in range(10)}
_FLAGS = dict.fromkeys(batch._YES, True) | dict.fromkeys(batch._NO, False)
_ID_LAST_NINE = frozenset("0123456789")
# A file whose rows all differ would otherwise keep every row's parsed moments: start again past this many.
_MEMO_LIMIT = 20_000


def quick_national_id(text: str) -> bool:
    """True when `text` is a national ID in its normal form (upper-case letter, 1 or 2, eight digits) with a right
    check digit, the form `nid.validate` returns unchanged. Other forms (resident numbers, lower case, full width)
    answer False and take the full check."""
    if len(text) != 10:
        return False
    first = _LETTER_SUM.get(text[0])
    if first is None or text[1] not in "12" or not _ID_LAST_NINE.issuperset(text[2:]):
        return False
    d = _DIGIT
    total = (
        first
        + d[text[1]] * 8
        + d[text[2]] * 7
        + d[text[3]] * 6
        + d[text[4]] * 5
        + d[text[5]] * 4
        + d[text[6]] * 3
        + d[text[7]] * 2
        + d[text[8]]
        + d[text[9]]
    )
    return total % 10 == 0


class RowChecker:
    """Checks the rows of one file. `positions` maps a column key to its index in the file's rows."""

    def __init__(
        self,
        *,
        positions: Mapping[str, int],
        width: int,
        institution_code: str,
        category_codes_for: Callable[[dt.date], Container[str]],
        today: dt.date | None,
        known_modes: Mapping[int, str],
        zone: ZoneInfo,
    ) -> None:
        # An absent column reads as "" from one extra field the caller appends to every row (index `width`).
        self._pick = operator.itemgetter(*(positions.get(key, width) for key in batch.KEYS))
        self._institution = institution_code.upper()
        self._codes_for = category_codes_for
        self._latest_birthday = today or dt.date.today()
        self._modes = {str(code): code for code in known_modes}
        self._zone = zone
        self._counties = batch.counties()
        self._moments: dict[tuple[str, ...], tuple | None] = {}
        self._hours: dict[tuple[str, str, str], tuple[Decimal, Decimal, Decimal] | None] = {}
        self._codes: dict[tuple[str, dt.date], bool] = {}
        self._credits: dict[str, bool] = {}
        self._birthdays: dict[str, dt.date | None] = {}

    def __call__(self, fields: list[str], line: int) -> batch.UploadRow | None:
        """The clean row, or None when the row needs the full check. `fields` must end with the extra ""."""
        (
            national, course_name, course_start_date, course_start_time, course_end_date, course_end_time, name,
            degree_credit, category_code, county_code, period, certified, hours_unit, score, certificate_no,
            attendance_note, birthday_text, mode_text, digital, physical, course_code, actual_start_date,
            actual_start_time, actual_end_date, actual_end_time, job_text, leave_text,
        ) = map(str.strip, self._pick(fields))  # fmt: skip

        if not quick_national_id(national):
            return None
        moments = self._moments.get(
            key := (
                course_start_date, course_start_time, course_end_date, course_end_time,
                actual_start_date, actual_start_time, actual_end_date, actual_end_time,
            )
        )  # fmt: skip
        if moments is None:
            if key in self._moments:
                return None
            if len(self._moments) > _MEMO_LIMIT:
                self._moments.clear()
            moments = self._moments[key] = self._moments_of(*key)
            if moments is None:
                return None
        course_start, course_end, actual_start, actual_end, end_day, start_text, end_text = moments
        hours = self._hours.get(key := (certified, digital, physical))
        if hours is None:
            if key in self._hours:
                return None
            if len(self._hours) > _MEMO_LIMIT:
                self._hours.clear()
            hours = self._hours[key] = self._hours_of(*key)
            if hours is None:
                return None
        mode = self._modes.get(mode_text)
        if (
            mode is None
            or hours_unit not in batch.HOURS_UNITS
            or county_code not in self._counties
            or not course_name
            or not name
            or len(course_name) > 200
            or len(course_code) > 50
            or len(period) > 50
            or len(name) > 100
            or course_name.startswith(spreadsheets.FORMULA_STARTS)
            or name.startswith(spreadsheets.FORMULA_STARTS)
            or course_code.startswith(spreadsheets.FORMULA_STARTS)
            or period.startswith(spreadsheets.FORMULA_STARTS)
        ):
            return None
        credit_ok = self._credits.get(degree_credit)
        if credit_ok is None:
            if len(self._credits) > _MEMO_LIMIT:
                self._credits.clear()
            credit_ok = self._credits[degree_credit] = bool(batch._DIGITS_RE.match(degree_credit))
        if not credit_ok:
            return None
        code_ok = self._codes.get(key := (category_code, end_day))
        if code_ok is None:
            if len(self._codes) > _MEMO_LIMIT:
                self._codes.clear()
            code_ok = self._codes[key] = bool(category_code) and category_code in self._codes_for(end_day)
        if not code_ok:
            return None
        birthday = None
        if birthday_text:
            if birthday_text not in self._birthdays:
                if len(self._birthdays) > _MEMO_LIMIT:
                    self._birthdays.clear()
                self._birthdays[birthday_text] = self._birthday_of(birthday_text)
            birthday = self._birthdays[birthday_text]
            if birthday is None:
                return None
        job_related = _FLAGS.get(job_text)
        self_applied_leave = _FLAGS.get(leave_text)
        if job_related is None or self_applied_leave is None:
            return None

        row = batch.UploadRow(
            line, national, name, course_name, course_code, period, category_code, county_code, degree_credit,
            hours[0], hours_unit, score, certificate_no, attendance_note, birthday, mode, hours[1], hours[2],
            course_start, course_end, actual_start, actual_end, job_related, self_applied_leave,
        )  # fmt: skip
        parts = (
            self._institution,
            national,
            course_code or "name:" + course_name,
            period,
            start_text,
            end_text,
        )
        row.source_reference = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
        return row

    # ---- what repeats: worked out once per file ------------------------------------------------------------

    def _moments_of(self, *texts: str) -> tuple | None:
        """The four moments, the actual end's day and the texts of the source reference; None if any is wrong."""
        if not all(texts):
            return None
        try:
            days = [batch.parse_roc_date(texts[i]) for i in (0, 2, 4, 6)]
            times = [batch.parse_time(texts[i]) for i in (1, 3, 5, 7)]
        except ValueError:  # InvalidRocDate is a ValueError too
            return None
        zone = self._zone
        course_start, course_end, actual_start, actual_end = (
            dt.datetime.combine(day, time, tzinfo=zone) for day, time in zip(days, times, strict=True)
        )
        if course_end < course_start or actual_end < actual_start:
            return None
        return (
            course_start,
            course_end,
            actual_start,
            actual_end,
            actual_end.date(),
            batch._local_text(days[2], times[2]),
            batch._local_text(days[3], times[3]),
        )

    @staticmethod
    def _hours_of(certified: str, digital: str, physical: str) -> tuple[Decimal, Decimal, Decimal] | None:
        try:
            values = batch.parse_hours(certified), batch.parse_hours(digital), batch.parse_hours(physical)
        except ValueError:
            return None
        if values[0] != values[1] + values[2]:
            return None
        return values

    def _birthday_of(self, text: str) -> dt.date | None:
        try:
            day = batch.parse_roc_date(text)
        except ValueError:
            return None
        return day if day <= self._latest_birthday else None
