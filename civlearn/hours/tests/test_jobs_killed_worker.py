"""A worker killed with SIGKILL in the middle of an upload: a real `manage.py hours_jobs run` process on a site of
its own (a database of its own, on either engine), killed once the job has written progress. The job ends failed
within the documented bound (JOB_STALE_SECONDS after its last heartbeat, shortened here), nothing of it is
in the ledger, and running it again writes every row once."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import time

import psycopg

from civlearn.core.tests import processes

ROWS = 60_000
HEARTBEAT, STALE = 1, 4
SETUP = f"""
import datetime as dt
from django.core.files.base import ContentFile
from civlearn.core import clock
from civlearn.hours.models import ImportJob
from civlearn.hours.tests.batch_fixtures import csv_file, csv_line
from civlearn.identity.models import AgencyRole, User
from civlearn.registry.models import Agency, Person

agency = Agency.objects.create(code="A09600000Q", name="國立臺中科技大學")
person = Person.objects.create(agency=agency, national_id="A123456789", name="王小明", birthday=dt.date(1972, 1, 1),
                               post_start_date=dt.date(2015, 8, 1))
user = User.objects.create_user(None, None, person=person, email="course@example.tw")
AgencyRole.objects.create(user=user, agency=agency, role=AgencyRole.PROVIDER)
data = csv_file(*(csv_line(period=str(n)) for n in range({ROWS})))
job = ImportJob(institution=agency, created_by=user, file_name="big.csv", created_at=clock.now())
job.file.save("big.csv", ContentFile(data), save=False)
job.save()
print(job.pk)
"""


def query(site: processes.Site, sql: str, *params) -> tuple:
    """One row, read straight from the site's database (no Django process per look). Placeholders: %s."""
    if site.database_name:
        with psycopg.connect(site.env["DATABASE_URL"], autocommit=True) as conn:
            return conn.execute(sql, params).fetchone()
    with contextlib.closing(sqlite3.connect(site.var_dir / "civlearn.sqlite3", timeout=30)) as conn:
        return conn.execute(sql.replace("%s", "?"), params).fetchone()


def test_a_job_killed_mid_way_ends_failed_in_time_and_runs_again_without_duplicates(tmp_path):
    env = {"JOB_HEARTBEAT_SECONDS": str(HEARTBEAT), "JOB_STALE_SECONDS": str(STALE)}
    with processes.site(tmp_path / "site", extra_env=env) as site:
        job_id = int(site.shell(SETUP).strip())
        worker = subprocess.Popen(
            [str(processes.BIN / "python"), "manage.py", "hours_jobs", "run", str(job_id)],
            cwd=processes.BASE_DIR,
            env=site.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            # when the job is under way (running, progress written, a heartbeat stamped) its worker is killed
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                status, progress = query(site, "SELECT status, progress FROM hours_importjob WHERE id = %s", job_id)
                if status == "running" and progress >= 5:
                    break
                assert worker.poll() is None, "the worker ended before it could be killed"
                time.sleep(0.05)
            else:
                raise AssertionError("the job did not start within 120 s")
            worker.send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            worker.wait(10)
        finally:
            if worker.poll() is None:
                worker.kill()
        assert worker.returncode == -signal.SIGKILL
        assert query(site, "SELECT status FROM hours_importjob WHERE id = %s", job_id) == ("running",)

        # then the reclaim (what cron runs every minute) marks it failed once the heartbeat is STALE seconds old
        while True:
            if f"reclaimed: {job_id}" in site.manage("hours_jobs", "reclaim"):
                break
            assert time.monotonic() - killed_at < STALE + 60, "not reclaimed within the bound"
        status, message = query(site, "SELECT status, message FROM hours_importjob WHERE id = %s", job_id)
        assert (status, message) == (
            "failed",
            f"處理程序已中斷（超過 {STALE} 秒沒有回應），未匯入任何資料；請按「重新執行」再試一次",
        )
        # never before the bound: the last heartbeat is at least STALE seconds older than the failure
        if site.database_name:
            (silent,) = query(
                site,
                "SELECT EXTRACT(EPOCH FROM finished_at - heartbeat_at) FROM hours_importjob WHERE id = %s",
                job_id,
            )
        else:
            (silent,) = query(
                site,
                "SELECT (julianday(finished_at) - julianday(heartbeat_at)) * 86400 FROM hours_importjob WHERE id = %s",
                job_id,
            )
        assert float(silent) >= STALE
        assert query(site, "SELECT count(*) FROM hours_ledgerentry") == (0,)

        # when the person runs it again, every row is written once
        site.shell(
            "from civlearn.hours import jobs; from civlearn.hours.models import ImportJob; "
            f"job = ImportJob.objects.get(pk={job_id}); jobs.import_job_retry(job=job, user=job.created_by)"
        )
        assert query(site, "SELECT status, created_rows FROM hours_importjob WHERE id = %s", job_id) == ("done", ROWS)
        assert query(site, "SELECT count(*), count(DISTINCT source_reference) FROM hours_ledgerentry") == (ROWS, ROWS)
        print(f"killed at {progress} %; failed {silent:.1f} s after its last heartbeat")
