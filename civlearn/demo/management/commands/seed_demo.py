"""manage.py seed_demo [--print-signins]: demo data for every face, safe to run any number of times."""

from __future__ import annotations

from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import transaction

# Each module defines seed() (idempotent: get-or-create by natural keys, save only what differs) and may define
# signins() -> list[str] (lines for --print-signins, computed without the database). Add a module with a
# one-line edit; they run in this order, so later ones can use what earlier ones created.
SEEDERS = [
    "civlearn.demo.registry",
    "civlearn.demo.content",
    "civlearn.demo.hours",
    "civlearn.demo.learning",
    "civlearn.demo.partners",
    "civlearn.demo.packages",
]


class Command(BaseCommand):
    help = "建立示範資料（可重複執行，不會重複建立）；--print-signins 只列出示範登入帳號"

    def add_arguments(self, parser):
        parser.add_argument("--print-signins", action="store_true", help="只列出示範帳號與密碼，不寫入資料庫")

    def handle(self, *args, print_signins: bool, **options):
        modules = [import_module(name) for name in SEEDERS]
        if print_signins:
            for module in modules:
                for line in getattr(module, "signins", list)():
                    self.stdout.write(line)
            return
        with transaction.atomic():
            for module in modules:
                module.seed()
        self.stdout.write(self.style.SUCCESS(f"示範資料已就緒（{len(modules)} 組）"))
