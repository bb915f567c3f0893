"""CPU time of local processes, read from /proc: what the bench scripts print per request or per row.

User + system time is the cost of the work whatever else the machine is doing, which moves wall-clock rates far more.
Imported by the scripts beside it (`python bench/<script>.py` puts this folder on the path)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(entry: Path) -> list[str] | None:
    """The fields after the command name in /proc/<pid>/stat (state, ppid, pgrp, … utime at 11, stime at 12), or
    None for a process that has gone."""
    try:
        return (entry / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _processes() -> Iterator[tuple[int, list[str]]]:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(entry)) is not None:
            yield int(entry.name), fields


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU seconds these processes have used so far (gone ones count nothing)."""
    total = 0
    for pid in pids:
        if (fields := _stat(Path(f"/proc/{pid}"))) is not None:
            total += int(fields[11]) + int(fields[12])
    return total / TICK


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds used so far by every process of a process group (a server and its workers)."""
    return sum(int(f[11]) + int(f[12]) for _pid, f in _processes() if int(f[2]) == pgid) / TICK


def children(pid: int) -> list[int]:
    return [child for child, fields in _processes() if int(fields[1]) == pid]


def named(command: str) -> list[int]:
    """Processes whose command name is `command` (e.g. "redis-server")."""
    found = []
    for pid, _fields in _processes():
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == command:
                found.append(pid)
        except OSError:
            continue
    return found


def database_backends(dsn: str) -> list[int]:
    """The PostgreSQL server processes connected to the database of `dsn` (other than the one asking)."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [row[0] for row in rows]
