"""Delete e-mail verifications that can no longer be used, and sign-in throttle counters and locks that have ended.
Safe to run twice; cron or Celery beat runs it daily."""

import datetime as dt

from django.core.management.base import BaseCommand

from civlearn.core import clock
from civlearn.identity import throttle
from civlearn.identity.models import EmailVerification


class Command(BaseCommand):
    help = (
        "Delete e-mail verifications (first sign-in, forgotten password) expired more than --days ago, and ended "
        "sign-in counters and locks."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7, help="keep expired ones this many days (default 7)")

    def handle(self, *args, days, **options):
        cutoff = clock.now() - dt.timedelta(days=days)
        deleted, _ = EmailVerification.objects.filter(expires_at__lt=cutoff).delete()
        self.stdout.write(f"deleted {deleted} expired e-mail verification(s)")
        ended = throttle.purge(before=clock.now())
        self.stdout.write(f"deleted {ended} ended sign-in counter(s) and lock(s)")
