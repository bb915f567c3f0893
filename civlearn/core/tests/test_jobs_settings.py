"""The job timing settings (core/jobs.py): JOB_HEARTBEAT_SECONDS / JOB_STALE_SECONDS, with the deprecated
HOURS_JOB_* names still read so an existing deployment's environment keeps working."""

from __future__ import annotations

import pytest

from civlearn.core.tests.processes import value_in_fresh_process


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
    timings = "[settings.JOB_HEARTBEAT_SECONDS, settings.JOB_STALE_SECONDS]"
    assert value_in_fresh_process(timings, environ, drop_prefixes=("JOB_", "HOURS_JOB_")) == expected
