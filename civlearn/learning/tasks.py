"""Celery tasks of the learning app. Safe to run twice."""

from celery import shared_task


@shared_task(name="learning.reading_flush", ignore_result=True)
def reading_flush() -> None:
    """Periodic (Celery beat, every few seconds) when REDIS_URL is set: see redis_store.reading_flush."""
    from civlearn.learning.reading import redis_store

    if redis_store.enabled():
        redis_store.reading_flush()
