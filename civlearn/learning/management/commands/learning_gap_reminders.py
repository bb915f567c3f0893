"""Send the gap reminder e-mails that are due (periodic: daily; a learner gets at most one a week, so running it
more often is harmless). `--every N` keeps running every N seconds (the loop `./run` starts when there is no Celery
broker)."""

import time

from django.core.management.base import BaseCommand, CommandError

from civlearn.learning.gaps.services import gap_reminders_send


class Command(BaseCommand):
    help = "Send the gap reminder e-mails that are due (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=0, help="run again every this many seconds (0: once)")

    def handle(self, *args, every: float, **options):
        if every < 0:
            raise CommandError("--every 必須是 0 或正數")
        while True:
            sent = gap_reminders_send()
            self.stdout.write(f"gap reminders sent: {sent}")
            self.stdout.flush()
            if not every:
                return
            time.sleep(every)
