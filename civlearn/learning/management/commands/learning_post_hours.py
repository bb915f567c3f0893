"""Retry posting completed courses' hours to the portal's ledger (periodic: e.g. every 15 minutes).

Posting normally happens at completion; this picks up failures and is safe to run any number of times
(the ledger is idempotent on the enrolment)."""

from django.core.management.base import BaseCommand

from civlearn.learning.completion.services import hours_post_outstanding


class Command(BaseCommand):
    help = "Post completed, not yet posted enrolments to the hours ledger (learners who consented)."

    def handle(self, *args, **options):
        posted = hours_post_outstanding()
        self.stdout.write(f"posted {posted}")
