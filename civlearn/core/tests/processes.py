"""Real server processes for the operations tests: a site of their own (a fresh database), granian app servers on
free loopback ports, and management commands run as separate processes — what several workers or servers are."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg

BASE_DIR = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def value_in_fresh_process(expression: str, environ: dict[str, str], *, drop_prefixes: tuple[str, ...] = ()) -> object:
    """The JSON value of `expression` (Python, after django.setup(); `settings` is Django's) computed in a new
    process whose environment is this one's without the names starting with `drop_prefixes`, plus `environ`: what
    settings read from the environment at start-up."""
    code = f"import json, django; django.setup(); from django.conf import settings; print(json.dumps({expression}))"
    keep = {name: value for name, value in os.environ.items() if not name.startswith(drop_prefixes)}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**keep, "DJANGO_SETTINGS_MODULE": "civlearn.settings", "CIVLEARN_TESTING": "1", **environ},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Site:
    """A database of its own and the environment every process of the site runs with (no CIVLEARN_TESTING: the
    settings a deployment gets, e.g. the database cache when REDIS_URL is unset)."""

    def __init__(self, var_dir: Path, *, extra_env: dict[str, str] | None = None):
        self.var_dir = var_dir
        var_dir.mkdir(parents=True, exist_ok=True)
        self.database_name = ""
        self.env = {
            key: value for key, value in os.environ.items() if key not in {"CIVLEARN_TESTING", "DJANGO_SETTINGS_MODULE"}
        }
        # Set, even when empty: a developer's .env (read outside tests, and never over a variable that is set) must
        # not point these servers at another database or Redis.
        self.env.update(
            DATABASE_URL="",
            REDIS_URL="",
            CELERY_BROKER_URL="",
            CIVLEARN_DEMO="1",
            VAR_DIR=str(var_dir),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            OAUTHLIB_INSECURE_TRANSPORT="1",
            LOG_LEVEL="WARNING",
        )
        base_url = os.environ.get("DATABASE_URL", "")
        if base_url:
            # A database of its own on the same server, dropped at the end: the servers under test must see rows
            # that the test's own (rolled back) database would hide.
            self.admin_url = base_url
            self.database_name = f"civlearn_ops_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            with psycopg.connect(base_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.database_name}"')
            self.env["DATABASE_URL"] = base_url.rsplit("/", 1)[0] + "/" + self.database_name
        self.env.update(extra_env or {})
        self.servers: list[subprocess.Popen] = []

    def manage(self, *args: str, timeout: float = 120, env: dict[str, str] | None = None) -> str:
        result = subprocess.run(
            [str(BIN / "python"), "manage.py", *args],
            cwd=BASE_DIR,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def shell(self, code: str) -> str:
        return self.manage("shell", "-v", "0", "-c", code)

    def granian(self, *, workers: int = 1, extra: tuple[str, ...] = ()) -> tuple[subprocess.Popen, str]:
        port = free_port()
        command = [str(BIN / "granian"), "--interface", "wsgi", "civlearn.wsgi:application", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--workers", str(workers), "--blocking-threads", "1", "--no-ws"]
        command += ["--log-level", "warning", *extra]
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.servers.append(process)
        url = f"http://127.0.0.1:{port}"
        wait_until_answering(url + "/healthz", process=process)
        return process, url

    def close(self) -> None:
        for process in self.servers:
            stop(process)
        if self.database_name:
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')


def wait_until_answering(url: str, *, process: subprocess.Popen | None = None, timeout: float = 30.0) -> float:
    """Seconds until `url` answers 200; fails after `timeout` or when the process ends first."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode} before answering")
        with contextlib.suppress(OSError, urllib.error.URLError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def stop(process: subprocess.Popen, *, timeout: float = 10.0) -> None:
    """SIGTERM to the process group, SIGKILL when it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout)


@contextlib.contextmanager
def site(tmp_path: Path, **kwargs) -> Iterator[Site]:
    made = Site(tmp_path, **kwargs)
    try:
        made.manage("migrate", "--no-input", "-v", "0", timeout=300)
        # As ./run and a deployment do: outside the test settings the static files are served by their hashed names.
        made.manage("collectstatic", "--no-input", "-v", "0", timeout=300)
        yield made
    finally:
        made.close()


class RedisServer:
    """A throwaway Redis on a port of its own, without persistence: a restart loses every key, as a Redis without
    persistence does after a crash. Never the shared one."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [*command, "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        raise AssertionError("the test Redis did not start")

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


def children_of(pid: int) -> list[int]:
    """The direct children of `pid`, from /proc (Linux)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (2nd field) may hold spaces; the fields after its closing parenthesis do not.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def descendants_of(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        for child in children_of(stack.pop()):
            found.append(child)
            stack.append(child)
    return found


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
