"""Write reading time kept in Redis to the database (periodic: every few seconds; only when REDIS_URL is set).

`manage.py learning_reading_flush` flushes once (cron, Celery beat); `--every 5` keeps flushing every 5 seconds
(a process of its own next to the app servers), surviving outages of PostgreSQL and Redis (reading/flusher.py).
Safe to run twice or concurrently: balances only ever rise."""

from django.core.management.base import BaseCommand, CommandError

from civlearn.learning.reading import redis_store
from civlearn.learning.reading.flusher import flush_round, flusher_run, status_publish


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
        if not every:
            result = flush_round()
            status_publish(result)
            if not result.ok:
                raise CommandError(f"排清失敗：{result.error}")
            self.stdout.write(f"flushed {result.written}")
            return

        def report(result):
            if result.written:
                self.stdout.write(f"flushed {result.written}")
                self.stdout.flush()

        flusher_run(every=every, on_round=report)
