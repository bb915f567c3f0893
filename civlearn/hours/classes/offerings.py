"""開班資料 in one shape, from the form and from a file: `OFFERING_COLUMNS` are the file's columns (docs/classes.md)
and the form's fields; `offering_rows_check` is the one validator; `offerings_save` writes all or nothing,
idempotent on the institution's own 班別代碼 + 期別."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civlearn.core import clock, rocdate, spreadsheets
from civlearn.core.services import audit_record
from civlearn.core.text import search_fold, search_grams
from civlearn.hours import batch, rules
from civlearn.hours.institutions import selectors as institution_selectors
from civlearn.hours.models import (
    MAX_PORTIONS,
    ClassOffering,
    ClassPortion,
    ClassSession,
    Institution,
    mode_labels,
)
from civlearn.registry import selectors as registry_selectors


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    required: bool
    # Class-level columns repeat on every row of a class and must agree; portion columns differ per row.
    per_row: bool = False
    note: str = ""


OFFERING_COLUMNS: tuple[Column, ...] = (
    Column("班別代碼", "class_code", True, note="機關(構)自訂，同一代碼 + 期別再次上傳即更新"),
    Column("期別", "period", True),
    Column("班別名稱", "title", True),
    Column("課程說明", "description", False),
    Column("學習性質", "mode", True, note="1 數位、2 實體、3 混成、4 遠距"),
    Column("課程類別代碼", "category_code", True, per_row=True, note="一個班別最多 10 列，每列一個代碼"),
    Column("數位時數", "digital_hours", True, per_row=True),
    Column("實體時數", "physical_hours", True, per_row=True),
    Column("上課縣市", "county_code", True, note="縣市代碼，與時數上傳相同"),
    Column("上課地點", "place", False),
    Column("線上課程連結", "online_link", False),
    Column("上課時段", "sessions", True, note="民國日期 起迄時間，多個以 ; 分隔，例：115-03-10 09:00-12:00"),
    Column("報名開始日期", "registration_opens", True, note="民國年 YYY-MM-DD，當日 00:00 起"),
    Column("報名截止日期", "registration_closes", True, note="民國年 YYY-MM-DD，當日 23:59 止"),
    Column("取消報名期限", "cancel_deadline", False, note="民國年 YYY-MM-DD，空白同報名截止日期"),
    Column("名額", "capacity", True),
    Column("候補名額", "waitlist_limit", False, note="空白為 0（不候補）"),
    Column("報名對象", "audience", False, note="不限、中央、地方；空白為不限"),
    Column("限定機關代碼", "agencies", False, note="機關代碼，多個以 ; 分隔，含所屬機關"),
    Column("限人事人員", "hr_staff_only", False, note="是／否"),
    Column("限主管", "supervisor_only", False, note="是／否：人事資料記載為主管者"),
    Column("職等下限", "rank_grade_min", False, note="1–14，空白為不限；例：6（薦任第6職等起）"),
    Column("職等上限", "rank_grade_max", False, note="1–14，空白為不限；例：9（至薦任第9職等）"),
    Column("須人事單位審核", "hr_approval", False, note="是／否"),
    Column("聯絡資訊", "contact", False),
    Column("費用", "fee", False, note="新臺幣元，空白為 0"),
    Column("時數核給方式", "attendance_rule", False, note="門檻（預設）或 比例"),
    Column("出席門檻", "attendance_minimum", False, note="百分比 1–100，預設 100"),
)
HEADERS = {column.header: column for column in OFFERING_COLUMNS}
AUDIENCES = {
    "": ClassOffering.AUDIENCE_ALL,
    "不限": ClassOffering.AUDIENCE_ALL,
    "中央": ClassOffering.AUDIENCE_CENTRAL,
    "地方": ClassOffering.AUDIENCE_LOCAL,
}
RULES = {
    "": ClassOffering.RULE_THRESHOLD,
    "門檻": ClassOffering.RULE_THRESHOLD,
    "比例": ClassOffering.RULE_PROPORTIONAL,
}
YES_NO = {"": False, "否": False, "N": False, "是": True, "Y": True}
_SESSION = re.compile(r"^\s*(\S+)\s+(\d{1,2}):(\d{2})\s*[-–~]\s*(\d{1,2}):(\d{2})\s*$")
MAX_SESSIONS = 60


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = _("第 %(row)s 列") % {"row": self.row} if self.row else _("檔案")
        parts = {"where": where, "column": self.column, "value": self.value, "message": self.message}
        if self.column and self.value:
            return _("%(where)s「%(column)s」（%(value)s）：%(message)s") % parts
        if self.column:
            return _("%(where)s「%(column)s」：%(message)s") % parts
        return _("%(where)s：%(message)s") % parts


@dataclass
class CleanOffering:
    rows: list[int]
    values: dict
    portions: list[tuple[int, str, Decimal, Decimal]]  # (table id, code, digital, physical)
    sessions: list[tuple[dt.datetime, dt.datetime]]
    agencies: list = field(default_factory=list)


class OfferingErrors(ValidationError):
    def __init__(self, problems: list[RowProblem]):
        self.problems = problems
        super().__init__([str(problem) for problem in problems])


def _aware(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour, minute))


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value > Decimal("9999.9") or value != value.quantize(Decimal("0.1")):
        return None
    return value.quantize(Decimal("0.1"))


def _check_class(row: int, record: dict, problems: list[RowProblem], agencies_by_code: dict) -> dict:
    """Class-level values of one row, cleaned; problems appended."""

    def bad(key: str, message: str) -> None:
        problems.append(RowProblem(row, _header(key), str(record.get(key, "")), message))

    values: dict = {}
    for key, limit in (("class_code", 50), ("period", 50), ("title", 300), ("place", 300), ("contact", 200)):
        text = record.get(key, "")
        if len(text) > limit:
            bad(key, _("最多 %(limit)s 字") % {"limit": limit})
        elif spreadsheets.looks_like_formula(text):
            bad(key, spreadsheets.FORMULA_REFUSED)
        values[key] = text
    values["description"] = record.get("description", "")[:5000]
    for column in OFFERING_COLUMNS:
        if column.required and not column.per_row and not record.get(column.key, ""):
            bad(column.key, _("必填"))
    mode_text = record.get("mode", "")
    values["mode"] = int(mode_text) if mode_text.isdigit() and int(mode_text) in mode_labels() else None
    if mode_text and values["mode"] is None:
        bad("mode", _("應為 1 數位、2 實體、3 混成 或 4 遠距"))
    county = record.get("county_code", "")
    if county and county not in batch.counties():
        bad("county_code", _("不是已知的上課縣市代碼"))
    values["county_code"] = county
    link = record.get("online_link", "")
    if link:
        try:
            URLValidator(schemes=["https", "http"])(link)
        except ValidationError:
            bad("online_link", _("不是正確的網址（應以 https:// 開頭）"))
    values["online_link"] = link
    dates: dict[str, dt.date | None] = {}
    for key in ("registration_opens", "registration_closes", "cancel_deadline"):
        text = record.get(key, "")
        dates[key] = None
        if text:
            try:
                dates[key] = rocdate.parse_roc_or_iso(text)
            except rocdate.InvalidRocDate as exc:
                bad(key, str(exc))
    opens, closes = dates["registration_opens"], dates["registration_closes"]
    if opens and closes and closes < opens:
        bad("registration_closes", _("報名截止日期不可早於報名開始日期"))
    values["registration_opens"] = _aware(opens) if opens else None
    values["registration_closes"] = _aware(closes, 23, 59) if closes else None
    cancel = dates["cancel_deadline"] or closes
    values["cancel_deadline"] = _aware(cancel, 23, 59) if cancel else None
    for key, default in (("capacity", None), ("waitlist_limit", 0), ("attendance_minimum", 100)):
        text = record.get(key, "")
        if not text:
            values[key] = default
        elif not text.isdigit() or int(text) > 100000:
            bad(key, _("應為 0 以上的整數"))
            values[key] = default
        else:
            values[key] = int(text)
    if values["capacity"] == 0:
        bad("capacity", _("名額應至少 1 人"))
    if not 1 <= (values["attendance_minimum"] or 0) <= 100:
        bad("attendance_minimum", _("應介於 1 與 100 之間"))
    fee = record.get("fee", "") or "0"
    values["fee"] = Decimal(fee) if fee.isdigit() else Decimal(0)
    if not fee.isdigit():
        bad("fee", _("應為 0 以上的整數（元）"))
    for key, table in (("audience", AUDIENCES), ("attendance_rule", RULES)):
        text = record.get(key, "")
        if text not in table:
            bad(key, _("應為 %(values)s") % {"values": "、".join(k for k in table if k)})
        values[key] = table.get(text, "")
    for key in ("rank_grade_min", "rank_grade_max"):
        text = record.get(key, "")
        values[key] = int(text) if text.isdigit() and 1 <= int(text) <= 14 else None
        if text and values[key] is None:
            bad(key, _("應為 1 至 14 的職等"))
    if values["rank_grade_min"] and values["rank_grade_max"] and values["rank_grade_min"] > values["rank_grade_max"]:
        bad("rank_grade_max", _("職等上限不可低於職等下限"))
    for key in ("hr_staff_only", "supervisor_only", "hr_approval"):
        text = record.get(key, "").upper()
        if text not in YES_NO:
            bad(key, _("應為 是 或 否"))
        values[key] = YES_NO.get(text, False)
    codes = [code.strip().upper() for code in re.split(r"[;；,、\s]+", record.get("agencies", "")) if code.strip()]
    missing = [code for code in codes if code not in agencies_by_code]
    if missing:
        bad("agencies", _("機關代碼不存在：%(codes)s") % {"codes": "、".join(missing)})
    values["agency_codes"] = tuple(sorted(set(codes)))
    return values


def _check_sessions(row: int, text: str, problems: list[RowProblem]) -> list[tuple[dt.datetime, dt.datetime]]:
    sessions: list[tuple[dt.datetime, dt.datetime]] = []
    parts = [part for part in re.split(r"[;；\n]+", text) if part.strip()]
    if len(parts) > MAX_SESSIONS:
        problems.append(RowProblem(row, "上課時段", "", _("最多 %(count)s 個時段") % {"count": MAX_SESSIONS}))
        return []
    for part in parts:
        match = _SESSION.match(part)
        if not match:
            problems.append(RowProblem(row, "上課時段", part.strip(), _("格式應為「115-03-10 09:00-12:00」")))
            continue
        try:
            day = rocdate.parse_roc_or_iso(match.group(1))
            start = _aware(day, int(match.group(2)), int(match.group(3)))
            end = _aware(day, int(match.group(4)), int(match.group(5)))
        except (rocdate.InvalidRocDate, ValueError) as exc:
            problems.append(RowProblem(row, "上課時段", part.strip(), str(exc) if str(exc) else _("時間不正確")))
            continue
        if end <= start:
            problems.append(RowProblem(row, "上課時段", part.strip(), _("結束時間應晚於起始時間")))
            continue
        sessions.append((start, end))
    sessions.sort()
    for (_start, previous_end), (start, _end) in itertools.pairwise(sessions):
        if start < previous_end:
            problems.append(RowProblem(row, "上課時段", "", _("時段互相重疊")))
            break
    return sessions


def _header(key: str) -> str:
    return next(column.header for column in OFFERING_COLUMNS if column.key == key)


def offering_rows_check(records: list[tuple[int, dict]]) -> tuple[list[CleanOffering], list[RowProblem]]:
    """Validate records ({key: text}, with their row numbers); rows with the same 班別代碼 + 期別 are one class, one
    code portion each. Returns the classes and every problem found (all rows are checked)."""
    problems: list[RowProblem] = []
    book = rules.book()
    wanted = {
        code.strip().upper()
        for _, record in records
        for code in re.split(r"[;；,、\s]+", record.get("agencies", ""))
        if code.strip()
    }
    agencies_by_code = registry_selectors.agencies_by_code(wanted)
    groups: dict[tuple[str, str], list[tuple[int, dict]]] = {}
    for row, record in records:
        groups.setdefault((record.get("class_code", ""), record.get("period", "")), []).append((row, record))
    offerings: list[CleanOffering] = []
    for rows in groups.values():
        first_row, first = rows[0]
        values = _check_class(first_row, first, problems, agencies_by_code)
        for row, record in rows[1:]:
            for column in OFFERING_COLUMNS:
                if not column.per_row and record.get(column.key, "") != first.get(column.key, ""):
                    problems.append(
                        RowProblem(
                            row,
                            column.header,
                            record.get(column.key, ""),
                            _("同一班別期別各列應相同（第 %(row)s 列為「%(value)s」）")
                            % {"row": first_row, "value": first.get(column.key, "")},
                        )
                    )
        if len(rows) > MAX_PORTIONS:
            problems.append(
                RowProblem(
                    rows[MAX_PORTIONS][0],
                    "課程類別代碼",
                    "",
                    _("同一班別最多 %(count)s 個課程類別代碼") % {"count": MAX_PORTIONS},
                )
            )
        sessions = _check_sessions(first_row, first.get("sessions", ""), problems) if first.get("sessions") else []
        end_day = timezone.localtime(sessions[-1][1]).date() if sessions else None
        # Codes are those of the table in force when the class ends (as the ledger will judge them); with no valid
        # session yet, today's table, so a wrong code is still reported in the same pass.
        table = book.table_for(end_day or clock.today())
        if end_day and table is None:
            problems.append(
                RowProblem(
                    first_row, "上課時段", "", _("%(day)s 沒有適用的課程類別代碼表") % {"day": f"{end_day:%Y-%m-%d}"}
                )
            )
        if (
            values["registration_closes"]
            and sessions
            and values["registration_closes"] > sessions[0][0] + dt.timedelta(days=1)
        ):
            problems.append(
                RowProblem(
                    first_row,
                    "報名截止日期",
                    first.get("registration_closes", ""),
                    _("報名截止日期不可晚於第一個上課日"),
                )
            )
        portions: list[tuple[int, str, Decimal, Decimal]] = []
        seen_codes: set[str] = set()
        for row, record in rows[:MAX_PORTIONS]:
            code = record.get("category_code", "")
            digital = _decimal(record.get("digital_hours", ""))
            physical = _decimal(record.get("physical_hours", ""))
            if not code:
                problems.append(RowProblem(row, "課程類別代碼", "", _("必填")))
            elif code in seen_codes:
                problems.append(RowProblem(row, "課程類別代碼", code, _("同一班別的課程類別代碼重複")))
            elif table and not book.has_code(table[0], code):
                problems.append(
                    RowProblem(row, "課程類別代碼", code, _("不在 %(table)s 代碼表中") % {"table": table[1]})
                )
            seen_codes.add(code)
            for key, amount in (("digital_hours", digital), ("physical_hours", physical)):
                if amount is None:
                    problems.append(
                        RowProblem(row, _header(key), record.get(key, ""), _("應為 0 至 9999.9 的數字，最多一位小數"))
                    )
            if digital is not None and physical is not None:
                if digital + physical == 0:
                    problems.append(
                        RowProblem(
                            row, "實體時數", record.get("physical_hours", ""), _("數位時數與實體時數合計應大於 0")
                        )
                    )
                if values["mode"] == 2 and digital:
                    problems.append(RowProblem(row, "數位時數", str(digital), _("實體課程的數位時數應為 0")))
                if values["mode"] in (1, 4) and physical:
                    problems.append(RowProblem(row, "實體時數", str(physical), _("數位或遠距課程的實體時數應為 0")))
                portions.append((table[0] if table else 0, code, digital, physical))
        values["agencies"] = [agencies_by_code[code] for code in values.pop("agency_codes") if code in agencies_by_code]
        offerings.append(
            CleanOffering(rows=[row for row, _ in rows], values=values, portions=portions, sessions=sessions)
        )
    return offerings, problems


def read_file(file, filename: str) -> list[tuple[int, dict]]:
    """Rows of a CSV (UTF-8 or Big5), .xlsx or .ods file as {key: text} (`core.spreadsheets.read_rows`, the one
    reader); raises OfferingErrors for a bad file or header."""
    try:
        rows = spreadsheets.read_rows(file, filename)
        header_row = next(rows, None)
        if header_row is None:
            raise OfferingErrors([RowProblem(0, "", "", _("檔案是空的"))])
        _number, header = header_row
        keys: list[str | None] = []
        for cell in header:
            name = spreadsheets.cell_text(cell).lstrip("*").strip()
            keys.append(HEADERS[name].key if name in HEADERS else None)
        missing = [column.header for column in OFFERING_COLUMNS if column.required and column.key not in keys]
        if missing:
            raise OfferingErrors(
                [RowProblem(1, "", "", _("缺少必要欄位：%(columns)s") % {"columns": "、".join(missing)})]
            )
        records = []
        for number, cells in rows:
            texts = [spreadsheets.cell_text(cell) for cell in cells]
            if not any(texts):
                continue
            records.append((number, {key: text for key, text in zip(keys, texts, strict=False) if key}))
    except spreadsheets.SpreadsheetError as exc:
        raise OfferingErrors([RowProblem(0, "", "", str(exc))]) from exc
    if not records:
        raise OfferingErrors([RowProblem(0, "", "", _("檔案沒有資料列"))])
    return records


def may_manage(user, institution: Institution) -> bool:
    return institution_selectors.role_in(user, institution) is not None


@dataclass
class SaveResult:
    created: int = 0
    updated: int = 0
    offerings: list[ClassOffering] = field(default_factory=list)


def offerings_save(*, actor, institution: Institution, records: list[tuple[int, dict]]) -> SaveResult:
    """Create or update the institution's classes from validated records: all or nothing. Raises OfferingErrors
    listing every bad row (nothing is written then) and PermissionDenied for someone not acting for it."""
    if not may_manage(actor, institution):
        raise PermissionDenied(_("您不是此學習機關(構)的人員"))
    if institution.status != Institution.APPROVED:
        raise PermissionDenied(_("學習機關(構)尚未核准"))
    offerings, problems = offering_rows_check(records)
    result = SaveResult()
    with transaction.atomic(durable=True):
        for clean in offerings:
            if problems:
                break
            offering, created = _save_one(actor=actor, institution=institution, clean=clean, problems=problems)
            if offering is not None:
                result.offerings.append(offering)
                result.created += created
                result.updated += not created
        if problems:
            transaction.set_rollback(True)
            raise OfferingErrors(sorted(problems, key=lambda p: (p.row, p.column)))
    return result


def _save_one(*, actor, institution: Institution, clean: CleanOffering, problems: list[RowProblem]):
    values = dict(clean.values)
    agencies = values.pop("agencies")
    row = clean.rows[0]
    existing = (
        ClassOffering.objects.select_for_update()
        .filter(institution=institution, class_code=values["class_code"], period=values["period"])
        .first()
    )
    digital = sum((portion[2] for portion in clean.portions), Decimal(0))
    physical = sum((portion[3] for portion in clean.portions), Decimal(0))
    sessions = clean.sessions
    now = clock.now()
    search_text = search_fold(
        " ".join(
            [
                values["title"],
                values["description"],
                institution.name,
                values["place"],
                batch.counties().get(values["county_code"], ""),
            ]
        )
    )
    fields = {
        **values,
        "digital_hours": digital,
        "physical_hours": physical,
        "total_hours": digital + physical,
        "starts_on": timezone.localtime(sessions[0][0]).date(),
        "ends_on": timezone.localtime(sessions[-1][1]).date(),
        "search_text": search_text,
        "search_grams": search_grams(search_text),
        "updated_at": now,
    }
    if existing is None:
        offering = ClassOffering.objects.create(institution=institution, created_at=now, **fields)
        created = True
        before: dict = {}
    else:
        offering, created = existing, False
        if offering.status == ClassOffering.CLOSED:
            problems.append(
                RowProblem(
                    row,
                    "班別代碼",
                    values["class_code"],
                    _("期別 %(period)s 已結訓，不能再修改") % {"period": values["period"]},
                )
            )
            return None, False
        if values["capacity"] < offering.seats_taken:
            problems.append(
                RowProblem(
                    row,
                    "名額",
                    str(values["capacity"]),
                    _("已有 %(count)s 人報名，名額不可少於此數") % {"count": offering.seats_taken},
                )
            )
            return None, False
        old_sessions = list(offering.sessions.values_list("starts_at", "ends_at"))
        if old_sessions != sessions and offering.sessions.filter(attendances__isnull=False).exists():
            problems.append(RowProblem(row, "上課時段", "", _("已有出席紀錄，不能變更上課時段")))
            return None, False
        before = {key: str(getattr(offering, key)) for key in ("title", "capacity", "total_hours", "starts_on")}
        for key, value in fields.items():
            setattr(offering, key, value)
        offering.save()
        offering.portions.all().delete()
        if old_sessions != sessions:
            offering.sessions.all().delete()
    offering.agencies.set(agencies)
    ClassPortion.objects.bulk_create(
        ClassPortion(
            offering=offering,
            position=number,
            category_table_id=table_id,
            category_code=code,
            digital_hours=d,
            physical_hours=p,
        )
        for number, (table_id, code, d, p) in enumerate(clean.portions, start=1)
    )
    if created or not offering.sessions.exists():
        ClassSession.objects.bulk_create(ClassSession(offering=offering, starts_at=s, ends_at=e) for s, e in sessions)
    audit_record(
        actor=actor,
        action="hours.class_offering_create" if created else "hours.class_offering_update",
        subject=offering,
        changes={
            "institution": [None, institution.pk],
            "class": [None, f"{offering.class_code}/{offering.period}"],
            "codes": [None, [f"{code}:{d + p}" for _, code, d, p in clean.portions]],
            **{key: [value, str(getattr(offering, key))] for key, value in before.items()},
        },
    )
    return offering, created
