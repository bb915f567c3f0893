"""manage.py load_categories FILE --name NAME --effective-from YYYY-MM-DD

Create or replace a course-category code table from a CSV file (`code,parent_code,name`, UTF-8 or Big5).
Existing ledger entries keep the table and code they were recorded with.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from civlearn.hours import categories


class Command(BaseCommand):
    help = "匯入或取代課程類別代碼表（CSV：code,parent_code,name）"

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV 檔（UTF-8 或 Big5）")
        parser.add_argument("--name", required=True, help="代碼表名稱，例如 2024")
        parser.add_argument("--effective-from", required=True, help="生效日期 YYYY-MM-DD（西元）")

    def handle(self, *args, file, name, effective_from, **options):
        try:
            day = dt.date.fromisoformat(effective_from)
        except ValueError as exc:
            raise CommandError(f"生效日期格式不正確：{effective_from}（請用 YYYY-MM-DD）") from exc
        try:
            table = categories.load_file(file, name=name, effective_from=day)
        except FileNotFoundError as exc:
            raise CommandError(f"找不到檔案：{file}") from exc
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        self.stdout.write(
            f"代碼表 {table.name}（{table.effective_from:%Y-%m-%d} 起）已匯入 {table.categories.count()} 個代碼"
        )
