"""The year-end load test (issue #21), one command per scenario:

    .venv/bin/python bench/load/run.py storm  [--scale full|quick] [--users 24] [--duration 120] [--oidc-share 0]
    .venv/bin/python bench/load/run.py steady [--scale full|quick] [--users 1500] [--speedup 20] [--duration 240] [--heartbeat-workers 1]
    .venv/bin/python bench/load/run.py pages  [--scale full|quick] [--rounds 30] [--profile 'page: unit']
    .venv/bin/python bench/load/run.py database [--scale full]   # its PostgreSQL alone, for bench/hours_measure.py

It starts the production configuration on ports of its own, on loopback: a PostgreSQL of its own (initdb under
--data-dir, kept between runs: the national data set takes minutes to build), a Redis of its own (cache and
sessions on db 0, Celery's broker on db 1, reading time on db 0 as in production), granian (WSGI, --workers,
--respawn-failed-workers, static files served by granian itself from collectstatic's hashed names), one Celery
worker and the reading-time flusher. The first run of a scale builds its data: bench/hours_generate.py (350,000
people and 10,000,000 ledger records at full scale; 20,000 and 400,000 with --scale quick), then bench/load/seed.py
(≥ 2,000 courses with units and tests, accounts, enrolments, HR officers, an institution, a relying party).

Then Locust (bench/load/locustfile.py) runs headless: `storm` measures, in the same run, the machine's hash-only
rate first (Argon2id at the configured cost, one process per core, nothing else running), then people arriving
without pause (sign in, SSO into e等公務園+, dashboard; --oidc-share of them then enter a connected system over
OIDC, whose code exchanges are counted in the same run); `steady` runs learners,
HR officers and an institution with think times divided by --speedup (one Locust user stands for that many
learners; each visit of 30–60 learner-minutes begins with a sign-in, so sign-ins arrive at the steady rate).
Statistics are reset --settle seconds after every user has started and kept for --duration seconds; the server's
CPU is read from /proc over the same window, per part: app (granian), PostgreSQL, Redis, Celery worker, flusher,
with PostgreSQL's commits, row writes, WAL bytes and connections.

Prints requests/s by kind, p50/p95/p99, failures, CPU per learner-minute (steady) or per complete sign-in (storm)
and the capacity that implies for 2 cores. Needs initdb/pg_ctl (run as root: PostgreSQL runs as `postgres`) and
redis-server. Everything it starts is stopped at the end; nothing is asserted (docs/performance.md records runs).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import multiprocessing
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT / "bench"))

from local_processes import free_port, stop_process_groups, wait_for  # noqa: E402
from proc_cpu import TICK, _processes, group_cpu_seconds  # noqa: E402

SCALES = {
    # people, records, courses, accounts, enrolled accounts
    "full": {"people": 350_000, "records": 10_000_000, "courses": 2_000, "accounts": 350_000, "enrolled": 50_000},
    "quick": {"people": 20_000, "records": 400_000, "courses": 200, "accounts": 20_000, "enrolled": 5_000},
}
DATABASE = "civlearn_load"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def as_postgres(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True, **kwargs)


def tree_cpu(root_pid: int) -> float:
    """CPU seconds of a process and its descendants, plus what its reaped children used (cutime, cstime)."""
    table = dict(_processes())
    members, frontier = {root_pid}, [root_pid]
    while frontier:
        parent = frontier.pop()
        for pid, fields in table.items():
            if int(fields[1]) == parent and pid not in members:
                members.add(pid)
                frontier.append(pid)
    ticks = 0
    for pid in members:
        if pid in table:
            fields = table[pid]
            ticks += int(fields[11]) + int(fields[12])
            if pid == root_pid:
                ticks += int(fields[13]) + int(fields[14])
    return ticks / TICK


class Stack:
    def __init__(self, data_dir: Path, scale: str, workers: int, threads: int, heartbeat_workers: int = 0):
        self.dir = data_dir / scale
        self.pg_dir = self.dir / "pg"
        self.scale = scale
        self.workers = workers
        self.threads = threads
        self.pg_port, self.redis_port, self.app_port = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.app_port}"
        # The heartbeat's own app server (deploy/nginx: upstream civlearn_heartbeat), when asked for: the learners
        # send their beats to it as nginx would route them.
        self.heartbeat_workers = heartbeat_workers
        self.heartbeat_port = free_port() if heartbeat_workers else None
        self.run_dir = self.dir / "run"
        self.processes: dict[str, subprocess.Popen] = {}
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("CIVLEARN_", "DJANGO_"))},
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{self.pg_port}/{DATABASE}",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/1",
            "SITE_URL": self.url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # The learners' X-Forwarded-For is believed from loopback, as from the reverse proxy in production.
            "TRUSTED_PROXIES": "127.0.0.1",
            "VAR_DIR": str(self.dir / "var"),
            "LOG_LEVEL": "WARNING",
        }

    @property
    def plan(self) -> Path:
        return self.dir / "plan" / "plan.json"

    # ---- PostgreSQL and Redis of its own ------------------------------------------------------------------

    def start_postgres(self) -> bool:
        """Start the cluster (creating it if needed); True when the data set is already built."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o755)
        fresh = not (self.pg_dir / "PG_VERSION").exists()
        if fresh:
            shutil.rmtree(self.pg_dir, ignore_errors=True)
            self.pg_dir.mkdir()
            shutil.chown(self.pg_dir, "postgres", "postgres")
            self.pg_dir.chmod(0o700)
            as_postgres(["initdb", "-D", str(self.pg_dir), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"],
                        stdout=subprocess.DEVNULL)  # fmt: skip
        # A production-like server for 2 cores and this machine's memory; connections for 2 app workers, the worker,
        # the flusher and the upload's second connection fit the default 100.
        options = (f"-p {self.pg_port} -k {self.pg_dir} -c listen_addresses=127.0.0.1 -c shared_buffers=2GB "
                   "-c effective_cache_size=8GB -c max_wal_size=4GB -c checkpoint_timeout=15min")  # fmt: skip
        as_postgres(["pg_ctl", "-D", str(self.pg_dir), "-o", options, "-l", str(self.pg_dir / "log"), "-w", "start"],
                    stdout=subprocess.DEVNULL)  # fmt: skip
        self.postmaster = int((self.pg_dir / "postmaster.pid").read_text().split()[0])
        return (self.dir / "ready").exists()

    def stop_postgres(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            as_postgres(["pg_ctl", "-D", str(self.pg_dir), "-m", "fast", "-w", "stop"], stdout=subprocess.DEVNULL)

    def start_redis(self) -> None:
        self.spawn("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(self.run_dir)])  # fmt: skip
        import redis

        wait_for(lambda: redis.Redis(port=self.redis_port).ping(), 10, "Redis")

    # ---- the data set ---------------------------------------------------------------------------------------

    def build(self) -> None:
        sizes = SCALES[self.scale]
        env = {**self.env, "BENCH_SERVER_URL": f"postgres://postgres@127.0.0.1:{self.pg_port}"}
        log(f"building the {self.scale} data set: {sizes}")
        subprocess.run([str(BIN / "python"), "bench/hours_generate.py", "--people", str(sizes["people"]),
                        "--records", str(sizes["records"]), "--database", DATABASE,
                        "--big-agency", str(min(5_000, sizes["people"] // 4)),
                        "--last-year", str(dt.date.today().year)], cwd=ROOT, env=env, check=True)  # fmt: skip
        self.plan.parent.mkdir(exist_ok=True)
        subprocess.run([str(BIN / "python"), "bench/load/seed.py", "--plan", str(self.plan),
                        "--accounts", str(sizes["accounts"]), "--courses", str(sizes["courses"]),
                        "--enrolled", str(sizes["enrolled"])], cwd=ROOT, env=self.env, check=True)  # fmt: skip
        (self.dir / "ready").write_text(dt.datetime.now(dt.UTC).isoformat())

    # ---- the application --------------------------------------------------------------------------------------

    def spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        logfile = open(self.run_dir / f"{name}.log", "a")  # noqa: SIM115 (the process keeps writing to it)
        process = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=logfile, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # fmt: skip
        self.processes[name] = process
        return process

    def prepare(self) -> None:
        """Migrations that came after the data set was built, and the static files (hashed names)."""
        manage = [str(BIN / "python"), "manage.py"]
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=self.env, check=True)
        subprocess.run([*manage, "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=self.env, check=True)

    def start_app(self) -> None:
        manage = [str(BIN / "python"), "manage.py"]
        static = self.dir / "var" / "static"
        servers = [("app", self.app_port, self.workers)]
        if self.heartbeat_port:
            servers.append(("heartbeat app", self.heartbeat_port, self.heartbeat_workers))
        for name, port, workers in servers:
            self.spawn(name, [str(BIN / "granian"), "--interface", "wsgi", "civlearn.wsgi:application",
                              "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                              "--blocking-threads", str(self.threads), "--respawn-failed-workers", "--no-ws", "--log-level", "warning",
                              "--static-path-route", "/static", "--static-path-mount", str(static),
                              "--static-path-expires", "365d"])  # fmt: skip
        self.spawn("worker", [str(BIN / "celery"), "-A", "civlearn", "worker", "--concurrency", "1",
                              "--loglevel", "warning"])  # fmt: skip
        self.spawn("flusher", [*manage, "learning_reading_flush", "--every", "5"])
        import requests

        wait_for(lambda: requests.get(self.url + "/readyz", timeout=2).ok, 60, "the app server")
        if self.heartbeat_port:
            beat_url = f"http://127.0.0.1:{self.heartbeat_port}/readyz"
            wait_for(lambda: requests.get(beat_url, timeout=2).ok, 60, "the heartbeat's app server")

    def pg_counters(self) -> dict[str, float]:
        """The database's commits and row writes so far, the server's WAL position (bytes) and connections now."""
        import psycopg

        with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as conn:
            row = conn.execute(
                "SELECT xact_commit, tup_inserted, tup_updated, tup_deleted, "
                "pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint, "
                "(SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()) - 1 "
                "FROM pg_stat_database WHERE datname = current_database()"
            ).fetchone()
        return dict(
            zip(("commits", "inserted", "updated", "deleted", "wal", "connections"), map(float, row), strict=True)
        )

    def cpu(self) -> dict[str, float]:
        return {
            "app": sum(group_cpu_seconds(process.pid) for name, process in self.processes.items() if "app" in name),
            "PostgreSQL": tree_cpu(self.postmaster),
            "Redis": group_cpu_seconds(self.processes["redis"].pid),
            "worker": group_cpu_seconds(self.processes["worker"].pid),
            "flusher": group_cpu_seconds(self.processes["flusher"].pid),
        }

    def stop(self) -> None:
        stop_process_groups(self.processes.values())
        self.stop_postgres()


# ---- the hash-only rate -----------------------------------------------------------------------------------------


def _hash_for(seconds: float, env: dict, out) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "civlearn.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth.hashers import check_password, make_password

    encoded = make_password("Load-2026-learner!")
    count, started = 0, time.monotonic()
    while time.monotonic() < started + seconds:
        check_password("Load-2026-learner!", encoded)  # what a sign-in pays
        count += 1
    out.put(count / (time.monotonic() - started))


def hash_only_rate(env: dict, seconds: float, processes: int) -> float:
    queue: multiprocessing.Queue = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=_hash_for, args=(seconds, env, queue)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    # The processes hash side by side (their Django start-up is not timed); the machine's rate is their sum.
    total = sum(queue.get() for _ in workers)
    for worker in workers:
        worker.join()
    return total


# ---- the report ----------------------------------------------------------------------------------------------


def report(rows: list[dict], window: float) -> None:
    print(f"\n{'kind':<28} {'requests':>9} {'req/s':>8} {'failed':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    for row in rows:
        print(f"{row['name']:<28} {row['count']:>9} {row['count'] / window:>8.1f} {row['failed']:>7} "
              f"{row['p50']:>7.0f} {row['p95']:>7.0f} {row['p99']:>7.0f}")  # fmt: skip
    requests = [r for r in rows if r["type"] != "JOURNEY"]
    total = sum(r["count"] for r in requests)
    failed = sum(r["failed"] for r in requests)
    print(f"{'all HTTP requests':<28} {total:>9} {total / window:>8.1f} {failed:>7}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=["storm", "steady", "pages", "database"])
    parser.add_argument("--scale", choices=list(SCALES), default="full")
    parser.add_argument("--data-dir", type=Path, default=Path("/var/tmp/civlearn-load"))
    parser.add_argument("--users", type=int, help="Locust users (storm 24, steady 1500)")
    parser.add_argument("--spawn-rate", type=float, help="users started per second (storm: all at once; steady 50)")
    parser.add_argument(
        "--settle", type=float, help="seconds after every user started before measuring (storm 5, steady 45)"
    )
    parser.add_argument("--duration", type=float, default=120, help="seconds measured")
    parser.add_argument("--speedup", type=float, default=20, help="steady: think times divided by this")
    parser.add_argument("--workers", type=int, default=2, help="granian workers")
    parser.add_argument("--threads", type=int, default=1, help="granian blocking threads per worker (WSGI)")
    parser.add_argument(
        "--heartbeat-workers",
        type=int,
        default=0,
        help="steady: an app server of its own for the heartbeat with this many workers (0: none)",
    )
    parser.add_argument("--hash-seconds", type=float, default=15)
    parser.add_argument("--oidc-share", type=float, default=0.0, help="storm: arrivals that also sign in over OIDC")
    parser.add_argument("--rounds", type=int, default=30, help="pages: requests per page")
    parser.add_argument("--profile", default="", help="pages: the page to profile, e.g. 'page: unit'")
    args = parser.parse_args()
    storm = args.scenario == "storm"
    users = args.users or (24 if storm else 1500)
    spawn_rate = args.spawn_rate or (users if storm else 25)
    speedup = 1.0 if storm else args.speedup
    if args.settle is None:
        args.settle = 5.0 if storm else 45.0

    stack = Stack(args.data_dir, args.scale, args.workers, args.threads, args.heartbeat_workers)
    try:
        ready = stack.start_postgres()
        stack.start_redis()
        if not ready:
            stack.build()
        if args.scenario == "database":
            # The data set's PostgreSQL for other benches (bench/hours_measure.py with BENCH_SERVER_URL), until
            # interrupted.
            print(f"BENCH_SERVER_URL=postgres://postgres@127.0.0.1:{stack.pg_port} (database {DATABASE})", flush=True)
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
            return 0
        stack.prepare()
        if args.scenario == "pages":
            subprocess.run([str(BIN / "python"), "bench/load/pages.py", "--plan", str(stack.plan),
                            "--rounds", str(args.rounds), "--profile", args.profile], cwd=ROOT,
                           env={**stack.env, "LOG_LEVEL": "ERROR"}, check=True)  # fmt: skip
            return 0
        stack.start_app()
        log(f"PostgreSQL :{stack.pg_port}, Redis :{stack.redis_port}, granian {stack.url} ({args.workers} workers × "
            f"{args.threads} threads), "
            f"one Celery worker, the flusher; data set {args.scale}")  # fmt: skip

        results: dict = {"scenario": args.scenario, "scale": args.scale, "users": users, "speedup": speedup,
                         "workers": args.workers, "threads": args.threads, "heartbeat_workers": args.heartbeat_workers,
                         "load_average_before": os.getloadavg()}  # fmt: skip
        if storm:
            log(f"hash-only rate: {multiprocessing.cpu_count()} processes × {args.hash_seconds:g} s")
            results["hash_rate"] = hash_only_rate(stack.env, args.hash_seconds, multiprocessing.cpu_count())
            log(f"hash-only rate {results['hash_rate']:.1f}/s")

        result_file = stack.run_dir / f"locust-{args.scenario}.json"
        for stale in (result_file, Path(f"{result_file}.start")):
            stale.unlink(missing_ok=True)
        ramp = users / spawn_rate
        classes = ["StormLearner"] if storm else ["SteadyLearner", "HrOfficer", "Institution"]
        limit = int(3 * ramp + args.settle + args.duration + 120)
        locust = subprocess.Popen(
            [str(BIN / "locust"), "-f", str(ROOT / "bench" / "load" / "locustfile.py"), "--headless",
             "-u", str(users), "-r", str(spawn_rate), "-t", f"{limit}s", "--host", stack.url, "--only-summary",
             "--loglevel", "WARNING", "--stop-timeout", "10", *classes],
            cwd=ROOT, start_new_session=True, stdout=open(stack.run_dir / f"locust-{args.scenario}.log", "w"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            env={**os.environ, "LOAD_PLAN": str(stack.plan), "LOAD_SPEEDUP": str(speedup),
                 "LOAD_SETTLE": str(args.settle), "LOAD_OIDC_SHARE": str(args.oidc_share),
                 "LOAD_HEARTBEAT_URL": f"http://127.0.0.1:{stack.heartbeat_port}" if stack.heartbeat_port else "", "LOAD_DURATION": str(args.duration),
                 "LOAD_RESULT": str(result_file), "PYTHONPATH": str(ROOT / "bench")},
        )  # fmt: skip
        log(f"Locust: {users} users ({' '.join(classes)}), {spawn_rate:g}/s, then {args.settle:g} s to settle and "
            f"{args.duration:g} s measured; speedup {speedup:g}")  # fmt: skip
        wait_for(lambda: Path(f"{result_file}.start").exists() or locust.poll() is not None, limit, "the window")
        cpu_before, locust_before, pg_before = stack.cpu(), group_cpu_seconds(locust.pid), stack.pg_counters()
        log("measuring")
        wait_for(lambda: result_file.exists() or locust.poll() is not None, limit, "the end of the window")
        cpu_after, locust_after, pg_after = stack.cpu(), group_cpu_seconds(locust.pid), stack.pg_counters()
        load_after = os.getloadavg()
        locust.wait(120)
        measured = json.loads(result_file.read_text())
        window = measured["end"] - measured["start"]
        rows = measured["rows"]
        used = {part: cpu_after[part] - cpu_before[part] for part in cpu_before}
        server = sum(used.values())

        beat = f" + the heartbeat's own with {args.heartbeat_workers}" if args.heartbeat_workers else ""
        print(f"\n{args.scenario}, {args.scale} data set, {users} Locust users, granian {args.workers} workers × {args.threads} threads{beat}, window {window:.0f} s; load average "
              f"before {results['load_average_before'][0]:.2f}, after {load_after[0]:.2f} ({load_after[1]:.2f} 5-min)")  # fmt: skip
        report(rows, window)
        print("\nserver CPU in the window: " + ", ".join(f"{k} {v:.1f} s" for k, v in used.items())
              + f"; total {server:.1f} s of {2 * window:.0f} core-seconds; Locust itself {locust_after - locust_before:.1f} s")  # fmt: skip
        pg = {key: pg_after[key] - pg_before[key] for key in pg_before}
        print(f"PostgreSQL in the window: {pg['commits'] / window:.0f} commits/s, rows written "
              f"{(pg['inserted'] + pg['updated'] + pg['deleted']) / window:.0f}/s (inserted {pg['inserted'] / window:.0f}, "
              f"updated {pg['updated'] / window:.0f}, deleted {pg['deleted'] / window:.0f}), WAL {pg['wal'] / window / 1024:.0f} kB/s; "
              f"connections {pg_before['connections']:.0f} → {pg_after['connections']:.0f}")  # fmt: skip
        results["postgresql"] = {"per_second": {k: pg[k] / window for k in pg if k != "connections"},
                                 "connections": pg_after["connections"]}  # fmt: skip
        by_name = {r["name"]: r for r in rows}
        if storm:
            done = by_name.get("complete sign-in", {}).get("count", 0)
            rate = done / window
            per = server / done if done else float("nan")
            exchanges = by_name.get("OIDC code exchange", {}).get("count", 0)
            print(f"complete sign-ins: {rate:.1f}/s (journey p95 {by_name.get('complete sign-in', {}).get('p95')} ms); "
                  f"hash-only rate {results['hash_rate']:.1f}/s; ratio {rate / results['hash_rate']:.2f} (goal ≥ 0.8)")  # fmt: skip
            print(f"server CPU per complete sign-in {per * 1000:.1f} ms ("
                  + ", ".join(f"{k} {v / done * 1000:.1f}" for k, v in used.items() if done) + ") → "
                  f"{2 / per:.0f} sign-ins/s on 2 cores; OIDC code exchanges {exchanges / window:.1f}/s")  # fmt: skip
        else:
            learner_minutes = users * speedup * window / 60
            per = server / learner_minutes
            print(f"learners simulated: {users} × {speedup:g} = {users * speedup:,.0f} concurrent; "
                  f"{learner_minutes:,.0f} learner-minutes in the window")  # fmt: skip
            print(f"server CPU per learner-minute {per * 1000:.2f} ms ("
                  + ", ".join(f"{k} {v / learner_minutes * 1000:.2f}" for k, v in used.items()) + ") → "
                  f"{120 / per:,.0f} concurrent learners on 2 cores")  # fmt: skip
        results.update(window=window, cpu=used, load_average_after=load_after, stats=rows, errors=measured["errors"])
        (stack.run_dir / f"result-{args.scenario}.json").write_text(json.dumps(results, ensure_ascii=False, indent=1))
        for error in measured["errors"]:
            print(f"failure: {error['name']}: {error['error']} ×{error['count']}")
        return 0
    finally:
        with contextlib.suppress(NameError):
            if locust.poll() is None:
                os.killpg(locust.pid, signal.SIGTERM)
                locust.wait(20)
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
