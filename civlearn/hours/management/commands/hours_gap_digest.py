"""Send the HR offices' weekly digests of staff at risk that are due (periodic: hourly; at most one per agency and
week, so running it more often only retries failed sends). `--every N` keeps running every N seconds (the loop
`./run` starts when there is no Celery broker)."""

import time

from django.core.management.base import BaseCommand, CommandError

from civlearn.hours import gaps_digest


class Command(BaseCommand):
    help = "Send the weekly at-risk digests that are due (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=0, help="run again every this many seconds (0: once)")

    def handle(self, *args, every: float, **options):
        if every < 0:
            raise CommandError("--every 必須是 0 或正數")
        while True:
            sent = gaps_digest.digests_send()
            self.stdout.write(f"digests sent: {sent}")
            self.stdout.flush()
            if not every:
                return
            time.sleep(every)
