"""Collect and deliver outbound hours batches (環境教育終身學習網, 全國教師在職進修資訊網). Safe to run twice;
run it periodically (cron or Celery beat), e.g. every hour. The batches are the hours exchange's
(civlearn/hours/outbound.py); the command lives here because who may be sent is e等公務園+'s
(consent, 全教網 choice)."""

from django.core.management.base import BaseCommand

from civlearn.learning.completion.outbound import outbound_run


class Command(BaseCommand):
    help = "Collect completions due for each outbound destination and deliver pending or failed batches."

    def handle(self, *args, **options):
        report = outbound_run()
        for key, figures in report.items():
            self.stdout.write(
                f"{key}: collected {figures['collected']}, sent {figures['sent']}, failed {figures['failed']}"
            )
        if not report:
            self.stdout.write("no active destination")
