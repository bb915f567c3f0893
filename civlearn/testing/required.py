"""Skips that a CI leg must not take: a test that needs Chromium, Node, PostgreSQL or the shared SCORM samples skips
on a machine without them, but where the leg says they are present (`CIVLEARN_REQUIRE`, set by `./test`), the same
skip is a failure, so a broken setup cannot pass by quietly running fewer tests.

Loaded by the root conftest.py as a plugin. Tests skip through `skip_needing` (or `postgresql_only`); a skip of a test
that carries a need's marker (`browser`, `node`, `postgresql`, `scorm_samples`) counts as that need whatever raised
it, so a `skipif` on a marked test is covered too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import NoReturn

import pytest

MARKERS = {
    "browser": "drives Chromium through Playwright against a live server",
    "node": "runs a Node program (bench/oidc_node)",
    "postgresql": "runs on PostgreSQL only",
    "scorm_samples": "uses the third-party SCORM sample packages in ../shared/scorm",
}
NEEDS = tuple(MARKERS)
# Under CI=true without CIVLEARN_REQUIRE: what every CI leg has (./test adds postgresql and scorm_samples per leg).
CI_DEFAULT = ("browser", "node")
_REASON = re.compile(r"^needs (\w+): ")


def skip_needing(need: str, reason: str) -> NoReturn:
    """Skip the calling test for want of `need` (one of NEEDS); a leg that requires it fails instead."""
    __tracebackhide__ = True  # the skip report names the caller's line, not this one
    if need not in NEEDS:
        raise ValueError(f"unknown need {need!r}; one of {', '.join(NEEDS)}")
    # The need travels in the reason, which is all a skip report keeps; this function is its only writer.
    pytest.skip(f"needs {need}: {reason}")


def postgresql_only(reason: str) -> None:
    """Skip the calling test unless the test database is PostgreSQL."""
    __tracebackhide__ = True
    from django.db import connection

    if connection.vendor != "postgresql":
        skip_needing("postgresql", reason)


def required_needs(environ: Mapping[str, str] = os.environ) -> frozenset[str]:
    raw = environ.get("CIVLEARN_REQUIRE")
    if raw is None:
        return frozenset(CI_DEFAULT) if environ.get("CI", "").lower() == "true" else frozenset()
    needs = frozenset(part.strip() for part in raw.split(",") if part.strip())
    unknown = needs - set(NEEDS)
    if unknown:
        raise pytest.UsageError(
            f"CIVLEARN_REQUIRE names {', '.join(sorted(unknown))}; known needs are {', '.join(NEEDS)}"
        )
    return needs


def pytest_configure(config: pytest.Config) -> None:
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    config.stash[_REQUIRED] = required_needs()


def pytest_report_header(config: pytest.Config) -> str:
    needs = config.stash[_REQUIRED]
    return f"civlearn: skips that fail this run: {', '.join(sorted(needs)) if needs else 'none'} (CIVLEARN_REQUIRE)"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    required = item.config.stash[_REQUIRED]
    if not report.skipped or not required or hasattr(report, "wasxfail"):
        return report
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    reason = reason.removeprefix("Skipped: ")
    needs = set(_REASON.findall(reason))
    needs.update(need for need in NEEDS if item.get_closest_marker(need) is not None)
    missing = sorted(needs & required)
    if missing:
        report.outcome = "failed"
        report.longrepr = (
            f"skipped, but this run requires {', '.join(missing)} (CIVLEARN_REQUIRE={','.join(sorted(required))}): "
            f"{reason}"
        )
    return report


_REQUIRED = pytest.StashKey[frozenset[str]]()
