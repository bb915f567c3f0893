"""The processes a bench script starts on this machine: a free loopback port for each, waiting until one answers,
and stopping them all at the end. Imported by the scripts beside it (`python bench/<script>.py` puts this folder on the path; bench/load/run.py
adds it)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, timeout: float, what: str) -> None:
    """Call `check` every 0.1 s until it returns true (an exception counts as not yet); the script ends with a
    message naming `what` when `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.1)
    raise SystemExit(f"{Path(sys.argv[0]).name}: {what} did not come up within {timeout:.0f} s")


def stop_process_groups(processes: Iterable[subprocess.Popen], *, grace: float = 15) -> None:
    """Stop processes started with `start_new_session=True`, each with its whole group (a server and its workers):
    SIGTERM to every group still running, then wait up to `grace` seconds for each; SIGKILL to a group that has not
    ended by then."""
    processes = list(processes)
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
