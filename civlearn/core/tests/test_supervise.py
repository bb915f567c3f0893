"""./run's processes under scripts/supervise.py: a killed granian worker is respawned, a killed process is started
again, and Ctrl-C (SIGINT to the supervisor) stops everything, leaving no process behind."""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import threading
import time

import pytest
import requests

from civlearn.core.tests.processes import (
    BASE_DIR,
    BIN,
    RedisServer,
    alive,
    children_of,
    descendants_of,
    free_port,
    wait_until_answering,
)
from civlearn.core.tests.processes import site as make_site


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def _pids_started(log_path, name: str) -> list[int]:
    return [int(pid) for pid in re.findall(rf"supervise: {name} started \(pid (\d+)\)", log_path.read_text())]


def _wait_for(condition, timeout: float = 20.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_supervised_processes_come_back_after_kill_9_and_stop_together_on_ctrl_c(tmp_path, redis_server):
    with make_site(tmp_path / "site", extra_env={"REDIS_URL": redis_server.url}) as made:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        web = (
            f"web={BIN}/granian --interface wsgi civlearn.wsgi:application --host 127.0.0.1 --port {port}"
            " --workers 2 --blocking-threads 1 --respawn-failed-workers --no-ws --log-level warning"
        )
        flusher = f"flusher={BIN}/python manage.py learning_reading_flush --every 1"
        log_path = tmp_path / "supervise.log"
        with log_path.open("w") as log:
            supervisor = subprocess.Popen(
                [str(BIN / "python"), "scripts/supervise.py", web, flusher],
                cwd=BASE_DIR,
                env=made.env,
                stderr=log,
                stdout=subprocess.DEVNULL,
            )
        try:
            wait_until_answering(url + "/healthz", process=supervisor)
            [granian] = _pids_started(log_path, "web")
            workers = children_of(granian)
            assert len(workers) == 2

            # when a busy worker is killed with SIGKILL (requests keep coming meanwhile)
            stop_load = threading.Event()

            def load():
                while not stop_load.is_set():
                    with contextlib.suppress(requests.RequestException):
                        requests.get(url + "/readyz", timeout=5)

            threads = [threading.Thread(target=load) for _ in range(4)]
            for thread in threads:
                thread.start()
            time.sleep(0.5)
            victim = workers[0]
            subprocess.run(["kill", "-9", str(victim)], check=True)
            # then granian starts a new worker in its place, the server process stays, and the site answers
            _wait_for(
                lambda: len([p for p in children_of(granian) if alive(p)]) == 2 and victim not in children_of(granian)
            )
            stop_load.set()
            for thread in threads:
                thread.join()
            assert alive(granian)
            assert [requests.get(url + "/healthz", timeout=5).status_code for _ in range(20)] == [200] * 20

            # when the whole web server is killed, and then the flusher
            subprocess.run(["kill", "-9", str(granian)], check=True)
            seconds = _wait_for(lambda: len(_pids_started(log_path, "web")) == 2)
            wait_until_answering(url + "/healthz", timeout=20)
            [flusher_pid] = _pids_started(log_path, "flusher")
            subprocess.run(["kill", "-9", str(flusher_pid)], check=True)
            # then the supervisor starts each again (the first restart after one second)
            _wait_for(lambda: len(_pids_started(log_path, "flusher")) == 2)
            assert seconds < 5
            assert "web exited with -9" in log_path.read_text()
            assert "flusher exited with -9" in log_path.read_text()

            # when Ctrl-C reaches the supervisor
            everything = descendants_of(supervisor.pid)
            assert len(everything) >= 4  # granian, its two workers, the flusher
            supervisor.send_signal(signal.SIGINT)
            assert supervisor.wait(30) == 0
            # then no process it started is left
            _wait_for(lambda: not any(alive(pid) for pid in everything), timeout=5)
        finally:
            if supervisor.poll() is None:
                supervisor.kill()
                supervisor.wait()
