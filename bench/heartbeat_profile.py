"""CPU of one heartbeat inside the Django WSGI application, without the HTTP server: where the time goes.

Run from the repository root, after bench/heartbeat.py has created the database `civlearn_bench`:

    .venv/bin/python bench/heartbeat_profile.py [--beats 5000] [--repeat 3] [--redis] [--profile] [--path hello]

It calls the WSGI application directly with a heartbeat POST (a random one of 5,000 signed reading tokens per
call), and prints the process CPU per beat (time.process_time) and the CPU the PostgreSQL backend and (with
--redis) the Redis server spent meanwhile, read from /proc. --profile adds a cProfile (CPU clock) of the loop.
--redis sets REDIS_URL (BENCH_REDIS_URL, default redis://127.0.0.1:6379/12) and flushes after each run, counted.
The loop runs --repeat times and the cheapest run is printed (others' work on a shared machine only adds CPU).
--path hello or echo calls bench/heartbeat_urls.py's views instead, the same way, for comparison.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from proc_cpu import cpu_seconds, named  # noqa: E402

from bench.heartbeat import STORE, env  # noqa: E402

REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--beats", type=int, default=5000)
    parser.add_argument("--redis", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--path", choices=["heartbeat", "hello", "echo"], default="heartbeat")
    options = parser.parse_args()
    STORE["store"] = "redis" if options.redis else "database"
    values = env()
    if options.redis:
        values["REDIS_URL"] = REDIS
        values["LEARNING_READING_REDIS_PREFIX"] = "bench-profile"
    os.environ.update(values)
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    if options.redis:
        settings.LEARNING_READING_REDIS_PREFIX = "bench-profile"
    from civlearn.learning.models import Enrolment
    from civlearn.learning.reading import redis_store
    from civlearn.learning.reading.services import reading_stream_open
    from civlearn.wsgi import application

    enrolments = list(Enrolment.objects.filter(user__username__startswith="bench").select_related("course")[:5000])
    if not enrolments:
        sys.exit("run bench/heartbeat.py first: it creates the learners")
    if options.redis:
        client = redis_store.client()
        keys = list(client.scan_iter(match="bench-profile:*", count=1000))
        if keys:
            client.delete(*keys)
    tokens = [reading_stream_open(enrolment=e).encode() for e in enrolments]
    if options.redis:
        redis_store.reading_flush()

    path = {"heartbeat": "/elearn/heartbeat", "hello": "/bench/hello", "echo": "/bench/echo"}[options.path]
    method = "GET" if options.path == "hello" else "POST"

    def environ(token: bytes) -> dict:
        body = b"token=" + token
        return {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8765",
            "HTTP_HOST": "127.0.0.1:8765",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
        }

    statuses: dict[str, int] = {}

    def start_response(status, headers, exc_info=None):
        statuses[status] = statuses.get(status, 0) + 1

    def loop(n: int) -> None:
        for _ in range(n):
            for _chunk in application(environ(random.choice(tokens)), start_response):
                pass

    loop(200)  # warm-up: prepared statements, scripts loaded
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    redis_pid = next(iter(named("redis-server")), None) if options.redis else None
    statuses.clear()
    profiler = cProfile.Profile(time.process_time) if options.profile else None
    runs = []
    for _ in range(options.repeat):
        before = time.process_time(), cpu_seconds([backend]), cpu_seconds([redis_pid] if redis_pid else [])
        if profiler:
            profiler.enable()
        loop(options.beats)
        written = redis_store.reading_flush() if options.redis else 0
        if profiler:
            profiler.disable()
        app = time.process_time() - before[0]
        pg = cpu_seconds([backend]) - before[1]
        rd = (cpu_seconds([redis_pid]) - before[2]) if redis_pid else 0.0
        runs.append((app + pg + rd, app, pg, rd, written))
    total, app, pg, rd, written = min(runs)
    per = 1000 / options.beats
    mode = "Redis + batched flush" if options.redis else "PostgreSQL per beat"
    print(f"{options.path} ({mode if options.path == 'heartbeat' else 'no database'}); statuses {statuses}")
    print(
        f"CPU per request, cheapest of {options.repeat} runs of {options.beats}: app {app * per:.3f} ms "
        f"(incl. flushing {written} enrolments), PostgreSQL backend {pg * per:.3f} ms, redis-server {rd * per:.3f} ms "
        f"(shared server: others' use included), total {total * per:.3f} ms"
    )
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("BENCH_SORT", "tottime")).print_stats(
            int(os.environ.get("BENCH_LINES", "30"))
        )
        print(out.getvalue())


if __name__ == "__main__":
    main()
