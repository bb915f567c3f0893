"""Writes to the personnel registry: the import of persons and agencies (人事資料匯入)."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civlearn.core import clock, national_id, rocdate, spreadsheets
from civlearn.core.services import audit_record
from civlearn.registry import importing
from civlearn.registry.importing import AGENCIES, PERSONS, ImportFileError
from civlearn.registry.models import (
    RANK_ELEMENTARY,
    RANK_JUNIOR,
    RANK_SENIOR,
    RANK_SPECIAL,
    Agency,
    Person,
    agency_code_validator,
    agency_search_text,
    rank_problem,
)
from civlearn.registry.selectors import import_scope

# Rows per query when looking up existing persons and per INSERT/UPDATE statement: well under SQLite's
# bound-parameter limit, and large enough that a 10,000-row file takes a few dozen statements.
BATCH = 500
MAX_LENGTHS = {"name": 100, "personnel_category": 50, "identity_type": 50, "email": 254}
AGENCY_NAME_MAX = 200
NO_PERMISSION = gettext_lazy("您沒有匯入人事資料的權限（限機關人事人員與系統管理者）")
OUT_OF_SCOPE = gettext_lazy("機關代碼「{code}」不在您管理的機關範圍內")


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1; 0 for the file as a whole
    column: str
    message: str

    def __str__(self) -> str:
        where = _("第 {row} 列").format(row=self.row) if self.row else _("檔案")
        if self.column:
            where += _("「{column}」").format(column=self.column)
        return _("{where}：{message}").format(where=where, message=self.message)


@dataclass
class ImportResult:
    kind: str
    filename: str
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def saved(self) -> bool:
        return self.ok and not self.dry_run

    def counts(self) -> dict[str, int]:
        return {"rows": self.rows, "created": self.created, "updated": self.updated, "unchanged": self.unchanged}


class _Rejected(Exception):
    """Unwinds the transaction when rows fail checks that need the database; nothing is written."""


def registry_import(*, kind: str, file, filename: str, actor, dry_run: bool = False) -> ImportResult:
    """Import persons or agencies from a CSV or .xlsx file, all or nothing.

    `actor` is the user importing; None means a server-side operator (the management command). HR officers may
    only touch agencies they manage (with sub-agencies where their role says so) and the staff of those; a user
    with no HR role who is not staff is refused with PermissionDenied before the file is read.
    Every bad row is reported (row, column, reason); when there is any, nothing is saved. Re-importing the same
    file changes nothing. `dry_run` runs every check and counts without saving. One audit event per saved import.
    """
    if kind not in importing.KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    scope = import_scope(actor)
    if scope is not None and not scope:
        raise PermissionDenied(str(NO_PERMISSION))
    result = ImportResult(kind=kind, filename=os.path.basename(filename or "")[:200], dry_run=dry_run)
    try:
        result.ignored_columns, records = importing.iter_records(kind, file, filename)
        parsed = _parse_persons(records, result) if kind == PERSONS else _parse_agencies(records, result)
    except ImportFileError as exc:
        result.errors.append(RowError(exc.row, exc.column, exc.message))
        return result
    if result.rows == 0 and not result.errors:
        result.errors.append(RowError(0, "", _("檔案沒有資料列")))
    # Person rows are independent, so the rows that parsed are still checked against the registry and every
    # problem is reported in one go. Agency rows refer to each other: a row dropped for a bad cell would show
    # up as a false "unknown parent", so agency files stop at the cell checks.
    if result.errors and (kind == AGENCIES or not parsed):
        return result
    try:
        with transaction.atomic():
            if kind == PERSONS:
                _write_persons(parsed, result, scope)
            else:
                _write_agencies(parsed, result, scope)
            if result.errors:
                raise _Rejected
            if dry_run:
                transaction.set_rollback(True)
            else:
                audit_record(
                    actor=actor,
                    action=f"registry.import_{kind}",
                    subject_type="registry.import",
                    subject_id=kind,
                    changes={"filename": result.filename, **result.counts()},
                )
    except _Rejected:
        pass
    except IntegrityError:
        # Another import changed the same rows between the checks and the writes.
        result.errors.append(RowError(0, "", _("資料已被其他作業同時變更，請重新匯入")))
    if result.errors:
        result.created = result.updated = result.unchanged = 0
        result.errors.sort(key=lambda error: error.row)  # stable: a row's columns keep their order
    return result


# -- parsing rows (no database) -------------------------------------------------------------------------------------


def _header(kind: str, field_name: str) -> str:
    return next(c.header for c in importing.COLUMNS[kind] if c.field == field_name)


def _date(value: Any, row: int, column: str, errors: list[RowError]) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return rocdate.parse_roc_or_iso(value)
    except rocdate.InvalidRocDate as exc:
        message = _("「{value}」{problem}").format(value=value, problem=exc) if value else str(exc)
        errors.append(RowError(row, column, message))
        return None


def _text(record: dict, field_name: str, kind: str, row: int, errors: list[RowError], *, required: bool) -> str:
    value = str(record.get(field_name, "") or "")
    column = _header(kind, field_name)
    if required and not value:
        errors.append(RowError(row, column, _("此欄必填")))
    limit = MAX_LENGTHS.get(field_name, AGENCY_NAME_MAX)
    if len(value) > limit:
        errors.append(RowError(row, column, _("長度不可超過 {limit} 字").format(limit=limit)))
    if spreadsheets.looks_like_formula(value):
        errors.append(RowError(row, column, str(spreadsheets.FORMULA_REFUSED)))
    return value


def _agency_code(value: str, row: int, column: str, errors: list[RowError], *, required: bool = True) -> str:
    code = national_id.normalize(value)
    if not code:
        if required:
            errors.append(RowError(row, column, _("此欄必填")))
        return ""
    try:
        agency_code_validator(code)
    except ValidationError:
        message = _("「{value}」格式不正確：機關代碼應為 10 碼英數字（大寫）").format(value=value)
        errors.append(RowError(row, column, message))
        return ""
    return code


@dataclass
class _PersonRow:
    row: int
    values: dict[str, Any]
    agency_code: str


def _parse_persons(records, result: ImportResult) -> list[_PersonRow]:
    rows: list[_PersonRow] = []
    first_seen: dict[str, int] = {}
    errors = result.errors
    for number, record in records:
        result.rows += 1
        before = len(errors)
        values: dict[str, Any] = {}
        raw_id = str(record.get("national_id") or "")
        try:
            values["national_id"] = national_id.validate(raw_id)
        except national_id.InvalidNationalId as exc:
            # The number itself is never echoed: error lists are shown and exported.
            errors.append(RowError(number, "身分證字號", str(exc)))
        else:
            earlier = first_seen.setdefault(values["national_id"], number)
            if earlier != number:
                errors.append(RowError(number, "身分證字號", _("與第 {row} 列重複").format(row=earlier)))
        values["name"] = _text(record, "name", PERSONS, number, errors, required=True)
        values["birthday"] = _date(record.get("birthday"), number, "生日", errors)
        values["post_start_date"] = _date(record.get("post_start_date"), number, "任現職之實際到職日期", errors)
        code = _agency_code(str(record.get("agency_code") or ""), number, "機關代碼", errors)
        # Optional columns absent from the file leave those fields as they are; present but blank clears them.
        for optional in ("personnel_category", "identity_type", "email"):
            if optional in record:
                values[optional] = _text(record, optional, PERSONS, number, errors, required=False)
        if values.get("email"):
            try:
                validate_email(values["email"])
            except ValidationError:
                message = _("「{value}」不是有效的電子郵件地址").format(value=values["email"])
                errors.append(RowError(number, "電子郵件", message))
        _parse_rank(record, values, number, errors)
        if len(errors) == before:
            rows.append(_PersonRow(number, values, code))
    return rows


_YES = {"是", "Y", "YES", "TRUE", "1"}
_NO = {"否", "N", "NO", "FALSE", "0"}
# The registry files' 官等 as HR offices write it (or the stored key).
_RANK_CLASSES = {"委任": RANK_ELEMENTARY, "薦任": RANK_JUNIOR, "簡任": RANK_SENIOR, "特任": RANK_SPECIAL}
_RANK_CLASSES |= {key: key for key in _RANK_CLASSES.values()}
_GRADE = re.compile(r"^第?\s*(\d{1,2})\s*(職等)?$")


def _parse_rank(record: dict, values: dict[str, Any], number: int, errors: list[RowError]) -> None:
    """主管, 官等 and 職等 (optional columns, blank = not recorded); a bad value names its row and column."""
    if "is_supervisor" in record:
        text = str(record["is_supervisor"] or "").strip().upper()
        values["is_supervisor"] = True if text in _YES else False if text in _NO else None
        if text and values["is_supervisor"] is None:
            message = _("「{value}」應為 是 或 否（或空白）").format(value=record["is_supervisor"])
            errors.append(RowError(number, "主管", message))
    if "rank_class" in record:
        text = str(record["rank_class"] or "").strip()
        values["rank_class"] = _RANK_CLASSES.get(text.lower() if text.isascii() else text, "")
        if text and not values["rank_class"]:
            message = _("「{value}」應為 委任、薦任、簡任 或 特任（或空白）").format(value=text)
            errors.append(RowError(number, "官等", message))
    if "rank_grade" in record:
        text = str(record["rank_grade"] or "").strip()
        match = _GRADE.match(text.removesuffix(".0"))
        values["rank_grade"] = int(match.group(1)) if match else None
        if text and (values["rank_grade"] is None or not 1 <= values["rank_grade"] <= 14):
            errors.append(RowError(number, "職等", _("「{value}」應為 1 至 14 的職等（或空白）").format(value=text)))
            values["rank_grade"] = None
        elif values["rank_grade"] is not None:
            rank_class = values.get("rank_class", "")
            problem = rank_problem(rank_class, values["rank_grade"]) if "rank_class" in record else ""
            if problem:
                errors.append(RowError(number, "職等", problem))


@dataclass
class _AgencyRow:
    row: int
    code: str
    name: str
    parent_code: str | None  # None: the file has no parent column, so the parent stays as it is


def _parse_agencies(records, result: ImportResult) -> list[_AgencyRow]:
    rows: list[_AgencyRow] = []
    first_seen: dict[str, int] = {}
    errors = result.errors
    for number, record in records:
        result.rows += 1
        before = len(errors)
        code = _agency_code(str(record.get("code") or ""), number, "機關代碼", errors)
        if code:
            earlier = first_seen.setdefault(code, number)
            if earlier != number:
                message = _("「{code}」與第 {row} 列重複").format(code=code, row=earlier)
                errors.append(RowError(number, "機關代碼", message))
        name = _text(record, "name", AGENCIES, number, errors, required=True)
        parent_code = None
        if "parent_code" in record:
            parent_code = _agency_code(str(record["parent_code"] or ""), number, "上級機關代碼", errors, required=False)
            if code and parent_code == code:
                errors.append(RowError(number, "上級機關代碼", _("不可為機關本身")))
        if len(errors) == before:
            rows.append(_AgencyRow(number, code, name, parent_code))
    return rows


# -- checking against the registry and writing ----------------------------------------------------------------------

PERSON_FIELDS = (
    "name",
    "birthday",
    "agency_id",
    "post_start_date",
    "personnel_category",
    "identity_type",
    "email",
    "is_supervisor",
    "rank_class",
    "rank_grade",
)


def _write_persons(rows: list[_PersonRow], result: ImportResult, scope: set[int] | None) -> None:
    agencies = dict(Agency.objects.values_list("code", "pk"))
    existing: dict[str, Person] = {}
    ids = [row.values["national_id"] for row in rows]
    for start in range(0, len(ids), BATCH):
        for person in Person.objects.filter(national_id__in=ids[start : start + BATCH]):
            existing[person.national_id] = person
    now = clock.now()
    to_create: list[Person] = []
    to_update: list[Person] = []
    changed_fields: set[str] = set()
    for row in rows:
        agency_id = agencies.get(row.agency_code)
        if agency_id is None:
            message = _("「{code}」不存在，請先匯入機關").format(code=row.agency_code)
            result.errors.append(RowError(row.row, "機關代碼", message))
            continue
        if scope is not None and agency_id not in scope:
            result.errors.append(RowError(row.row, "機關代碼", OUT_OF_SCOPE.format(code=row.agency_code)))
            continue
        values = {**row.values, "agency_id": agency_id}
        values.pop("national_id")
        person = existing.get(row.values["national_id"])
        if person is None:
            to_create.append(Person(national_id=row.values["national_id"], updated_at=now, **values))
            continue
        if scope is not None and person.agency_id not in scope:
            result.errors.append(
                RowError(row.row, "身分證字號", _("此人員目前隸屬您管理範圍以外的機關，請洽該機關人事單位辦理"))
            )
            continue
        differing = [name for name, value in values.items() if getattr(person, name) != value]
        if not differing:
            result.unchanged += 1
            continue
        for name in differing:
            setattr(person, name, values[name])
        person.updated_at = now
        changed_fields.update(differing)
        to_update.append(person)
    if result.errors:
        return
    # Updating in place keeps the primary key, so the account linked to the person (User.person) stays.
    Person.objects.bulk_create(to_create, batch_size=BATCH)
    if to_update:
        _update_rows(Person, to_update, [*sorted(changed_fields), "updated_at"])
    result.created, result.updated = len(to_create), len(to_update)


def _update_rows(model, objects: list, field_names: list[str]) -> None:
    """UPDATE each row by primary key with one prepared statement run many times.

    bulk_update() builds CASE WHEN expressions whose cost grows with the batch (measured here: 10,000 persons
    took several times longer than this); a plain parameterised UPDATE per row, sent with executemany, does not.
    """
    fields = [model._meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    # Only model metadata (quoted) goes into the text; every value is a parameter.
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s"  # noqa: S608
    params = [[f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk] for obj in objects]
    with connection.cursor() as cursor:
        for start in range(0, len(params), BATCH):
            cursor.executemany(sql, params[start : start + BATCH])


def _write_agencies(rows: list[_AgencyRow], result: ImportResult, scope: set[int] | None) -> None:
    # The whole agency table is read once: it is small (thousands of rows) and cycles need the whole tree.
    current = {code: (pk, name, parent_id) for pk, code, name, parent_id in Agency.objects.values_list(
        "pk", "code", "name", "parent_id")}  # fmt: skip
    code_of = {pk: code for code, (pk, _, _) in current.items()}
    parent_of: dict[str, str | None] = {
        code: (code_of[parent_id] if parent_id else None) for code, (_, _, parent_id) in current.items()
    }
    in_file = {row.code for row in rows}
    for row in rows:
        if row.parent_code is not None:
            parent_of[row.code] = row.parent_code or None
        elif row.code not in current:
            parent_of[row.code] = None
    errors = result.errors
    for row in rows:
        parent = parent_of[row.code]
        if parent and parent not in current and parent not in in_file:
            message = _("「{code}」不存在（系統與本檔案中皆無此機關）").format(code=parent)
            errors.append(RowError(row.row, "上級機關代碼", message))
    # Cycles are looked for even when a parent is unknown (the walk simply ends there), so one upload reports both.
    for row in rows:
        path, node = [row.code], parent_of[row.code]
        while node is not None and node != row.code and node not in path and len(path) <= len(parent_of):
            path.append(node)
            node = parent_of.get(node)
        if node == row.code:
            message = _("上級機關形成循環：{path}").format(path=" → ".join([*path, row.code]))
            errors.append(RowError(row.row, "上級機關代碼", message))
    if errors:
        return
    if scope is not None:
        _check_agency_scope(rows, current, parent_of, scope, errors)
        if errors:
            return

    to_create = [
        Agency(code=row.code, name=row.name, search_text=agency_search_text(name=row.name, code=row.code))
        for row in rows
        if row.code not in current
    ]
    Agency.objects.bulk_create(to_create, batch_size=BATCH)
    ids = {code: pk for code, (pk, _, _) in current.items()}
    if to_create:
        ids.update(Agency.objects.filter(code__in=[a.code for a in to_create]).values_list("code", "pk"))
    to_update: list[Agency] = []
    for row in rows:
        parent_id = ids[parent_of[row.code]] if parent_of[row.code] else None
        if row.code not in current:
            result.created += 1
            if parent_id is not None:
                to_update.append(
                    Agency(
                        pk=ids[row.code],
                        code=row.code,
                        name=row.name,
                        parent_id=parent_id,
                        search_text=agency_search_text(name=row.name, code=row.code),
                    )
                )
            continue
        pk, name, old_parent_id = current[row.code]
        if name == row.name and old_parent_id == parent_id:
            result.unchanged += 1
            continue
        result.updated += 1
        to_update.append(
            Agency(
                pk=pk,
                code=row.code,
                name=row.name,
                parent_id=parent_id,
                search_text=agency_search_text(name=row.name, code=row.code),
            )
        )
    if to_update:
        _update_rows(Agency, to_update, ["name", "parent", "search_text"])


def _check_agency_scope(rows, current, parent_of, scope: set[int], errors: list[RowError]) -> None:
    """An HR officer may rename agencies they manage and add or move agencies under one they manage."""
    scope_codes = {code for code, (pk, _, _) in current.items() if pk in scope}
    code_of = {pk: code for code, (pk, _, _) in current.items()}

    def will_be_in_scope(code: str | None) -> bool:
        seen = set()
        while code is not None and code not in seen:
            if code in scope_codes:
                return True
            if code in current:  # an existing agency outside the scope: the chain leaves it here
                return False
            seen.add(code)
            code = parent_of.get(code)
        return False

    for row in rows:
        if row.code in current and row.code not in scope_codes:
            errors.append(RowError(row.row, "機關代碼", OUT_OF_SCOPE.format(code=row.code)))
            continue
        old_parent_id = current[row.code][2] if row.code in current else None
        new_parent = parent_of[row.code]
        old_parent = code_of.get(old_parent_id)
        if row.code in current and new_parent == old_parent:
            continue
        if not will_be_in_scope(new_parent):
            errors.append(RowError(row.row, "上級機關代碼", _("須為您管理範圍內的機關")))


def agency_ensure(*, code: str, name: str, actor) -> Agency:
    """The agency with this code, created (audited) when it is not in the registry yet: a learning institution that
    is not a government agency (a university, a 民間機構) reports hours under a code of its own. Must run inside
    the caller's transaction. Raises ValidationError({"code": […]}) for a malformed code."""
    try:
        agency_code_validator(code)
    except ValidationError as exc:
        raise ValidationError({"code": exc.messages}) from exc
    agency = Agency.objects.filter(code=code).first()
    if agency is not None:
        return agency
    agency = Agency.objects.create(code=code, name=name[:AGENCY_NAME_MAX])
    audit_record(
        actor=actor,
        action="registry.agency_create",
        subject=agency,
        changes={"code": [None, code], "name": [None, agency.name]},
    )
    return agency
