"""Which category codes count in which summary row (統計類別) and national requirement (時數規定), as a file.

Operators keep the mapping in a spreadsheet (CSV, .xlsx or .ods) with one line per (target, table, code):

    table,code,kind,key,year_from
    2024,510,rule,policy,2024
    2024,521,row,infosec-professional,

`kind` is `row` (a ReportingCategory whose measure is "依課程類別代碼") or `rule` (a national RequirementRule whose
scope is "指定課程類別代碼", named by `key` and `year_from`). The file is the whole mapping: a target with no line
ends up with no codes. `mapping_plan` reads and checks a file (every bad line reported with its row number),
`mapping_changes` says what applying it would change, `mapping_apply` applies it all or nothing with one audit event
per changed target, and `mapping_export` writes the current mapping in the same format, so an export read back
changes nothing. Agencies' own rules are not in the file: HR officers keep them on /lifelong/ (views_rules.py).
The columns are documented in docs/category-mapping.md.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from civlearn.core import spreadsheets
from civlearn.core.services import audit_record
from civlearn.hours import exports, rules
from civlearn.hours.models import Category, ReportingCategory, RequirementRule

COLUMNS = ["table", "code", "kind", "key", "year_from"]
ROW, RULE = "row", "rule"
SHEET_NAME = "課程類別對應"
MAX_LINES = 20_000

# (kind, key, year_from or None)
Target = tuple[str, str, int | None]
CodeSets = dict[str, list[str]]


@dataclass(frozen=True)
class Problem:
    row: int
    message: str


class MappingFileError(ValueError):
    """Every problem of a mapping file, each with its row number (0 = the file as a whole)."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(f"{p.row}: {p.message}" for p in problems))
        self.problems = problems


@dataclass
class Change:
    kind: str
    key: str
    year_from: int | None
    label: str
    added: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Plan:
    """The mapping a file asks for: every target's code sets (targets without a line map to {})."""

    mapping: dict[Target, CodeSets]

    def to_json(self) -> str:
        return json.dumps(
            [[kind, key, year, sets] for (kind, key, year), sets in sorted(self.mapping.items(), key=_target_sort)],
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Plan:
        return cls({(kind, key, year): sets for kind, key, year, sets in json.loads(text)})


def _target_sort(item):
    (kind, key, year), _sets = item
    return (kind, key, year or 0)


# ---- the targets ------------------------------------------------------------------------------------------------


def _targets() -> dict[Target, ReportingCategory | RequirementRule]:
    found: dict[Target, ReportingCategory | RequirementRule] = {}
    for row in ReportingCategory.objects.filter(measure=ReportingCategory.MEASURE_CODES).order_by("order", "key"):
        found[(ROW, row.key, None)] = row
    for rule in RequirementRule.objects.filter(agency__isnull=True, scope=RequirementRule.SCOPE_CODES).order_by(
        "order", "year_from", "id"
    ):
        found[(RULE, rule.key, rule.year_from)] = rule
    return found


def _target_name(kind: str, key: str, year: int | None) -> str:
    if kind == ROW:
        return _("統計類別 %(key)s") % {"key": key}
    return _("時數規定 %(key)s（%(year)s 年起）") % {"key": key, "year": year}


def current_mapping() -> dict[Target, CodeSets]:
    return {target: _normalised(obj.codes) for target, obj in _targets().items()}


def _normalised(code_sets: Any) -> CodeSets:
    if not isinstance(code_sets, dict):
        return {}
    return {table: list(codes) for table, codes in code_sets.items() if codes}


def fingerprint(mapping: dict[Target, CodeSets]) -> str:
    """A digest of a mapping (sets, not order): the preview carries it so a change made meanwhile is noticed."""
    canonical = sorted(
        (kind, key, year or 0, table, sorted(codes))
        for (kind, key, year), sets in mapping.items()
        for table, codes in sets.items()
    )
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=False).encode()).hexdigest()


# ---- reading a file ---------------------------------------------------------------------------------------------


def mapping_plan(*, file, filename: str) -> Plan:
    """Read and check a mapping file. Raises MappingFileError listing every bad line (nothing is changed)."""
    problems: list[Problem] = []
    targets = _targets()
    rows_by_key = {obj.key: obj for (kind, _k, _y), obj in targets.items() if kind == ROW}
    all_rows = {row.key: row for row in ReportingCategory.objects.all()}
    national_rules = {(r.key, r.year_from): r for r in RequirementRule.objects.filter(agency__isnull=True)}
    known_codes: dict[str, set[str]] = {}
    for table, code in Category.objects.values_list("table__name", "code"):
        known_codes.setdefault(table, set()).add(code)
    mapping: dict[Target, CodeSets] = {target: {} for target in targets}
    seen: dict[tuple[Target, str, str], int] = {}
    try:
        lines = spreadsheets.read_rows(file, filename, limit=MAX_LINES)
        for number, cells in lines:
            values = [spreadsheets.cell_text(cell) for cell in cells]
            if number == 1:
                header = [value.lower() for value in values]
                while header and not header[-1]:
                    header.pop()
                if header != COLUMNS:
                    raise MappingFileError(
                        [Problem(1, _("第 1 列應為欄位名稱 %(columns)s") % {"columns": ",".join(COLUMNS)})]
                    )
                continue
            if not any(values):
                continue
            values = (values + [""] * len(COLUMNS))[: len(COLUMNS)]
            table, code, kind, key, year_text = values
            kind = kind.lower()
            line_problems = []
            target: Target | None = None
            if kind == ROW:
                if year_text:
                    line_problems.append(_("統計類別不填 year_from"))
                if key in rows_by_key:
                    target = (ROW, key, None)
                elif key in all_rows:
                    line_problems.append(
                        _("統計類別 %(key)s 的計算方式為「%(measure)s」，不依課程類別代碼計算")
                        % {"key": key, "measure": all_rows[key].get_measure_display()}
                    )
                else:
                    line_problems.append(_("沒有識別碼為 %(key)s 的統計類別") % {"key": key or "（空白）"})
            elif kind == RULE:
                year = int(year_text) if year_text.isdigit() else None
                if year is None:
                    line_problems.append(_("時數規定須填 year_from（適用起始年度，西元四位數）"))
                elif (key, year) not in national_rules:
                    line_problems.append(
                        _("沒有識別碼為 %(key)s、%(year)s 年起適用的全國時數規定")
                        % {"key": key or "（空白）", "year": year}
                    )
                elif (RULE, key, year) not in targets:
                    rule = national_rules[(key, year)]
                    line_problems.append(
                        _("時數規定 %(key)s 的計算範圍為「%(scope)s」，不依課程類別代碼計算")
                        % {"key": key, "scope": rule.get_scope_display()}
                    )
                else:
                    target = (RULE, key, year)
            else:
                line_problems.append(
                    _("kind 應為 row（統計類別）或 rule（時數規定），而非「%(kind)s」") % {"kind": kind}
                )
            if table not in known_codes:
                line_problems.append(_("沒有名稱為「%(table)s」的課程類別代碼表") % {"table": table or "（空白）"})
            elif code not in known_codes[table]:
                line_problems.append(
                    _("代碼表 %(table)s 沒有代碼「%(code)s」") % {"table": table, "code": code or "（空白）"}
                )
            if target is not None and not line_problems:
                previous = seen.get((target, table, code))
                if previous:
                    line_problems.append(_("與第 %(row)s 列重複") % {"row": previous})
                else:
                    seen[(target, table, code)] = number
                    mapping[target].setdefault(table, []).append(code)
            problems.extend(Problem(number, message) for message in line_problems)
    except spreadsheets.SpreadsheetError as exc:
        problems.append(Problem(exc.row, exc.message))
    if problems:
        raise MappingFileError(problems)
    return Plan(mapping)


# ---- what changes -----------------------------------------------------------------------------------------------


def mapping_changes(plan: Plan, current: dict[Target, CodeSets] | None = None) -> list[Change]:
    """What applying `plan` would change, target by target, in the targets' order; unchanged targets left out."""
    current = current_mapping() if current is None else current
    targets = _targets()
    changes = []
    for target, obj in targets.items():
        before = {(t, c) for t, codes in current.get(target, {}).items() for c in codes}
        after_list = [(t, c) for t, codes in plan.mapping.get(target, {}).items() for c in codes]
        after = set(after_list)
        if before == after:
            continue
        kind, key, year = target
        changes.append(
            Change(
                kind=kind,
                key=key,
                year_from=year,
                label=obj.label,
                added=[pair for pair in after_list if pair not in before],
                removed=sorted(before - after),
            )
        )
    return changes


def may_change_mapping(actor) -> bool:
    if actor is None:  # a management command, run by whoever holds the server
        return True
    return bool(
        actor.is_active
        and actor.is_staff
        and actor.has_perms(["hours.change_reportingcategory", "hours.change_requirementrule"])
    )


@transaction.atomic(durable=True)
def mapping_apply(*, actor, plan: Plan, expected: str | None = None, ip_address: str | None = None) -> list[Change]:
    """Apply `plan`, all or nothing; one audit event per changed target. `expected` (a `fingerprint` taken at the
    preview) refuses the change if the mapping changed since. Raises PermissionDenied or ValidationError."""
    if not may_change_mapping(actor):
        raise PermissionDenied(_("您沒有變更課程類別對應的權限"))
    targets = _targets()
    # Lock the targets, so two operators' confirmations are applied one after the other, each against what it saw.
    row_ids = [obj.pk for (kind, _key, _year), obj in targets.items() if kind == ROW]
    rule_ids = [obj.pk for (kind, _key, _year), obj in targets.items() if kind == RULE]
    list(ReportingCategory.objects.select_for_update().filter(pk__in=row_ids))
    list(RequirementRule.objects.select_for_update().filter(pk__in=rule_ids))
    targets = _targets()
    current = {target: _normalised(obj.codes) for target, obj in targets.items()}
    if expected is not None and fingerprint(current) != expected:
        raise ValidationError(_("課程類別對應在預覽之後已被變更，請重新上傳檔案並確認預覽"))
    missing = [target for target in plan.mapping if target not in targets]
    if missing:
        raise ValidationError(
            _("檔案中的 %(target)s 已不依課程類別代碼計算或已刪除，請重新上傳檔案")
            % {"target": _target_name(*missing[0])}
        )
    changes = mapping_changes(plan, current)
    for change in changes:
        target = (change.kind, change.key, change.year_from)
        obj = targets[target]
        old = obj.codes
        obj.codes = plan.mapping.get(target, {})
        obj.save(update_fields=["codes"])
        audit_record(
            actor=actor,
            action="hours.category_mapping_change",
            subject=obj,
            changes={"codes": [old, obj.codes]},
            ip_address=ip_address,
        )
    if changes:
        transaction.on_commit(rules.invalidate)
    return changes


# ---- writing ----------------------------------------------------------------------------------------------------


def mapping_rows() -> list[list[str]]:
    """The current mapping as the file's lines (header first), targets in their order, codes as stored."""
    lines: list[list[str]] = [list(COLUMNS)]
    for (kind, key, year), sets in current_mapping().items():
        for table, codes in sets.items():
            for code in codes:
                lines.append([table, code, kind, key, "" if year is None else str(year)])
    return lines


def mapping_export(*, file_format: str) -> tuple[bytes, str, str]:
    """(content, content type, file name) of the current mapping as "csv", "xlsx" or "ods"."""
    lines = mapping_rows()
    if file_format == "csv":
        buffer = io.StringIO()
        spreadsheets.csv_writer(buffer, lineterminator="\r\n").writerows(lines)
        # A BOM, so Excel opens the UTF-8 file with its Chinese intact.
        return ("\ufeff" + buffer.getvalue()).encode("utf-8"), "text/csv; charset=utf-8", "category-mapping.csv"
    sheets = [exports.Sheet(SHEET_NAME, [*lines])]
    if file_format == "xlsx":
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return exports.to_xlsx(sheets), content_type, "category-mapping.xlsx"
    if file_format == "ods":
        return exports.to_ods(sheets), "application/vnd.oasis.opendocument.spreadsheet", "category-mapping.ods"
    raise ValueError(file_format)


__all__ = [
    "COLUMNS",
    "Change",
    "MappingFileError",
    "Plan",
    "Problem",
    "current_mapping",
    "fingerprint",
    "mapping_apply",
    "mapping_changes",
    "mapping_export",
    "mapping_plan",
    "mapping_rows",
    "may_change_mapping",
]
