"""The 25-column CSV that learning institutions (學習機關(構)) upload, and the same format as an export.

Pure functions: nothing here reads or writes the database. `parse_upload` turns bytes into clean rows and a
report of every problem (row, column, value, reason); the caller passes in what it knows about
the world (category codes in force, persons in the registry) so the rules can be tested without a database.
Messages are in the active language (the uploader's page, or the language recorded with a job and activated while
it runs); column names are the format's fixed zh-Hant headers in every language.

Format (domain/README.md, the format exporters written for the portal produce): UTF-8 or Big5, header names with or
without the leading `*` that marks a required column, ROC dates `YYY-MM-DD`, times `HH:MM:SS`,
訓練總數 = 數位時數 + 實體時數. County codes (上課縣市) come from `data/counties.csv`, a copy of the project's domain
list.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import operator
import re
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civlearn.core import national_id as nid
from civlearn.core import rocdate, spreadsheets


@dataclass(frozen=True)
class Column:
    header: str
    key: str  # the English key the JSON API uses for the same field
    required: bool


COLUMNS: tuple[Column, ...] = (
    Column("身分證字號", "national_id", True),
    Column("課程名稱", "course_name", True),
    Column("開課起始日期", "course_start_date", True),
    Column("開課起始時間", "course_start_time", True),
    Column("開課結束日期", "course_end_date", True),
    Column("開課結束時間", "course_end_time", True),
    Column("姓名", "name", True),
    Column("學位學分", "degree_credit", True),
    Column("課程類別代碼", "category_code", True),
    Column("上課縣市", "county_code", True),
    Column("期別", "period", False),
    Column("訓練總數", "certified_hours", True),
    Column("訓練總數單位", "hours_unit", True),
    Column("訓練成績", "score", False),
    Column("證件字號", "certificate_no", False),
    Column("出勤上課狀況", "attendance_note", False),
    Column("生日", "birthday", False),
    Column("學習性質", "mode", True),
    Column("數位時數", "digital_hours", True),
    Column("實體時數", "physical_hours", True),
    Column("課程代碼", "course_code", False),
    Column("實際上課起始日期", "actual_start_date", True),
    Column("實際上課起始時間", "actual_start_time", True),
    Column("實際上課結束日期", "actual_end_date", True),
    Column("實際上課結束時間", "actual_end_time", True),
)
# Not among the 25 columns, but what the summary's 與業務相關 / 自行申請公假 rows count: a file may add them
# (是/否, Y/N, 1/0); without them both are 否.
EXTENSION_COLUMNS: tuple[Column, ...] = (
    Column("與業務相關", "job_related", False),
    Column("自行申請公假", "self_applied_leave", False),
)
ALL_COLUMNS = COLUMNS + EXTENSION_COLUMNS
BY_HEADER = {c.header: c for c in ALL_COLUMNS}
BY_KEY = {c.key: c for c in ALL_COLUMNS}
HEADER_OF = {c.key: c.header for c in ALL_COLUMNS}
KEYS = tuple(c.key for c in ALL_COLUMNS)
_YES = {"是", "Y", "YES", "1", "TRUE", "*"}
_NO = {"否", "N", "NO", "0", "FALSE", ""}

# 學習性質: 1 數位, 2 實體, 3 混成, 4 遠距. The 遠距 code is not public (domain/README.md), so the table is a setting.
DEFAULT_MODES = {1: "數位", 2: "實體", 3: "混成", 4: "遠距"}
# 訓練總數單位: only 1 (hours) is observed; another unit would be summed as hours by mistake, so it is refused.
HOURS_UNITS = {"1"}
MAX_HOURS = Decimal("999.9")
PROGRESS_EVERY = 5000
# One decimal place, as the ledger stores hours (the portal shows hours such as 1.5 and 0.5).
_HOURS_RE = re.compile(r"^\d{1,4}(\.\d)?$")
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_DIGITS_RE = re.compile(r"^\d{1,3}$")
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def modes() -> dict[int, str]:
    return getattr(settings, "HOURS_MODES", None) or DEFAULT_MODES


@cache
def counties() -> dict[str, str]:
    path = Path(__file__).resolve().parent / "data" / "counties.csv"
    with path.open(encoding="utf-8") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


def local_zone() -> ZoneInfo:
    return _zone(settings.TIME_ZONE)


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


# ---- the report ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem: `row` is the line number in the file (the header is line 1); 0 means the whole file."""

    row: int
    column: str
    value: str
    message: str

    @property
    def text(self) -> str:
        where = _("第 {row} 列").format(row=self.row) if self.row else _("檔案")
        if self.column:
            where += _("「{column}」").format(column=self.column)
        if self.value:
            where += _("值「{value}」").format(value=self.value)
        return _("{where}：{message}").format(where=where, message=self.message)

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message}


@dataclass
class UploadRow:
    """A row that passed every check, ready to become a ledger entry."""

    line: int
    national_id: str
    name: str
    course_name: str
    course_code: str
    period: str
    category_code: str
    county_code: str
    degree_credit: str
    certified_hours: Decimal
    hours_unit: str
    score: str
    certificate_no: str
    attendance_note: str
    birthday: dt.date | None
    mode: int
    digital_hours: Decimal
    physical_hours: Decimal
    course_start: dt.datetime
    course_end: dt.datetime
    actual_start: dt.datetime
    actual_end: dt.datetime
    job_related: bool = False
    self_applied_leave: bool = False
    source_reference: str = ""
    person_id: int | None = None


@dataclass
class ParseResult:
    encoding: str = ""
    rows: list[UploadRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total_rows: int = 0
    # Lines with at least one error: the rows "commit the valid rows" leaves out.
    bad_lines: set[int] = field(default_factory=set)

    @property
    def valid_count(self) -> int:
        return len(self.rows)

    @property
    def invalid_count(self) -> int:
        return len(self.bad_lines)


# ---- reading ------------------------------------------------------------------------------------------------


_UNKNOWN_ENCODING = gettext_lazy("檔案編碼無法辨識，請以 UTF-8 或 Big5 編碼儲存 CSV 檔")


class UnreadableFile(ValueError):
    """The bytes are not a CSV file in an accepted encoding; the message is fit to show."""


def decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name). UTF-8 (with or without BOM) first: Big5 bytes are almost never valid UTF-8."""
    if not data.strip():
        raise UnreadableFile(_("檔案是空的"))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile(str(_UNKNOWN_ENCODING))  # UTF-16, full of NUL bytes: the encoding is the mistake
    try:
        spreadsheets.refuse_nul(data)
    except spreadsheets.SpreadsheetError as exc:
        raise UnreadableFile(exc.message) from None
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    # cp950 is Big5 as Windows writes it (what Excel saves in Taiwan); big5hkscs covers the rarer extra characters.
    for codec, label in (("cp950", "Big5"), ("big5hkscs", "Big5-HKSCS")):
        try:
            return data.decode(codec), label
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(str(_UNKNOWN_ENCODING))


def clean_header(text: str) -> str:
    return text.replace("\ufeff", "").strip().lstrip("*＊").strip()


# Files repeat the same few dates and times on every row of a course: caching the parse is most of the speed.
@lru_cache(maxsize=8192)
def parse_roc_date(text: str) -> dt.date:
    return rocdate.parse(text)


@lru_cache(maxsize=8192)
def parse_time(text: str) -> dt.time:
    match = _TIME_RE.match(text.translate(_FULLWIDTH))
    if not match:
        raise ValueError(_("時間格式不正確，應為 HH:MM:SS，例如 09:00:00"))
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(_("時間不存在，時應為 00–23，分與秒應為 00–59"))
    return dt.time(hour, minute, second)


@lru_cache(maxsize=4096)
def parse_hours(text: str) -> Decimal:
    value = text.translate(_FULLWIDTH)
    if not _HOURS_RE.match(value):
        raise ValueError(_("應為不小於 0 的數字（最多 1 位小數），例如 2 或 1.5"))
    try:
        number = Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already rules this out
        raise ValueError(_("應為數字")) from exc
    if number > MAX_HOURS:
        raise ValueError(_("時數不可超過 {maximum}").format(maximum=MAX_HOURS))
    return number


def source_reference(
    *,
    institution_code: str,
    national_id: str,
    course_code: str,
    course_name: str,
    period: str,
    actual_start: dt.datetime,
    actual_end: dt.datetime,
) -> str:
    """A stable key for one person's attendance of one course run: re-uploading the same row finds the same key.

    The course code identifies the course when the institution gives one; otherwise its name does.
    Times are taken in local time so the key does not depend on the server's time zone.
    """
    zone = local_zone()
    parts = [
        institution_code.upper(),
        national_id.upper(),
        course_code.strip() or "name:" + course_name.strip(),
        period.strip(),
        actual_start.astimezone(zone).isoformat(timespec="seconds")[:19],
        actual_end.astimezone(zone).isoformat(timespec="seconds")[:19],
    ]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def validate_record(
    values: Mapping[str, str],
    *,
    line: int,
    institution_code: str,
    category_codes_for: Callable[[dt.date], Container[str]],
    label: Callable[[str], str] = HEADER_OF.__getitem__,
    today: dt.date | None = None,
    known_modes: Mapping[int, str] | None = None,
    zone: ZoneInfo | None = None,
    clean: bool = False,
    required: Sequence[str] | None = None,
) -> tuple[UploadRow | None, list[RowError]]:
    """Check one record given as {key: text}: RecordChecker.check for a single record. Used by the JSON API
    (labels = English keys); a file's rows go through one RecordChecker for the whole file."""
    checker = RecordChecker(
        institution_code=institution_code,
        category_codes_for=category_codes_for,
        label=label,
        today=today,
        known_modes=known_modes,
        zone=zone,
        required=required,
    )
    return checker.check(values, line=line, clean=clean)


# A problem before it is placed: (key, value shown, message).
_Problem = tuple[str, str, str]
_NO_PROBLEMS: tuple[_Problem, ...] = ()
# A file whose rows all differ would otherwise keep every row's worked-out parts: a cache starts again past this.
_MEMO_LIMIT = 20_000


class RecordChecker:
    """The rules of one ledger record from an institution, in one place: what every row of an upload (CSV form,
    job, COPY) and every record of the JSON API goes through.

    `check` names every problem of a record (row, column, value, reason) or builds its UploadRow. The rows of a real
    file repeat the same few texts (one course run's dates and times, a handful of hour figures and codes), so the
    parts that depend only on such texts are worked out once per checker and remembered, problems included: that
    is what makes a 500,000-row file quick, and every row still gets exactly the same answer. The national ID is
    checked by civlearn.core.national_id, the only place its checksum lives.
    """

    def __init__(
        self,
        *,
        institution_code: str,
        category_codes_for: Callable[[dt.date], Container[str]],
        label: Callable[[str], str] = HEADER_OF.__getitem__,
        today: dt.date | None = None,
        known_modes: Mapping[int, str] | None = None,
        zone: ZoneInfo | None = None,
        required: Sequence[str] | None = None,
    ) -> None:
        # The 25-column format's required columns unless told otherwise: a single record from a source that has
        # no 上課縣市 (an e-learning completion) requires what every ledger entry needs (SINGLE_RECORD_REQUIRED).
        self._required = tuple(required) if required is not None else _REQUIRED_KEYS
        self._pick_required = operator.itemgetter(*self._required)
        self._institution = institution_code.upper()
        self._codes_for = category_codes_for
        self._label = label
        self._today = today
        self._latest_birthday = today or dt.date.today()
        self._modes = known_modes or modes()
        self._zone = zone or local_zone()
        self._counties = counties()
        self._moments: dict[tuple[str, ...], tuple] = {}
        self._hours: dict[tuple[str, str, str], tuple] = {}
        self._codes: dict[tuple[str, dt.date], bool] = {}
        # A person's ID comes back on each of their rows; civlearn.core.national_id answers once per text.
        self._national_ids: dict[str, tuple[str, _Problem | None]] = {}
        self._singles: dict[tuple[str, ...], tuple[int | None, tuple[_Problem, ...]]] = {}
        self._birthdays: dict[str, tuple[dt.date | None, tuple[_Problem, ...], tuple[_Problem, ...]]] = {}

    def check(
        self, values: Mapping[str, str], *, line: int, clean: bool = False
    ) -> tuple[UploadRow | None, list[RowError]]:
        """`values`: {key: text}. The CSV reader passes every key, already stripped (`clean=True`); the API passes
        what it has. The registry check is left to the caller, who looks all IDs up in one query."""
        v = values if clean else {key: (values.get(key) or "").strip() for key in KEYS}
        problems: list[_Problem] = []
        if not all(self._pick_required(v)):
            missing = _("必填欄位未填寫")
            problems.extend((key, "", missing) for key in self._required if not v[key])

        national = ""
        if text := v["national_id"]:
            found_id = self._national_ids.get(text)
            if found_id is None:
                try:
                    found_id = (nid.validate(text, today=self._today), None)
                except nid.InvalidNationalId as exc:
                    found_id = ("", ("national_id", text, str(exc)))
                self._remember(self._national_ids, text, found_id)
            national, id_problem = found_id
            if id_problem is not None:
                problems.append(id_problem)

        moment_key = _pick_moments(v)
        moments = self._moments.get(moment_key)
        if moments is None:
            moments = self._remember(self._moments, moment_key, self._moments_of(moment_key))
        date_problems, time_problems, order_problems, parsed, end_day = moments
        birthday, birthday_parse, birthday_late = self._birthday_of(v["birthday"])
        problems += date_problems
        problems += birthday_parse
        problems += time_problems
        problems += order_problems
        problems += birthday_late

        hours_key = (v["certified_hours"], v["digital_hours"], v["physical_hours"])
        hours_found = self._hours.get(hours_key)
        if hours_found is None:
            hours_found = self._remember(self._hours, hours_key, self._hours_of(*hours_key))
        hours, hour_problems = hours_found
        problems += hour_problems
        codes_key = _pick_codes(v)
        found_codes = self._singles.get(codes_key)
        if found_codes is None:
            found_codes = self._remember(self._singles, codes_key, self._codes_of(*codes_key))
        mode, code_problems = found_codes
        problems += code_problems
        category = v["category_code"]
        if category and end_day is not None:
            code_ok = self._codes.get((category, end_day))
            if code_ok is None:
                code_ok = self._remember(self._codes, (category, end_day), category in self._codes_for(end_day))
            if not code_ok:
                message = _("不是 {day} 適用之課程類別代碼表中的代碼").format(day=f"{end_day:%Y-%m-%d}")
                problems.append(("category_code", category, message))
        flags = []
        for key in ("job_related", "self_applied_leave"):
            flag = _FLAGS.get(v[key].upper())
            if flag is None:
                problems.append((key, v[key], _("應填「是」或「否」（或 Y / N）")))
            flags.append(flag)
        for key, limit in _TEXT_LIMITS:
            text = v[key]
            if len(text) > limit:
                problems.append((key, text[:20] + "…", _("長度超過 {limit} 字").format(limit=limit)))
            elif text.startswith(spreadsheets.FORMULA_STARTS) and spreadsheets.looks_like_formula(text):
                problems.append((key, text[:20], str(spreadsheets.FORMULA_REFUSED)))

        if problems:
            label = self._label
            return None, [
                RowError(line, label(key), nid.mask(value) if key == "national_id" else value, message)
                for key, value, message in problems
            ]
        assert parsed is not None and hours is not None and mode is not None
        course_start, course_end, actual_start, actual_end, start_text, end_text = parsed
        row = UploadRow(
            line, national, v["name"], v["course_name"], v["course_code"], v["period"], v["category_code"],
            v["county_code"], v["degree_credit"], hours[0], v["hours_unit"], v["score"], v["certificate_no"],
            v["attendance_note"], birthday, mode, hours[1], hours[2], course_start, course_end, actual_start,
            actual_end, flags[0], flags[1],
        )  # fmt: skip
        # The same key as source_reference(), from the local date and time already parsed (no time-zone arithmetic).
        parts = (
            self._institution,
            national,
            row.course_code or "name:" + row.course_name,
            row.period,
            start_text,
            end_text,
        )
        row.source_reference = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
        return row, []

    # ---- what repeats: worked out once per checker -----------------------------------------------------------

    @staticmethod
    def _remember(memo: dict, key, value):
        if len(memo) > _MEMO_LIMIT:
            memo.clear()
        memo[key] = value
        return value

    def _moments_of(self, texts: tuple[str, ...]) -> tuple:
        """(date problems, time problems, order problems, parsed, end day) for the four dates and four times;
        parsed is (course_start, course_end, actual_start, actual_end, start text, end text), or None with any
        problem or blank."""
        given = dict(zip(_MOMENT_KEYS, texts, strict=True))
        date_problems: list[_Problem] = []
        time_problems: list[_Problem] = []
        order_problems: list[_Problem] = []
        days: dict[str, dt.date] = {}
        for key in _DATE_KEYS:
            if given[key]:
                try:
                    days[key] = parse_roc_date(given[key])
                except rocdate.InvalidRocDate as exc:
                    date_problems.append((key, given[key], _roc_date_problem(exc)))
        times: dict[str, dt.time] = {}
        for key in _TIME_KEYS:
            if given[key]:
                try:
                    times[key] = parse_time(given[key])
                except ValueError as exc:
                    time_problems.append((key, given[key], str(exc)))

        def moment(prefix: str) -> dt.datetime | None:
            day, time = days.get(prefix + "_date"), times.get(prefix + "_time")
            if day is None or time is None:
                return None
            return dt.datetime.combine(day, time, tzinfo=self._zone)

        course_start, course_end = moment("course_start"), moment("course_end")
        actual_start, actual_end = moment("actual_start"), moment("actual_end")
        if course_start and course_end and course_end < course_start:
            order_problems.append(("course_end_date", given["course_end_date"], _("開課結束時間早於開課起始時間")))
        if actual_start and actual_end and actual_end < actual_start:
            message = _("實際上課結束時間早於實際上課起始時間")
            order_problems.append(("actual_end_date", given["actual_end_date"], message))
        parsed = None
        if course_start and course_end and actual_start and actual_end and not order_problems:
            parsed = (
                course_start,
                course_end,
                actual_start,
                actual_end,
                _local_text(days["actual_start_date"], times["actual_start_time"]),
                _local_text(days["actual_end_date"], times["actual_end_time"]),
            )
        # The category code is checked against the table of the actual end's day whenever that day is known.
        end_day = actual_end.date() if actual_end is not None else None
        return tuple(date_problems), tuple(time_problems), tuple(order_problems), parsed, end_day

    def _birthday_of(self, text: str) -> tuple[dt.date | None, tuple[_Problem, ...], tuple[_Problem, ...]]:
        if not text:
            return None, _NO_PROBLEMS, _NO_PROBLEMS
        found = self._birthdays.get(text)
        if found is None:
            try:
                day = parse_roc_date(text)
            except rocdate.InvalidRocDate as exc:
                problem = ("birthday", text, _roc_date_problem(exc))
                found = (None, (problem,), _NO_PROBLEMS)
            else:
                late = (("birthday", text, _("生日不可晚於今天")),) if day > self._latest_birthday else _NO_PROBLEMS
                found = (day, _NO_PROBLEMS, late)
            self._remember(self._birthdays, text, found)
        return found

    @staticmethod
    def _hours_of(certified: str, digital: str, physical: str) -> tuple:
        problems: list[_Problem] = []
        hours: dict[str, Decimal] = {}
        for key, text in (("certified_hours", certified), ("digital_hours", digital), ("physical_hours", physical)):
            if text:
                try:
                    hours[key] = parse_hours(text)
                except ValueError as exc:
                    problems.append((key, text, str(exc)))
        if len(hours) == 3 and hours["certified_hours"] != hours["digital_hours"] + hours["physical_hours"]:
            problems.append(
                (
                    "certified_hours",
                    certified,
                    _("訓練總數應等於數位時數加實體時數（{digital} + {physical} = {total}）").format(
                        digital=hours["digital_hours"],
                        physical=hours["physical_hours"],
                        total=hours["digital_hours"] + hours["physical_hours"],
                    ),
                )
            )
        if problems or len(hours) < 3:
            return None, tuple(problems)
        return (hours["certified_hours"], hours["digital_hours"], hours["physical_hours"]), _NO_PROBLEMS

    def _codes_of(self, unit: str, credit: str, mode_text: str, county: str) -> tuple[int | None, tuple[_Problem, ...]]:
        """(mode, problems) of 訓練總數單位, 學位學分, 學習性質 and 上課縣市; a blank one is the required check's."""
        problems: list[_Problem] = []
        if unit and unit not in HOURS_UNITS:
            problems.append(("hours_unit", unit, _("訓練總數單位應為 1（小時）")))
        if credit and not _DIGITS_RE.match(credit):
            problems.append(("degree_credit", credit, _("學位學分應為代碼數字，非學位學分為 6")))
        mode = None
        if mode_text:
            if mode_text.isdigit() and int(mode_text) in self._modes:
                mode = int(mode_text)
            else:
                # The names in the reader's language (the hours catalogue translates the default names).
                listed = _("、").join(f"{code} {_(str(name))}" for code, name in sorted(self._modes.items()))
                problems.append(("mode", mode_text, _("學習性質代碼不正確，應為 {codes}").format(codes=listed)))
        if county and county not in self._counties:
            problems.append(("county_code", county, _("不是已知的上課縣市代碼")))
        return mode, tuple(problems)


def _roc_date_problem(exc: rocdate.InvalidRocDate) -> str:
    return _("{problem}（應為民國年月日 YYY-MM-DD，例如 113-03-21）").format(problem=exc)


_REQUIRED_KEYS = tuple(c.key for c in COLUMNS if c.required)
_DATE_KEYS = ("course_start_date", "course_end_date", "actual_start_date", "actual_end_date")
_TIME_KEYS = ("course_start_time", "course_end_time", "actual_start_time", "actual_end_time")
_MOMENT_KEYS = _DATE_KEYS + _TIME_KEYS
# What every ledger entry needs, whatever its source (ledger_entry_record's single records). The person is given
# there (a registry row, checked when it was imported), so no national ID is read from the record.
SINGLE_RECORD_REQUIRED = (
    "name", "course_name", "category_code", "certified_hours", "mode", "digital_hours",
    "physical_hours", "actual_start_date", "actual_start_time", "actual_end_date", "actual_end_time",
)  # fmt: skip
_pick_moments = operator.itemgetter(*_MOMENT_KEYS)
_pick_codes = operator.itemgetter("hours_unit", "degree_credit", "mode", "county_code")
_FLAGS = dict.fromkeys(_YES, True) | dict.fromkeys(_NO, False)
_TEXT_LIMITS = (("course_name", 200), ("course_code", 50), ("period", 50), ("name", 100))


@lru_cache(maxsize=8192)
def _local_text(day: dt.date, time: dt.time) -> str:
    return f"{day.isoformat()}T{time.isoformat()}"


def parse_upload(
    data: bytes,
    *,
    institution_code: str,
    category_codes_for: Callable[[dt.date], Container[str]],
    people_for: Callable[[Iterable[str]], Mapping[str, int]],
    today: dt.date | None = None,
    max_rows: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ParseResult:
    """Parse and check a whole file. `people_for(ids)` returns {national_id: person_id} for those in the registry.
    `progress(rows_done, rows_expected)` is called every few thousand rows (rows_expected counts line breaks)."""
    result = ParseResult()
    rows: list[UploadRow] = []
    for chunk in iter_upload(
        data,
        result=result,
        institution_code=institution_code,
        category_codes_for=category_codes_for,
        people_for=people_for,
        today=today,
        max_rows=max_rows,
        progress=progress,
    ):
        rows.extend(chunk)
    result.rows = rows
    return result


def iter_upload(
    data: bytes,
    *,
    result: ParseResult,
    institution_code: str,
    category_codes_for: Callable[[dt.date], Container[str]],
    people_for: Callable[[Iterable[str]], Mapping[str, int]],
    today: dt.date | None = None,
    max_rows: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    chunk_rows: int | None = None,
) -> Iterator[list[UploadRow]]:
    """`parse_upload` a chunk at a time, so that a caller can write one chunk while the next is read: yields the
    clean rows whose person is in the registry, `chunk_rows` (default PROGRESS_EVERY) checked rows at a time
    (`people_for` is asked once per chunk).
    Problems, counts and the encoding go to `result` (its `rows` stay empty); once the generator is exhausted,
    `result.errors` is in row order."""
    try:
        text, result.encoding = decode(data)
    except UnreadableFile as exc:
        result.errors.append(RowError(0, "", "", str(exc)))
        return
    expected = max(text.count("\n"), 1)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        result.errors.append(RowError(0, "", "", _("檔案沒有標題列")))
        return

    positions: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = clean_header(raw)
        if not name:
            continue
        if name not in BY_HEADER:
            result.errors.append(RowError(1, name, "", _("無法辨識的欄位名稱，請使用 25 欄標準格式的欄位名稱")))
        elif BY_HEADER[name].key in positions:
            result.errors.append(RowError(1, name, "", _("欄位名稱重複")))
        else:
            positions[BY_HEADER[name].key] = index
    for column in COLUMNS:
        if column.required and column.key not in positions:
            result.errors.append(RowError(1, column.header, "", _("缺少必要欄位")))
    if result.errors:
        return

    # The row limit every importer shares (SPREADSHEET_MAX_ROWS).
    limit = max_rows or spreadsheets.max_rows()
    chunk_rows = chunk_rows or PROGRESS_EVERY
    seen: dict[str, int] = {}
    width = len(header)
    known_modes, zone = modes(), local_zone()
    # Every key in the order of KEYS; a column the file does not have reads as "" (one extra field on each row).
    pick = operator.itemgetter(*(positions.get(key, width) for key in KEYS))
    checker = RecordChecker(
        institution_code=institution_code,
        category_codes_for=category_codes_for,
        today=today,
        known_modes=known_modes,
        zone=zone,
    )
    chunk: list[UploadRow] = []
    try:
        for line_index, fields in enumerate(reader, start=2):
            right_width = len(fields) == width
            if not "".join(fields).strip():
                continue
            result.total_rows += 1
            if progress is not None and result.total_rows % PROGRESS_EVERY == 0:
                progress(result.total_rows, expected)
            if result.total_rows > limit:
                message = _("檔案超過 {limit} 列上限，請分批上傳").format(limit=limit)
                result.errors.append(RowError(line_index, "", "", message))
                result.bad_lines.add(line_index)
                break
            if not right_width:
                message = _("欄位數為 {count}，與標題列的 {width} 欄不符").format(count=len(fields), width=width)
                result.errors.append(RowError(line_index, "", "", message))
                result.bad_lines.add(line_index)
                continue
            fields.append("")
            row, errors = checker.check(
                dict(zip(KEYS, map(str.strip, pick(fields)), strict=True)), line=line_index, clean=True
            )
            if errors:
                result.errors.extend(errors)
                result.bad_lines.add(line_index)
                continue
            assert row is not None
            first = seen.get(row.source_reference)
            if first is not None:
                result.errors.append(
                    RowError(
                        line_index,
                        "",
                        "",
                        _("與第 {row} 列重複（同一人員、課程、期別與實際上課起訖時間）").format(row=first),
                    )
                )
                result.bad_lines.add(line_index)
                continue
            seen[row.source_reference] = line_index
            chunk.append(row)
            if len(chunk) == chunk_rows:
                if kept := _with_people(chunk, result, people_for):
                    yield kept
                chunk = []
    except csv.Error as exc:
        result.errors.append(RowError(reader.line_num, "", "", _("CSV 格式錯誤：{problem}").format(problem=exc)))
        result.bad_lines.add(reader.line_num)
    if chunk and (kept := _with_people(chunk, result, people_for)):
        yield kept
    result.errors.sort(key=lambda e: e.row)


def _with_people(
    rows: list[UploadRow], result: ParseResult, people_for: Callable[[Iterable[str]], Mapping[str, int]]
) -> list[UploadRow]:
    """The rows whose person is in the registry, with their person_id; the others become errors in `result`."""
    people = people_for({row.national_id for row in rows})
    unknown = _("人事資料庫查無此人員")
    kept: list[UploadRow] = []
    for row in rows:
        person_id = people.get(row.national_id)
        if person_id is None:
            result.errors.append(RowError(row.line, HEADER_OF["national_id"], nid.mask(row.national_id), unknown))
            result.bad_lines.add(row.line)
            continue
        row.person_id = person_id
        kept.append(row)
    return kept


# ---- writing ------------------------------------------------------------------------------------------------


def header_row() -> list[str]:
    return [("*" if c.required else "") + c.header for c in COLUMNS]


@lru_cache(maxsize=1024)
def _hours_text(value: Decimal) -> str:
    # normalize() turns 2.00 into 2 and 1.50 into 1.5; format "f" keeps 20 from becoming 2E+1.
    return format(value.normalize(), "f")


@lru_cache(maxsize=8192)
def _moment_texts(moment: dt.datetime, zone: ZoneInfo) -> tuple[str, str]:
    local = moment.astimezone(zone)
    return rocdate.format_dashed(local.date()), local.strftime("%H:%M:%S")


def row_values(record: Mapping[str, object]) -> list[str]:
    """One CSV row from {key: value}: dates/datetimes become ROC `YYY-MM-DD` + `HH:MM:SS`."""
    zone = local_zone()
    out: dict[str, str] = {}
    for prefix in ("course_start", "course_end", "actual_start", "actual_end"):
        moment = record.get(prefix)
        if isinstance(moment, dt.datetime):
            # Exports repeat the same few course times on many rows.
            out[prefix + "_date"], out[prefix + "_time"] = _moment_texts(moment, zone)
    for column in COLUMNS:
        if column.key in out:
            continue
        value = record.get(column.key, "")
        if isinstance(value, Decimal):
            out[column.key] = _hours_text(value)
        elif isinstance(value, dt.date):
            out[column.key] = rocdate.format_dashed(value)
        else:
            out[column.key] = "" if value is None else str(value)
    return [out.get(c.key, "") for c in COLUMNS]


def write_csv(records: Iterable[Mapping[str, object]], *, encoding: str = "utf-8") -> Iterable[bytes]:
    """Yield the file of these records in chunks (for a streaming response); see write_csv_rows."""
    return write_csv_rows((row_values(record) for record in records), encoding=encoding)


def write_csv_rows(rows: Iterable[list[str]], *, encoding: str = "utf-8") -> Iterable[bytes]:
    """Yield the file of rows already laid out as row_values does (exports.institution_rows) in chunks, header
    first. encoding: "utf-8" (with BOM, so Excel reads it) or "big5" (cp950; a character Big5 cannot hold becomes
    "?")."""
    codec = "cp950" if encoding.lower() in {"big5", "cp950"} else "utf-8"
    buffer = io.StringIO()
    writer = spreadsheets.csv_writer(buffer, lineterminator="\r\n")
    writer.writerow(header_row())
    first = True
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % 2000 == 0:
            chunk = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            yield _encode(chunk, codec, bom=first)
            first = False
    yield _encode(buffer.getvalue(), codec, bom=first)


def _encode(text: str, codec: str, *, bom: bool) -> bytes:
    if codec == "utf-8":
        return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    return text.encode(codec, errors="replace")


def error_report_csv(errors: Iterable[Mapping[str, object]]) -> bytes:
    """The validation report as a CSV a person opens in Excel (UTF-8 with BOM)."""
    buffer = io.StringIO()
    # The values come from the uploaded file as typed, so they are neutralised like any export.
    writer = spreadsheets.csv_writer(buffer, lineterminator="\r\n")
    writer.writerow([_("列"), _("欄位"), _("值"), _("錯誤說明")])
    for error in errors:
        writer.writerow([error.get("row") or "", error.get("column", ""), error.get("value", ""), error["message"]])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")
