"""Start named commands, restart any that dies, stop them all on Ctrl-C or SIGTERM.

    python scripts/supervise.py web='granian …' flusher='manage.py learning_reading_flush --every 5'

Used by ./run, the single-host command. In production systemd supervises each process (deploy/systemd/). Why a
short loop of the standard library rather than a tool: honcho and foreman stop every process when one exits (they
restart nothing); supervisord is a daemon with a configuration language of its own, too much for one command line.

Each child runs in a session (process group) of its own, so that a stop reaches the processes it started too (granian's
workers) and a Ctrl-C in the terminal reaches only this supervisor, which then stops every child in order: SIGTERM to
each group, SIGKILL to what is left after the grace period. Children get SIGTERM if the supervisor itself is killed
(Linux's parent-death signal), so even `kill -9` on the supervisor leaves no server running.

A child that exits is restarted after a pause that doubles while it keeps failing quickly (1 s up to 30 s) and
starts again at 1 s once it has run for a minute: a crash loop (a database that is down) does not spin the CPU.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

GRACE_SECONDS = 10.0
FIRST_PAUSE, MAX_PAUSE, STABLE_AFTER = 1.0, 30.0, 60.0
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # Runs in the child between fork and exec.
    # Not glibc Linux (OSError): the signal handlers below still stop children on an orderly exit.
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    started: float = 0.0
    pause: float = FIRST_PAUSE
    restart_at: float = 0.0
    restarts: int = 0

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv, start_new_session=True, preexec_fn=_die_with_parent)
        self.started = time.monotonic()
        log(f"{self.name} started (pid {self.process.pid})")

    def signal_group(self, signum: int) -> None:
        # The group outlives its leader while the leader's own children (granian's workers) run.
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signum)


def log(message: str) -> None:
    sys.stderr.write(f"supervise: {message}\n")
    sys.stderr.flush()


def parse(specs: list[str]) -> list[Child]:
    children = []
    for spec in specs:
        name, sep, command = spec.partition("=")
        if not sep or not name or not command.strip():
            raise SystemExit(f"supervise: expected NAME=COMMAND, got {spec!r}")
        children.append(Child(name=name, argv=shlex.split(command)))
    return children


def stop_all(children: list[Child]) -> None:
    for child in children:
        child.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for child in children:
        if child.process is None:
            continue
        try:
            child.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log(f"{child.name} did not stop within {GRACE_SECONDS:.0f} s; killing it")
        # Whatever the group still holds (a worker that ignored SIGTERM) goes now.
        child.signal_group(signal.SIGKILL)
        child.process.wait()


def run(children: list[Child]) -> int:
    stopping: list[int] = []

    def on_signal(signum, _frame):
        stopping.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    for child in children:
        child.start()
    while not stopping:
        now = time.monotonic()
        for child in children:
            if child.process is None:
                if now >= child.restart_at:
                    child.restarts += 1
                    child.start()
                continue
            code = child.process.poll()
            if code is None:
                continue
            # The group may still hold its own children (granian's workers): clear it before starting anew.
            child.signal_group(signal.SIGKILL)
            ran = now - child.started
            if ran >= STABLE_AFTER:
                child.pause = FIRST_PAUSE
            pause, child.pause = child.pause, min(MAX_PAUSE, child.pause * 2)
            log(f"{child.name} exited with {code} after {ran:.1f} s; restarting in {pause:.0f} s")
            child.process = None
            child.restart_at = now + pause
        time.sleep(0.2)
    log("stopping every process")
    stop_all(children)
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    sys.exit(run(parse(sys.argv[1:])))
