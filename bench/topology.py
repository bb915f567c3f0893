"""The production topology on this machine, with faults: nginx (deploy/nginx/, TLS on loopback) in front of two
granian app servers, a PostgreSQL and a Redis of its own on their own ports (never the shared ones), one Celery
worker and the reading-time flusher. Learners run the journey through nginx over HTTPS with HTTP clients that follow
the pages' own flows — sign in at eCPA, enter e等公務園+ from 連結系統 (the shared session is the SSO), accept the
member terms, enrol, read with heartbeats, take the course's test, open 學習時數 — while the script

  1. kills one app server (SIGKILL on granian's main process; brought back 2 s later, as systemd would),
  2. restarts PostgreSQL (pg_ctl restart -m fast),
  3. restarts Redis (SHUTDOWN, which writes its append-only file, then a new server on the same files; with
     --redis-crash, SIGKILL instead: what survives is what the file had, fsynced every second),

and prints requests sent / failed (per phase), beats acknowledged to learners vs credited in the database, Celery
jobs sent / finished, and each fault's recovery time (from the fault until /readyz through nginx answers 200 again).

    .venv/bin/python bench/topology.py [--learners 4] [--phase 12] [--redis-crash] [--keep]

Needs nginx, redis-server, PostgreSQL's initdb/pg_ctl and openssl; runs as root (PostgreSQL's files belong to the
`postgres` user). Everything listens on 127.0.0.1 only, on free ports; everything it started is stopped at the end,
and the work directory removed (--keep leaves it, with every log). Nothing is asserted: docs/reliability.md records
the figures with the command.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import redis
import requests
from local_processes import free_port, stop_process_groups, wait_for

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PASSWORD = "Topology-2026-learner"
COURSE = "DEMO-POL-01"


def log(message: str) -> None:
    sys.stdout.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
    sys.stdout.flush()


# ---- the stores -------------------------------------------------------------------------------------------------


class Postgres:
    def __init__(self, work: Path):
        self.dir = work / "pg"
        self.port = free_port()
        self.dir.mkdir()
        shutil.chown(self.dir, "postgres", "postgres")
        self.dir.chmod(0o700)
        self._as_postgres(["initdb", "-D", str(self.dir), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, argv: list[str]) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True, stdout=subprocess.DEVNULL)

    def _ctl(self, action: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._as_postgres(["pg_ctl", "-D", str(self.dir), "-o", options, "-l", str(self.dir / "log"), "-m", "fast",
                           "-w", action])  # fmt: skip

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("restart")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._ctl("stop")


class Redis:
    """Append-only file, fsync every second: the persistence docs/reliability.md asks for."""

    def __init__(self, work: Path):
        self.dir = work / "redis"
        self.dir.mkdir()
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.dir),
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
            ],
            stdout=open(self.dir / "log", "a"),  # noqa: SIM115 (the server keeps writing to it)
            start_new_session=True,
        )
        wait_for(lambda: redis.Redis(port=self.port).ping(), 10, "Redis")

    def crash(self) -> None:
        """SIGKILL, then a new server on the same files: what survives is what the append-only file had (fsync every
        second)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
        self.start()

    def restart(self) -> None:
        # SHUTDOWN writes the append-only file and exits; the new server reads it back. redis-cli, because redis-py
        # retries (with backoff) the connection that SHUTDOWN closes.
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown"], check=False, capture_output=True)
        if self.process is not None:
            self.process.wait(10)
        self.start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


# ---- the site -------------------------------------------------------------------------------------------------


class Site:
    def __init__(self, work: Path, pg: Postgres, rd: Redis):
        self.work = work
        self.tls_port = free_port()
        self.http_port = free_port()
        self.app_ports = [free_port(), free_port()]
        self.url = f"https://localhost:{self.tls_port}"
        self.var = work / "var"
        self.var.mkdir()
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("CIVLEARN_", "DJANGO_"))},
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": pg.url,
            "REDIS_URL": rd.url(0),
            "CELERY_BROKER_URL": rd.url(1),
            "SITE_URL": self.url,
            "SCORM_CONTENT_ORIGIN": f"https://127.0.0.1:{self.tls_port}",
            "ALLOWED_HOSTS": "localhost,127.0.0.1",
            "CSRF_TRUSTED_ORIGINS": self.url,
            "BEHIND_PROXY": "true",
            "VAR_DIR": str(self.var),
            "LOG_LEVEL": "WARNING",
            # A throwaway site: the argon2 cost of a real one would only slow the sign-ins down.
            "ARGON2_MEMORY_KIB": "19456",
        }
        self.processes: dict[str, subprocess.Popen] = {}

    def manage(self, *args: str) -> str:
        return subprocess.run(
            [str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=self.env, check=True, capture_output=True,
            text=True,
        ).stdout  # fmt: skip

    def spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        logfile = open(self.work / f"{name}.log", "a")  # noqa: SIM115 (the process keeps writing to it)
        process = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=logfile, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # fmt: skip
        self.processes[name] = process
        return process

    def start_app(self, index: int) -> None:
        port = self.app_ports[index]
        self.spawn(f"app{index}", [str(BIN / "granian"), "--interface", "wsgi", "civlearn.wsgi:application",
                                   "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                                   "--blocking-threads", "1", "--respawn-failed-workers", "--no-ws",
                                   "--log-level", "warning"])  # fmt: skip
        wait_for(lambda: requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok, 30, f"app server {index}")

    def kill_app(self, index: int) -> None:
        os.killpg(self.processes[f"app{index}"].pid, signal.SIGKILL)
        self.processes[f"app{index}"].wait()

    def nginx_conf(self) -> Path:
        site = (ROOT / "deploy" / "nginx" / "civlearn.conf").read_text()
        proxy = (ROOT / "deploy" / "nginx" / "civlearn-proxy.conf").read_text()
        # The shipped files with this machine's ports, paths and names: nothing else changes.
        proxy = proxy.replace("proxy_set_header Host $host;", "proxy_set_header Host $host:$server_port;")
        (self.work / "civlearn-proxy.conf").write_text(proxy)
        for old, new in [
            ("127.0.0.1:8001", f"127.0.0.1:{self.app_ports[0]}"),
            ("127.0.0.1:8002", f"127.0.0.1:{self.app_ports[1]}"),
            ("/srv/civlearn/deploy/nginx/civlearn-proxy.conf", str(self.work / "civlearn-proxy.conf")),
            ("/srv/civlearn/var/static/", f"{self.var}/static/"),
            ("/etc/ssl/civlearn/fullchain.pem", str(self.work / "cert.pem")),
            ("/etc/ssl/civlearn/privkey.pem", str(self.work / "key.pem")),
            ("listen [::]:80;", ""),
            ("listen [::]:443 ssl http2;", ""),
            ("listen 80;", f"listen 127.0.0.1:{self.http_port};"),
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{self.tls_port} ssl http2;"),
            ("scorm-content.example.gov.tw", "127.0.0.1"),
            ("learn.example.gov.tw", "localhost"),
        ]:
            site = site.replace(old, new)
        (self.work / "civlearn.conf").write_text(site)
        temp = self.work / "nginx-temp"
        temp.mkdir()
        temp.chmod(0o777)
        main = self.work / "nginx.conf"
        main.write_text(f"""
worker_processes 1;
pid {self.work}/nginx.pid;
error_log {self.work}/nginx-error.log warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log {self.work}/nginx-access.log;
    client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy; fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;
    include {self.work}/civlearn.conf;
}}
""")
        return main

    def start_nginx(self) -> None:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(self.work / "key.pem"),
                        "-out", str(self.work / "cert.pem")], check=True, capture_output=True)  # fmt: skip
        conf = self.nginx_conf()
        subprocess.run(["nginx", "-t", "-q", "-c", str(conf)], check=True)
        self.spawn("nginx", ["nginx", "-c", str(conf)])
        wait_for(lambda: requests.get(self.url + "/healthz", verify=self.work / "cert.pem", timeout=1).ok, 15, "nginx")

    def stop_all(self) -> None:
        stop_process_groups(self.processes.values())


MAKE_LEARNERS = """
import datetime as dt
from civlearn.core import clock, national_id
from civlearn.identity.models import User
from civlearn.registry.models import Agency, Person
agency = Agency.objects.get_or_create(code="A58000000A", name="拓撲測試機關")[0]
for n in range({count}):
    prefix = "F1%07d" % (2000000 + n)
    nid = prefix + national_id.check_digit(prefix)
    person = Person.objects.create(agency=agency, national_id=nid, name="學員%d" % n, birthday=dt.date(1980, 1, 1),
                                   post_start_date=dt.date(2015, 8, 1))
    user = User.objects.create_user(None, None, person=person, email="l%d@example.test" % n)
    user.set_password("{password}")
    user.password_changed_at = clock.now() - dt.timedelta(days=1)
    user.save()
    print(nid)
"""

# ---- the learners ---------------------------------------------------------------------------------------------


@dataclass
class Record:
    sent: Counter = field(default_factory=Counter)
    failed: Counter = field(default_factory=Counter)
    events: list = field(default_factory=list)  # (time, kind, ok, what)
    acknowledged_ms: int = 0
    beats_ok: int = 0
    tests_submitted: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, kind: str, ok: bool, what: str = "") -> None:
        with self.lock:
            self.sent[kind] += 1
            self.failed[kind] += not ok
            self.events.append((time.monotonic(), kind, ok, what))


def _session(site: Site) -> requests.Session:
    http = requests.Session()
    # Not the environment's CA bundle or proxies (REQUESTS_CA_BUNDLE would replace the verify setting): the
    # site's own self-signed certificate, straight to loopback.
    http.trust_env = False
    http.verify = str(site.work / "cert.pem")
    return http


class Learner(threading.Thread):
    def __init__(self, site: Site, national_id: str, record: Record, stop: threading.Event, beat_seconds: float):
        super().__init__(daemon=True)
        self.site, self.login, self.record, self.stop, self.beat_seconds = site, national_id, record, stop, beat_seconds
        self.http = _session(site)
        self.error = ""

    def call(self, kind: str, method: str, path: str, *, expect=(200,), **kwargs) -> requests.Response | None:
        try:
            response = self.http.request(method, self.site.url + path, timeout=15, **kwargs)
        except requests.RequestException as exc:
            self.record.note(kind, False, type(exc).__name__)
            return None
        ok = response.status_code in expect
        self.record.note(kind, ok, str(response.status_code))
        return response if ok else None

    def csrf(self, page: requests.Response) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

    def until_ok(self, kind: str, method: str, path: str, **kwargs) -> requests.Response:
        # A step of the journey is retried as a person would (they press reload), counted as failed each time.
        while not self.stop.is_set():
            response = self.call(kind, method, path, **kwargs)
            if response is not None:
                return response
            time.sleep(0.5)
        raise InterruptedError

    def run(self) -> None:
        try:
            self.journey()
        except InterruptedError:
            pass
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"

    def journey(self) -> None:
        page = self.until_ok("signin", "GET", "/ecpa/signin")
        self.until_ok("signin", "POST", "/ecpa/signin", expect=(302,), allow_redirects=False,
                      data={"csrfmiddlewaretoken": self.csrf(page), "login": self.login, "password": PASSWORD},
                      headers={"Referer": self.site.url + "/ecpa/signin"})  # fmt: skip
        systems = self.until_ok("sso", "GET", "/ecpa/my/systems")
        enter = re.search(r'href="(/ecpa/my/systems/\d+/enter)">DL1:', systems.text).group(1)
        landed = self.until_ok("sso", "GET", enter)
        if "/elearn/" not in landed.url or "/ecpa/signin" in landed.url:
            raise RuntimeError(f"SSO into e等公務園+ ended at {landed.url}")
        terms = self.until_ok("page", "GET", "/elearn/terms/")
        self.until_ok("page", "POST", "/elearn/terms/", data={"csrfmiddlewaretoken": self.csrf(terms),
                                                              "share_hours": "yes"},
                      headers={"Referer": self.site.url + "/elearn/terms/"})  # fmt: skip
        course = self.until_ok("page", "GET", f"/elearn/courses/{COURSE}/")
        learn = self.until_ok("page", "POST", f"/elearn/courses/{COURSE}/enrol",
                              data={"csrfmiddlewaretoken": self.csrf(course)},
                              headers={"Referer": self.site.url + f"/elearn/courses/{COURSE}/"})  # fmt: skip
        token = re.search(r'data-reading-token="([^"]+)"', learn.text).group(1)
        test_unit = re.search(rf'href="/elearn/courses/{COURSE}/learn/(\d+)/"[^>]*>[^<]*課後測驗', learn.text)
        next_page, tested = time.monotonic() + 3, test_unit is None
        while not self.stop.is_set():
            started = time.monotonic()
            beat = self.call("heartbeat", "POST", "/elearn/heartbeat", data={"token": token})
            if beat is not None:
                body = beat.json()
                token = body["token"]
                with self.record.lock:
                    self.record.acknowledged_ms += body["credited_ms"]
                    self.record.beats_ok += 1
            if time.monotonic() >= next_page:
                next_page = time.monotonic() + 3
                self.call("page", "GET", "/lifelong/")  # 學習時數
                if not tested:
                    tested = self.take_test(int(test_unit.group(1)))
            time.sleep(max(0.0, self.beat_seconds - (time.monotonic() - started)))

    def take_test(self, unit: int) -> bool:
        base = f"/elearn/courses/{COURSE}/learn/{unit}/"
        page = self.call("test", "GET", base)
        if page is None:
            return False
        if 'name="q-' not in page.text:
            started = self.call("test", "POST", base + "test/start", data={"csrfmiddlewaretoken": self.csrf(page)},
                                headers={"Referer": self.site.url + base})  # fmt: skip
            if started is None:
                return False
            page = started
        action = re.search(r'<form method="post" action="([^"]+/submit)"', page.text)
        if action is None:
            return False
        answers = {}
        for name, value in re.findall(r'name="(q-\d+)" value="(\d+)"', page.text):
            answers.setdefault(name, value)
        answers["csrfmiddlewaretoken"] = self.csrf(page)
        done = self.call("test", "POST", action.group(1), data=answers, headers={"Referer": self.site.url + base})
        if done is not None:
            with self.record.lock:
                self.record.tests_submitted += 1
        return done is not None


class Probe(threading.Thread):
    """/readyz through nginx every 0.2 s: the timeline that recovery times are read from."""

    def __init__(self, site: Site, stop: threading.Event):
        super().__init__(daemon=True)
        self.site, self.stop = site, stop
        self.timeline: list[tuple[float, bool]] = []

    def run(self) -> None:
        http = _session(self.site)
        while not self.stop.is_set():
            try:
                ok = http.get(self.site.url + "/readyz", timeout=5).status_code == 200
            except requests.RequestException:
                ok = False
            self.timeline.append((time.monotonic(), ok))
            time.sleep(0.2)

    def recovery(self, start: float, end: float) -> float | None:
        """Seconds from `start` to the first 200 after the last failure before `end`; 0.0 when none failed."""
        window = [(t, ok) for t, ok in self.timeline if start <= t < end]
        failures = [t for t, ok in window if not ok]
        if not failures:
            return 0.0
        after = [t for t, ok in window if ok and t > failures[-1]]
        return (after[0] - start) if after else None


# ---- the run ----------------------------------------------------------------------------------------------------


def jobs_sender(site: Site, stop: threading.Event, sent: list[str]) -> threading.Thread:
    """Sends one Celery task a second (the reading-time flush, a real task that is safe to run twice)."""

    def run():
        from celery import Celery

        app = Celery(broker=site.env["CELERY_BROKER_URL"])
        app.conf.broker_connection_retry_on_startup = True
        while not stop.is_set():
            with contextlib.suppress(Exception):
                sent.append(app.send_task("learning.reading_flush").id)
            time.sleep(1)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=4)
    parser.add_argument("--phase", type=float, default=12.0, help="seconds between faults")
    parser.add_argument("--beat", type=float, default=1.0, help="seconds between a learner's heartbeats")
    parser.add_argument("--keep", action="store_true", help="keep the work directory and its logs")
    parser.add_argument("--redis-crash", action="store_true", help="fault 3 kills Redis instead of restarting it")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="civlearn-topology-"))
    work.chmod(0o755)  # nginx's workers (nobody) read the static files, PostgreSQL's files live below
    pg, rd = Postgres(work), Redis(work)
    site = Site(work, pg, rd)
    stop = threading.Event()
    try:
        pg.start()
        rd.start()
        log(f"PostgreSQL :{pg.port}, Redis :{rd.port}; migrating and seeding")
        site.manage("migrate", "--no-input", "-v", "0")
        site.manage("seed_demo")
        site.manage("collectstatic", "--no-input", "-v", "0")
        for path in [site.var, *site.var.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        logins = site.manage("shell", "-v", "0", "-c",
                             MAKE_LEARNERS.format(count=args.learners, password=PASSWORD)).split()  # fmt: skip
        site.start_app(0)
        site.start_app(1)
        site.spawn("worker", [str(BIN / "celery"), "-A", "civlearn", "worker", "--concurrency", "1", "-l", "info"])
        # The flusher under the same supervisor ./run uses: it is started again if an outage ends it.
        site.spawn("flusher", [str(BIN / "python"), "scripts/supervise.py",
                               f"flusher={BIN / 'python'} manage.py learning_reading_flush --every 5"])  # fmt: skip
        site.start_nginx()
        log(f"nginx https://localhost:{site.tls_port} → app servers :{site.app_ports[0]} :{site.app_ports[1]}")

        record, probe = Record(), Probe(site, stop)
        learners = [Learner(site, login, record, stop, args.beat) for login in logins]
        probe.start()
        jobs: list[str] = []
        jobs_sender(site, stop, jobs)
        for learner in learners:
            learner.start()
        marks: dict[str, float] = {"start": time.monotonic()}
        time.sleep(args.phase)

        marks["kill"] = time.monotonic()
        log("fault 1: SIGKILL on app server 0 (back in 2 s, as systemd's Restart=always would)")
        site.kill_app(0)
        time.sleep(2)
        site.start_app(0)
        time.sleep(args.phase)

        marks["postgres"] = time.monotonic()
        log("fault 2: PostgreSQL restart (fast shutdown)")
        pg.restart()
        marks["postgres_back"] = time.monotonic()
        time.sleep(args.phase)

        marks["redis"] = time.monotonic()
        if args.redis_crash:
            log("fault 3: Redis killed (SIGKILL) and started again on its append-only file")
            rd.crash()
        else:
            log("fault 3: Redis restart (SHUTDOWN, append-only file kept)")
            rd.restart()
        marks["redis_back"] = time.monotonic()
        time.sleep(args.phase)
        marks["end"] = time.monotonic()

        stop.set()
        for learner in learners:
            learner.join(20)
        probe.join(10)
        log("load stopped; waiting for the flusher's next round")
        time.sleep(7)
        credited_ms = int(site.manage("shell", "-v", "0", "-c", (
            "from django.db.models import Sum; from civlearn.learning.models import Enrolment;"
            "print(Enrolment.objects.filter(user__person__agency__code='A58000000A')"
            ".aggregate(s=Sum('reading_ms'))['s'] or 0)")).strip())  # fmt: skip
        worker_log = (work / "worker.log").read_text()
        finished = len(re.findall(r"Task learning\.reading_flush\[[^\]]+\] succeeded", worker_log))

        phases = [("before faults", "start", "kill"), ("app server killed", "kill", "postgres"),
                  ("PostgreSQL restart", "postgres", "redis"), ("Redis restart", "redis", "end")]  # fmt: skip
        print()
        print(f"learners {args.learners}, a beat every {args.beat:g} s, {args.phase:g} s per phase; "
              f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
        print(f"{'phase':<20} {'sent':>6} {'failed':>6}  failures (kind: status)")
        for label, begin, end in phases:
            events = [(k, ok, w) for t, k, ok, w in record.events if marks[begin] <= t < marks[end]]
            failures = Counter(f"{k}: {w}" for k, ok, w in events if not ok)
            print(f"{label:<20} {len(events):>6} {sum(failures.values()):>6}  {dict(failures)}")
        print(f"{'all':<20} {sum(record.sent.values()):>6} {sum(record.failed.values()):>6}  "
              f"by kind: sent {dict(record.sent)}, failed {dict(record.failed)}")  # fmt: skip
        print(f"beats acknowledged: {record.beats_ok}, {record.acknowledged_ms} ms; credited in the database: "
              f"{credited_ms} ms; difference {credited_ms - record.acknowledged_ms:+d} ms")  # fmt: skip
        print(f"tests submitted: {record.tests_submitted} of {args.learners}; Celery jobs sent {len(jobs)}, "
              f"finished {finished}")  # fmt: skip
        for label, begin, back, end in [("app server killed", "kill", "kill", "postgres"),
                                        ("PostgreSQL restart", "postgres", "postgres_back", "redis"),
                                        ("Redis restart", "redis", "redis_back", "end")]:  # fmt: skip
            seconds = probe.recovery(marks[begin], marks[end])
            shown = "never" if seconds is None else f"{seconds:.1f} s"
            restart = marks[back] - marks[begin]
            print(f"recovery after {label}: {shown} from the fault to /readyz 200 through nginx "
                  f"(the restart itself took {restart:.1f} s)")  # fmt: skip
        errors = [learner.error for learner in learners if learner.error]
        if errors:
            print("learners that stopped early:", errors)
        return 0
    finally:
        stop.set()
        site.stop_all()
        rd.stop()
        pg.stop()
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
