"""Fault test: the reading-time flusher (`learning_reading_flush --every`) survives a PostgreSQL restart and a
Redis stop, logs each outage once, publishes its state, and catches up exactly — no acknowledged time lost, none
doubled.

Everything runs against a PostgreSQL and a Redis of the test's own, on their own loopback ports (never the
shared ones), started and stopped here; the flusher and the learner's beats are real `manage.py` processes.
Bounded: a handful of processes, each wait capped at 60 s."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)
ROOT = Path(__file__).resolve().parents[3]

pytestmark = [
    pytest.mark.skipif(PG_BIN is None or shutil.which("redis-server") is None, reason="needs PostgreSQL and Redis"),
    pytest.mark.skipif(os.geteuid() != 0 or shutil.which("runuser") is None, reason="initdb runs as user postgres"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, seconds: float = 60.0, what: str = ""):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class OwnPostgres:
    def __init__(self, base: Path):
        self.dir = base / "pg"
        self.dir.mkdir()
        shutil.chown(self.dir, "postgres")
        self.port = free_port()
        self._pg("initdb", "-D", str(self.dir), "-A", "trust", "-U", "postgres", "--no-sync")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _pg(self, tool: str, *args: str) -> None:
        assert PG_BIN is not None  # the module is skipped without it
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(PG_BIN / tool), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._pg("pg_ctl", "-D", str(self.dir), "-o", options, "-l", str(self.dir / "log"), "-w", "start")

    def stop(self) -> None:
        self._pg("pg_ctl", "-D", str(self.dir), "-m", "fast", "-w", "stop")

    def reading_ms(self, enrolment_id: int) -> int:
        import psycopg

        with psycopg.connect(self.url, connect_timeout=5) as conn:
            row = conn.execute("SELECT reading_ms FROM learning_enrolment WHERE id = %s", [enrolment_id]).fetchone()
        assert row is not None, f"enrolment {enrolment_id} is missing"
        return row[0]


class OwnRedis:
    """Append-only with fsync on every write: a Redis configured as docs/adr/0006 asks, so a stop loses nothing."""

    def __init__(self, base: Path):
        self.dir = base / "redis"
        self.dir.mkdir()
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(lambda: self._ping(), 20, "redis to start")

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown"], capture_output=True, timeout=20)
        if self.process is not None:
            self.process.wait(timeout=20)
            self.process = None


@pytest.fixture
def stores():
    base = Path(tempfile.mkdtemp(prefix="civlearn-fault-"))
    base.chmod(0o755)
    postgres, redis_server = OwnPostgres(base), OwnRedis(base)
    postgres.start()
    redis_server.start()
    yield postgres, redis_server
    redis_server.stop()
    with contextlib.suppress(subprocess.CalledProcessError):  # already stopped by the test
        postgres.stop()
    shutil.rmtree(base, ignore_errors=True)


def manage_env(postgres: OwnPostgres, redis_server: OwnRedis, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_URL", "REDIS_URL"))}
    env.update(
        DATABASE_URL=postgres.url,
        REDIS_URL=redis_server.url,
        CIVLEARN_TESTING="1",
        LEARNING_READING_REDIS_PREFIX="fault-reading",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


SCRIPT = "from civlearn.learning.tests.fault_reading_script import main; main()"


def stream_open(env: dict[str, str], *, enrolment_id: int, offset_hours: int) -> str:
    extra = {"FAULT_ACTION": "open", "FAULT_ENROLMENT": str(enrolment_id), "FAULT_OFFSET_H": str(offset_hours)}
    return manage({**env, **extra}, "shell", "-c", SCRIPT).strip().splitlines()[-1]


def beats(env: dict[str, str], *, enrolment_id: int, offset_hours: int, count: int, token: str = "") -> int:
    extra = {
        "FAULT_ACTION": "beats",
        "FAULT_ENROLMENT": str(enrolment_id),
        "FAULT_OFFSET_H": str(offset_hours),
        "FAULT_BEATS": str(count),
        "FAULT_TOKEN": token,
    }
    return int(manage({**env, **extra}, "shell", "-c", SCRIPT).strip().splitlines()[-1])


def flusher_status(env: dict[str, str]) -> dict:
    code = "import json; from civlearn.learning.selectors import flusher_status; print(json.dumps(flusher_status()))"
    import json

    return json.loads(manage(env, "shell", "-c", code).strip().splitlines()[-1])


def test_the_flusher_survives_a_postgresql_restart_and_a_redis_stop_and_catches_up_exactly(stores):
    postgres, redis_server = stores
    env = manage_env(postgres, redis_server)
    manage(env, "migrate", "--no-input", "-v", "0")
    enrolment_id = int(manage({**env, "FAULT_ACTION": "seed"}, "shell", "-c", SCRIPT).strip().splitlines()[-1])
    log = open(Path(postgres.dir.parent) / "flusher.log", "w+")  # noqa: SIM115  (closed below)
    flusher = subprocess.Popen(
        [sys.executable, "manage.py", "learning_reading_flush", "--every", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        # given 5 minutes acknowledged and flushed
        acknowledged = beats(env, enrolment_id=enrolment_id, offset_hours=1, count=5)
        assert 300_000 <= acknowledged < 301_000  # five beats a minute apart (plus the ms the process took)
        wait_until(lambda: postgres.reading_ms(enrolment_id) == acknowledged, what="the first flush")
        assert flusher_status(env)["ok"] is True

        # when PostgreSQL stops while the learner keeps reading in an open page (Redis acknowledges 7 minutes)
        token = stream_open(env, enrolment_id=enrolment_id, offset_hours=2)
        postgres.stop()
        acknowledged += beats(env, enrolment_id=enrolment_id, offset_hours=2, count=7, token=token)
        assert 720_000 <= acknowledged < 740_000  # the first beat also counts the seconds between the processes
        time.sleep(3)  # several failed rounds
        status = flusher_status(env)
        # then the flusher is still running, says it is failing, and logged the outage once
        assert flusher.poll() is None
        assert status["ok"] is False and "OperationalError" in status["error"]
        assert log_text(log).count("flush failed") == 1
        # when PostgreSQL is back, then the flusher catches up exactly
        postgres.start()
        wait_until(lambda: postgres.reading_ms(enrolment_id) == acknowledged, what="catching up after PostgreSQL")
        wait_until(lambda: flusher_status(env)["ok"], 30, "the flusher to report ok")
        assert log_text(log).count("recovered") == 1

        # when Redis stops: beats are refused (nothing acknowledged), the flusher fails and keeps going
        redis_server.stop()
        assert beats(env, enrolment_id=enrolment_id, offset_hours=3, count=2) == 0
        time.sleep(2)
        assert flusher.poll() is None
        assert log_text(log).count("flush failed") == 2
        # when Redis is back with its data, reading goes on and the flusher catches up exactly
        redis_server.start()
        acknowledged += beats(env, enrolment_id=enrolment_id, offset_hours=4, count=4)
        assert 960_000 <= acknowledged < 990_000
        wait_until(lambda: postgres.reading_ms(enrolment_id) == acknowledged, what="catching up after Redis")
        time.sleep(1)
        # and nothing was doubled by the retries
        assert postgres.reading_ms(enrolment_id) == acknowledged
        assert flusher.poll() is None
    finally:
        flusher.terminate()
        flusher.wait(timeout=20)
        log.close()


def log_text(log) -> str:
    log.flush()
    return Path(log.name).read_text()
