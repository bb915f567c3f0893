"""The processes a bench script starts on this machine: a free loopback port for each, and stopping them all at the
end. Imported by the scripts beside it (`python bench/<script>.py` puts this folder on the path; bench/load/run.py
adds it)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from collections.abc import Iterable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
