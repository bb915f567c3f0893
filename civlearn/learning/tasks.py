"""Celery tasks of the learning app. Safe to run twice."""

from celery import shared_task


@shared_task(name="learning.reading_flush", ignore_result=True)
def reading_flush() -> None:
    """Periodic (Celery beat, every few seconds) when REDIS_URL is set: one round of the flusher, its state
    published like the long-running flusher's (reading/flusher.py); a failed round is retried by the next one."""
    from civlearn.learning.reading import redis_store
    from civlearn.learning.reading.flusher import flush_round, status_publish

    if redis_store.enabled():
        status_publish(flush_round())


@shared_task(name="learning.gap_reminders", ignore_result=True)
def gap_reminders() -> None:
    """Periodic (daily): gap reminder e-mails due today (learning/gaps/services.py)."""
    from civlearn.learning.gaps.services import gap_reminders_send

    gap_reminders_send()
