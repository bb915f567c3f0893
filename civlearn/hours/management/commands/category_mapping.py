"""manage.py category_mapping load FILE [--dry-run] | export FILE

Which category codes count in which summary row and national requirement, as a file (CSV, .xlsx or .ods; columns
table,code,kind,key,year_from — docs/category-mapping.md). `load` prints what changes, then applies the whole file
(or nothing, with every bad line listed by row number); `--dry-run` only prints. `export` writes the current
mapping in the same format (by the file's extension), which `load` reads back without a change.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from civlearn.hours import mapping


def describe(change: mapping.Change) -> str:
    def pairs(items):
        return "、".join(f"{table}:{code}" for table, code in items) or "—"

    kind = "統計類別" if change.kind == mapping.ROW else f"時數規定（{change.year_from} 年起）"
    return f"{kind} {change.key}「{change.label}」 新增 {pairs(change.added)}；移除 {pairs(change.removed)}"


class Command(BaseCommand):
    help = "匯入或匯出課程類別代碼與統計類別、時數規定的對應（CSV／.xlsx／.ods）"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["load", "export"])
        parser.add_argument("file", help="檔案路徑（.csv、.xlsx 或 .ods）")
        parser.add_argument("--dry-run", action="store_true", help="只列出將有的變更，不寫入")

    def handle(self, *args, action, file, dry_run, **options):
        path = Path(file)
        if action == "export":
            file_format = path.suffix.lower().lstrip(".")
            if file_format not in ("csv", "xlsx", "ods"):
                raise CommandError("匯出檔名須以 .csv、.xlsx 或 .ods 結尾")
            content, _type, _name = mapping.mapping_export(file_format=file_format)
            path.write_bytes(content)
            self.stdout.write(f"已匯出 {len(mapping.mapping_rows()) - 1} 筆對應至 {path}")
            return
        try:
            with path.open("rb") as handle:
                plan = mapping.mapping_plan(file=handle, filename=path.name)
        except FileNotFoundError as exc:
            raise CommandError(f"找不到檔案：{file}") from exc
        except mapping.MappingFileError as exc:
            lines = [f"第 {p.row} 列：{p.message}" if p.row else p.message for p in exc.problems]
            raise CommandError("檔案有誤，沒有任何變更：\n" + "\n".join(lines)) from exc
        changes = mapping.mapping_changes(plan)
        for change in changes:
            self.stdout.write(describe(change))
        if not changes:
            self.stdout.write("對應沒有變更")
            return
        if dry_run:
            self.stdout.write(f"（試算）共 {len(changes)} 項將變更，未寫入")
            return
        try:
            mapping.mapping_apply(actor=None, plan=plan)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        self.stdout.write(f"已套用，共 {len(changes)} 項變更")
