"""Write reading time kept in Redis to the database (periodic: every few seconds; only when REDIS_URL is set).

`manage.py learning_reading_flush` flushes once (cron, Celery beat); `--every 5` keeps flushing every 5 seconds
(a process of its own next to the app servers). Safe to run twice or concurrently: balances only ever rise."""

import time

from django.core.management.base import BaseCommand, CommandError

from civlearn.learning.reading import redis_store


class Command(BaseCommand):
    help = "Flush reading-time balances from Redis to the database (GREATEST, idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=float, default=0, help="keep flushing every this many seconds (0: flush once)"
        )

    def handle(self, *args, every: float, **options):
        if not redis_store.enabled():
            raise CommandError("未設定 REDIS_URL：閱讀時數直接寫入資料庫，無須排清")
        if every < 0:
            raise CommandError("--every 必須是 0 或正數")
        while True:
            started = time.monotonic()
            written = redis_store.reading_flush()
            if not every:
                self.stdout.write(f"flushed {written}")
                return
            if written:
                self.stdout.write(f"flushed {written}")
            time.sleep(max(0.0, every - (time.monotonic() - started)))
