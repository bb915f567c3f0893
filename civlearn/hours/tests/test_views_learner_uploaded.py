"""The manual's 113年度 page reproduced from a 25-column file uploaded by the learning institution."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from civlearn.core import clock
from civlearn.hours import batch
from civlearn.hours.jobs import import_job_create
from civlearn.hours.models import ImportJob, LedgerEntry
from civlearn.hours.tests.batch_fixtures import csv_line
from civlearn.hours.tests.factories import MANUAL_113, MANUAL_113_FIGURES, taipei
from civlearn.hours.tests.test_exports import ods_rows, trim
from civlearn.hours.tests.test_views_learner import table

pytestmark = pytest.mark.django_db


def manual_file() -> bytes:
    """The manual's records as the institution's CSV, with the 與業務相關 column the summary needs."""
    lines = [",".join([*batch.header_row(), "與業務相關"])]
    for number, (code, hours) in enumerate(MANUAL_113, start=1):
        day = f"113-03-{number:02d}"
        fields = {
            "course_name": f"手冊課程{number:02d}",
            "category_code": code,
            "certified_hours": hours,
            "digital_hours": hours,
            "physical_hours": "0",
            "period": str(number),
            "course_code": f"M113-{number:02d}",
            "actual_start_date": day,
            "actual_end_date": day,
        }
        lines.append(csv_line(**fields) + ",是")
    return ("\r\n".join(lines) + "\r\n").encode("big5")


def upload(provider, agency, capture):
    with capture(execute=True):
        job = import_job_create(
            user=provider, institution=agency, upload=SimpleUploadedFile("113.csv", manual_file(), "text/csv")
        )
    job.refresh_from_db()
    return job


def test_uploaded_manual_records_give_the_manual_page_and_files(
    client, provider, agency, learner, media_root, django_capture_on_commit_callbacks
):
    clock.advance(taipei(2024, 3, 21, 10) - clock.now())

    job = upload(provider, agency, django_capture_on_commit_callbacks)
    again = upload(provider, agency, django_capture_on_commit_callbacks)

    assert (job.status, job.created_rows, job.errors) == (ImportJob.DONE, 9, [])
    assert (again.status, again.created_rows, again.duplicate_rows) == (ImportJob.DONE, 0, 9)
    assert LedgerEntry.objects.count() == 9
    client.force_login(learner)
    expected = [[label, f"{hours}小時"] for label, hours in MANUAL_113_FIGURES]
    assert table(client.get("/lifelong/folder/hours/").content.decode(), "summary-table") == expected
    workbook = load_workbook(io.BytesIO(client.get("/lifelong/folder/hours/export.xlsx?year=113").content))
    xlsx = [trim(list(row)) for row in workbook["時數統計"].iter_rows(values_only=True)]
    assert xlsx[1:19] == [[label, int(hours)] for label, hours in MANUAL_113_FIGURES]
    ods = ods_rows(client.get("/lifelong/folder/hours/export.ods?year=113").content)["時數統計"]
    assert ods[1:19] == [[label, float(hours)] for label, hours in MANUAL_113_FIGURES]
