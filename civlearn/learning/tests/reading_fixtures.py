"""The two reading-time stores as a fixture, so the crediting rules run against both: the database alone
(REDIS_URL empty) and Redis with batched flushes (a real Redis, a key prefix of its own per test)."""

from __future__ import annotations

import os
import uuid

import pytest

from civlearn.learning.reading import redis_store

# A database number of its own, away from the cache and the Celery broker of a local run.
TEST_REDIS_URL = os.environ.get("CIVLEARN_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")


class Store:
    def __init__(self, name: str, prefix: str = ""):
        self.name = name
        self.prefix = prefix

    @property
    def redis(self) -> bool:
        return self.name == "redis"

    def flush(self) -> int:
        return redis_store.reading_flush() if self.redis else 0

    def lose_redis(self) -> None:
        """What a Redis restart without persistence does to this store: every key gone."""
        client = redis_store._client_for(TEST_REDIS_URL)  # not settings.REDIS_URL: a test may have changed it
        keys = list(client.scan_iter(match=f"{self.prefix}:*", count=1000))
        if keys:
            client.delete(*keys)


@pytest.fixture(params=["database", "redis"])
def reading_store(request, settings):
    if request.param == "redis":
        settings.REDIS_URL = TEST_REDIS_URL
        settings.LEARNING_READING_REDIS_PREFIX = f"test-reading:{uuid.uuid4().hex}"
        store = Store("redis", settings.LEARNING_READING_REDIS_PREFIX)
        yield store
        store.lose_redis()
    else:
        settings.REDIS_URL = ""
        yield Store("database")
