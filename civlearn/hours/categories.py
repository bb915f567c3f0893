"""Course-category code tables (課程類別代碼表): reading the CSV, loading a version, finding the table in force.

A table file is CSV with the columns `code,parent_code,name` (a `level` column is accepted and ignored: levels are
computed from the tree). Lines starting with `#` are comments, so a file can name its source in its first lines.
Loading a table with a name that exists replaces that table's codes; existing ledger entries keep the table they
were recorded against and their code as recorded, so nothing already counted is rewritten.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from civlearn.core.services import audit_record
from civlearn.hours.models import Category, CategoryTable

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class CategoryRow:
    code: str
    parent_code: str
    name: str


def parse_table(text: str) -> tuple[list[CategoryRow], str]:
    """Parse a code-table CSV. Returns (rows, source note from the leading `#` lines); raises ValidationError
    listing every bad line (line numbers as in the file)."""
    note_lines: list[str] = []
    body: list[tuple[int, str]] = []
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if line.startswith("#"):
            if not body:
                note_lines.append(line.lstrip("#").strip())
            continue
        if line.strip():
            body.append((number, line))
    if not body:
        raise ValidationError("檔案沒有資料")
    reader = csv.reader(line for _, line in body)
    header = [name.strip().lstrip("*") for name in next(reader)]
    missing = [name for name in ("code", "parent_code", "name") if name not in header]
    if missing:
        raise ValidationError(f"標題列缺少欄位：{'、'.join(missing)}（需要 code,parent_code,name）")
    index = {name: header.index(name) for name in ("code", "parent_code", "name")}
    rows: list[CategoryRow] = []
    errors: list[str] = []
    seen: set[str] = set()
    for (number, _), fields in zip(body[1:], reader, strict=True):
        if len(fields) < len(header):
            errors.append(f"第 {number} 行：欄位數不足")
            continue
        code, parent, name = (fields[index[key]].strip() for key in ("code", "parent_code", "name"))
        if not code:
            errors.append(f"第 {number} 行：代碼空白")
        elif code in seen:
            errors.append(f"第 {number} 行：代碼 {code} 重複")
        elif not name:
            errors.append(f"第 {number} 行：代碼 {code} 沒有名稱")
        else:
            seen.add(code)
            rows.append(CategoryRow(code, parent, name))
    for row in rows:
        if row.parent_code and row.parent_code not in seen:
            errors.append(f"代碼 {row.code} 的上層代碼 {row.parent_code} 不在表中")
    if not errors:
        levels = _levels(rows)
        errors.extend(f"代碼 {code} 的上層關係形成循環" for code, level in levels.items() if level < 0)
    if errors:
        raise ValidationError(errors)
    return rows, "\n".join(note_lines)


def _levels(rows: list[CategoryRow]) -> dict[str, int]:
    """Depth of every code (roots are 1); -1 for a code on a cycle."""
    parents = {row.code: row.parent_code for row in rows}
    levels: dict[str, int] = {}
    for code in parents:
        chain: list[str] = []
        current = code
        while current and current not in levels and current not in chain:
            chain.append(current)
            current = parents.get(current, "")
        if current in chain:
            for item in chain:
                levels[item] = -1
            continue
        base = levels.get(current, 0) if current else 0
        for depth, item in enumerate(reversed(chain), start=1):
            levels[item] = -1 if base < 0 else base + depth
    return levels


def table_load(*, text: str, name: str, effective_from: dt.date, source_note: str = "", actor=None) -> CategoryTable:
    """Create or replace the code table `name` from CSV text, all or nothing."""
    rows, note = parse_table(text)
    name = name.strip()
    if not name:
        raise ValidationError({"name": "請輸入代碼表名稱"})
    levels = _levels(rows)
    with transaction.atomic():
        table = CategoryTable.objects.select_for_update().filter(name=name).first()
        clash = CategoryTable.objects.filter(effective_from=effective_from).exclude(name=name).first()
        if clash:
            raise ValidationError(
                {"effective_from": f"生效日期 {effective_from:%Y-%m-%d} 已由代碼表 {clash.name} 使用"}
            )
        old = None
        if table is None:
            table = CategoryTable.objects.create(
                name=name, effective_from=effective_from, source_note=source_note or note
            )
        else:
            old = {"effective_from": table.effective_from.isoformat(), "codes": table.categories.count()}
            table.effective_from = effective_from
            table.source_note = source_note or note or table.source_note
            table.save(update_fields=["effective_from", "source_note"])
            table.categories.all().delete()
        Category.objects.bulk_create(
            Category(table=table, code=row.code, parent_code=row.parent_code, name=row.name, level=levels[row.code])
            for row in rows
        )
        audit_record(
            actor=actor,
            action="hours.category_table_load",
            subject=table,
            changes={
                "effective_from": [old["effective_from"] if old else None, effective_from.isoformat()],
                "codes": [old["codes"] if old else None, len(rows)],
            },
        )
        transaction.on_commit(_invalidate)
    return table


def _invalidate() -> None:
    from civlearn.hours import rules

    rules.invalidate()


def load_file(path: Path | str, *, name: str, effective_from: dt.date, actor=None) -> CategoryTable:
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("big5")
    return table_load(text=text, name=name, effective_from=effective_from, actor=actor)
