"""The job timing settings (core/jobs.py): JOB_HEARTBEAT_SECONDS / JOB_STALE_SECONDS, with the deprecated
HOURS_JOB_* names still read so an existing deployment's environment keeps working."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _job_settings(environ: dict[str, str]) -> list[int]:
    code = (
        "import json, django; django.setup(); from civlearn.core import jobs; "
        "print(json.dumps([jobs.heartbeat_seconds(), jobs.stale_seconds()]))"
    )
    keep = {name: value for name, value in os.environ.items() if "JOB_" not in name}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**keep, "DJANGO_SETTINGS_MODULE": "civlearn.settings", "CIVLEARN_TESTING": "1", **environ},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, [10, 60]),
        ({"JOB_HEARTBEAT_SECONDS": "3", "JOB_STALE_SECONDS": "20"}, [3, 20]),
        # a deployment that still sets the old names keeps its figures
        ({"HOURS_JOB_HEARTBEAT_SECONDS": "4", "HOURS_JOB_STALE_SECONDS": "30"}, [4, 30]),
        # the new name wins over the old one
        ({"JOB_STALE_SECONDS": "45", "HOURS_JOB_STALE_SECONDS": "30"}, [10, 45]),
    ],
)
def test_job_timings_come_from_the_new_names_with_the_old_ones_as_a_fallback(environ, expected):
    assert _job_settings(environ) == expected
