"""Heartbeat throughput on the production server: granian WSGI, 2 workers, PostgreSQL, persistent connections.

Run from the repository root:

    .venv/bin/python bench/heartbeat.py [--learners 5000] [--duration 10] [--connections 32] [--store redis]

It recreates the database `civlearn_bench` on the local PostgreSQL, migrates it, creates the learners
with one enrolment each, signs one reading token per learner, starts granian, and runs wrk three times against it:
a warm-up, a plain "hello" Django view, and heartbeats spread at random over all learners. It prints requests/s,
p99 latency, how many heartbeats were credited (the server answered credited_ms > 0), and the heartbeat / hello
ratio. Nothing here is asserted; the figures go to docs/performance.md.

--store redis (the default) runs the server with REDIS_URL (BENCH_REDIS_URL, default redis://127.0.0.1:6379/12,
whose reading keys are wiped first) and runs the flusher (`manage.py learning_reading_flush --every 2`) during the
heartbeat run: its CPU, its PostgreSQL backend's and the Redis server's count in the heartbeat's CPU per request.
--store database runs without Redis: every beat is one PostgreSQL statement.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from proc_cpu import children, cpu_seconds, database_backends, named

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/civlearn_bench")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BENCH_REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
STORE = {"store": "redis"}  # set from --store before anything reads env()

LUA = r"""
local tokens = {}
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines("%(tokens)s") do tokens[#tokens + 1] = "token=" .. line end
  math.randomseed(os.time() + id * 7919)
  credited = 0
  uncredited = 0
  failed = 0
  last_failure = nil
end

function request()
  return wrk.format("POST", "%(path)s",
    {["Content-Type"] = "application/x-www-form-urlencoded"}, tokens[math.random(#tokens)])
end

function response(status, headers, body)
  if status ~= 200 then
    failed = failed + 1
    last_failure = status .. " " .. string.sub(body, 1, 120)
  elseif string.find(body, '"credited_ms": 0,', 1, true) then
    uncredited = uncredited + 1
  else
    credited = credited + 1
  end
end

function done(summary, latency, requests)
  local c, u, f = 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("credited"); u = u + t:get("uncredited"); f = f + t:get("failed")
    if t:get("last_failure") then io.write("FAILURE " .. t:get("last_failure") .. "\n") end
  end
  io.write(string.format("BEATS credited=%%d uncredited=%%d failed=%%d\n", c, u, f))
end
"""


def env() -> dict[str, str]:
    values = dict(os.environ)
    values.update(
        DATABASE_URL=BENCH_DB,
        DJANGO_SETTINGS_MODULE="bench.heartbeat_settings",
        CIVLEARN_DEMO="1",
        PYTHONPATH=str(ROOT),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
    )
    values.pop("CIVLEARN_TESTING", None)
    if STORE["store"] == "redis":
        values["REDIS_URL"] = BENCH_REDIS
    else:
        values.pop("REDIS_URL", None)
    return values


def fresh_redis() -> None:
    """Drop the reading keys a previous run left: the fresh database reuses enrolment ids."""
    import redis

    client = redis.Redis.from_url(BENCH_REDIS)
    keys = list(client.scan_iter(match="civlearn:reading:*", count=5000))
    for start in range(0, len(keys), 5000):
        client.delete(*keys[start : start + 5000])


def fresh_database() -> None:
    """Drop and recreate the bench database, so every run starts from the current migrations."""
    import psycopg

    name = BENCH_DB.rsplit("/", 1)[1]
    with psycopg.connect(BENCH_DB.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def prepare(learners: int, token_file: Path) -> None:
    """Create learners and enrolments (once) and write one fresh reading token per learner."""
    os.environ.update(env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from decimal import Decimal

    from civlearn.identity.models import User
    from civlearn.learning.models import Course, Enrolment, LearnerClock
    from civlearn.learning.reading.services import reading_stream_open
    from civlearn.registry.models import Agency

    agency, _ = Agency.objects.get_or_create(code="BENCH0000A", defaults={"name": "效能測試機關"})
    course, _ = Course.objects.get_or_create(
        code="BENCH-HB",
        defaults={
            "title": "效能測試課程",
            "category_code": "339",
            "certified_hours": Decimal("1"),
            "provider_agency": agency,
            "production_year": 2025,
            "required_reading_minutes": 6000,
        },
    )
    existing = User.objects.filter(username__startswith="bench").count()
    if existing < learners:
        users = User.objects.bulk_create(
            [User(username=f"bench{i:06d}", password="!") for i in range(existing, learners)], batch_size=2000
        )
        LearnerClock.objects.bulk_create([LearnerClock(user=u) for u in users], batch_size=2000)
        Enrolment.objects.bulk_create([Enrolment(user=u, course=course, year=2026) for u in users], batch_size=2000)
    enrolments = Enrolment.objects.filter(course=course, user__username__startswith="bench").select_related("course")
    tokens = [reading_stream_open(enrolment=e) for e in enrolments.order_by("pk")[:learners]]
    token_file.write_text("\n".join(tokens) + "\n")


def measured(run, server_pid: int, extra: list[int] | None = None) -> tuple[str, float, float, float]:
    """Run wrk; return its output and the CPU seconds spent meanwhile by the server (with `extra` processes such
    as the flusher), PostgreSQL's backends of the bench database, and the Redis server (shared: others' use too)."""
    server = [server_pid, *children(server_pid), *(extra or [])]
    backends = database_backends(BENCH_DB)
    redis_pids = named("redis-server") if STORE["store"] == "redis" else []
    before = cpu_seconds(server), cpu_seconds(backends), cpu_seconds(redis_pids)
    output = run()
    backends = sorted(set(backends) | set(database_backends(BENCH_DB)))
    return (
        output,
        cpu_seconds(server) - before[0],
        cpu_seconds(backends) - before[1],
        cpu_seconds(redis_pids) - before[2],
    )


def wrk(args: list[str]) -> str:
    if shutil.which("wrk") is None:
        raise SystemExit("bench/heartbeat.py needs wrk, the HTTP load generator (Debian: apt-get install wrk)")
    result = subprocess.run(["wrk", *args], capture_output=True, text=True, check=True)
    return result.stdout


def parse(output: str) -> dict[str, float]:
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    total = int(re.search(r"(\d+) requests in", output).group(1))
    figures = {"rate": rate, "p99_ms": float(p99.group(1)) * scale, "requests": total}
    beats = re.search(r"BEATS credited=(\d+) uncredited=(\d+) failed=(\d+)", output)
    if beats:
        figures.update(credited=int(beats.group(1)), uncredited=int(beats.group(2)), failed=int(beats.group(3)))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    figures["non2xx"] = int(non2xx.group(1)) if non2xx else 0
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=5000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--store", choices=["redis", "database"], default="redis")
    options = parser.parse_args()
    STORE["store"] = options.store

    fresh_database()
    if options.store == "redis":
        fresh_redis()
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env(), check=True)
    workdir = Path(tempfile.mkdtemp(prefix="heartbeat-bench-"))
    tokens = workdir / "tokens.txt"
    script = workdir / "heartbeat.lua"
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/granian"), "--interface", "wsgi", "civlearn.wsgi:application",
         "--host", "127.0.0.1", "--port", str(PORT), "--workers", str(options.workers),
         "--blocking-threads", "1", "--no-ws", "--log-level", "warning"],
        cwd=ROOT, env=env(), start_new_session=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{PORT}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/bench/hello", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        common = ["-t2", f"-c{options.connections}", f"-d{options.duration}s", "--latency"]
        wrk(["-t2", "-c16", "-d3s", base + "/bench/hello"])  # warm-up: workers, connections
        output, hello_cpu, _, _ = measured(lambda: wrk([*common, base + "/bench/hello"]), server.pid)
        hello = parse(output)
        # Tokens are signed just before the run: a stream older than 3 minutes earns nothing (the gap rule).
        prepare(options.learners, tokens)
        echo_script = workdir / "echo.lua"
        echo_script.write_text(LUA % {"tokens": tokens, "path": "/bench/echo"})
        output, echo_cpu, _, _ = measured(lambda: wrk([*common, "-s", str(echo_script), base]), server.pid)
        echo = parse(output)
        prepare(options.learners, tokens)  # fresh tokens again: the echo run took a while
        script.write_text(LUA % {"tokens": tokens, "path": "/elearn/heartbeat"})
        flusher = None
        if options.store == "redis":
            flusher = subprocess.Popen(
                [sys.executable, "manage.py", "learning_reading_flush", "--every", "2"],
                cwd=ROOT, env=env(), stdout=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(3)  # its start-up (importing Django) is not a beat's cost; its flushes are
        extra = [flusher.pid] if flusher else []
        try:
            output, beat_cpu, beat_pg_cpu, beat_redis_cpu = measured(
                lambda: wrk([*common, "-s", str(script), base]), server.pid, extra
            )
        finally:
            if flusher:
                flusher.terminate()
                flusher.wait(timeout=10)
        beat = parse(output)
        for line in output.splitlines():
            if line.startswith("FAILURE"):
                print(line)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)

    print(
        "load average (1, 5, 15 min) at the end: {:.1f} {:.1f} {:.1f} on {} cores".format(
            *os.getloadavg(), os.cpu_count()
        )
    )
    mode = ("reading time in Redis (REDIS_URL), flushed every 2 s by learning_reading_flush"
            if options.store == "redis" else "reading time written to PostgreSQL by every beat (no REDIS_URL)")  # fmt: skip
    print(f"learners: {options.learners}, wrk -t2 -c{options.connections} -d{options.duration}s, "
          f"granian WSGI {options.workers} workers, PostgreSQL (CONN_MAX_AGE on); {mode}")  # fmt: skip
    print(f"hello      : {hello['rate']:8.0f} req/s  p99 {hello['p99_ms']:6.2f} ms")
    print(f"echo (POST): {echo['rate']:8.0f} req/s  p99 {echo['p99_ms']:6.2f} ms")
    print(f"heartbeat  : {beat['rate']:8.0f} req/s  p99 {beat['p99_ms']:6.2f} ms  "
          f"credited {beat['credited']} / uncredited {beat['uncredited']} / failed {beat['failed']}")  # fmt: skip
    hello_ms = 1000 * hello_cpu / hello["requests"]
    beat_ms = 1000 * beat_cpu / beat["requests"]
    beat_pg_ms = 1000 * beat_pg_cpu / beat["requests"]
    beat_redis_ms = 1000 * beat_redis_cpu / beat["requests"]
    beat_total_ms = beat_ms + beat_pg_ms + beat_redis_ms
    echo_ms = 1000 * echo_cpu / echo["requests"]
    print(f"CPU per request: hello {hello_ms:.2f} ms (server); echo {echo_ms:.2f} ms (server); heartbeat {beat_ms:.2f} ms "
          f"(server{' + flusher' if options.store == 'redis' else ''}) + {beat_pg_ms:.2f} ms (PostgreSQL backends) "
          f"+ {beat_redis_ms:.2f} ms (redis-server, shared) = {beat_total_ms:.2f} ms")  # fmt: skip
    cores = os.cpu_count() or 1
    print(f"what {cores} cores could serve if nothing else ran (CPU bound, wrk's own CPU not counted): "
          f"hello {1000 * cores / hello_ms:.0f} req/s, heartbeat {1000 * cores / beat_total_ms:.0f} req/s, "
          f"ratio {hello_ms / beat_total_ms:.2f}")  # fmt: skip
    credited_rate = beat["credited"] / options.duration
    print(f"credited heartbeats/s: {credited_rate:.0f}")
    print(f"heartbeat / hello ratio: {beat['rate'] / hello['rate']:.2f}")


if __name__ == "__main__":
    main()
