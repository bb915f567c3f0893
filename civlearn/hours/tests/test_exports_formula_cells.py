"""CSV formula injection (OWASP): a name a spreadsheet would run as a formula is neutralised in every export and
refused at every import of names."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from civlearn.core import spreadsheets
from civlearn.hours import batch, exports
from civlearn.hours.models import ImportJob, LedgerEntry
from civlearn.hours.tests.batch_fixtures import csv_file, csv_line
from conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("media_root")
ATTACK = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (ATTACK, "'" + ATTACK),
        ("+1+cmd", "'+1+cmd"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-2", "-2"),
        ("+1.5", "+1.5"),
        ("環境教育=永續", "環境教育=永續"),
        ("", ""),
        (3, 3),
        (None, None),
    ],
)
def test_neutralise(value, expected):
    assert spreadsheets.neutralise(value) == expected


def signed_in(client, user):
    assert client.login(username=user.person.national_id, password=PASSWORD)
    return client


@pytest.mark.parametrize(("encoding", "codec"), [("utf-8", "utf-8-sig"), ("big5", "cp950")])
def test_the_institution_export_neutralises_a_formula_course_name_in_utf8_and_big5(
    client, provider, agency, learner_person, encoding, codec, django_capture_on_commit_callbacks
):
    # given a ledger row whose course name came in before names were checked at import
    signed_in(client, provider)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/lifelong/institution/upload",
            {"institution": agency.pk, "file": SimpleUploadedFile("h.csv", csv_file(csv_line()), "text/csv")},
        )
    LedgerEntry.objects.update(course_name=ATTACK, period="@SUM(1+1)")

    response = client.get("/lifelong/institution/export", {"institution": agency.pk, "year": 113, "encoding": encoding})

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode(codec))))
    columns = [header.lstrip("*") for header in rows[0]]
    assert rows[1][columns.index("課程名稱")] == "'" + ATTACK
    assert rows[1][columns.index("期別")] == "'@SUM(1+1)"
    assert rows[1][columns.index("訓練總數")] == "2"


def test_an_upload_refuses_names_that_start_like_a_formula_and_the_report_is_neutralised(
    client, provider, agency, learner_person, django_capture_on_commit_callbacks
):
    signed_in(client, provider)
    data = csv_file(csv_line(course_name=ATTACK.replace(",", "")), csv_line(name="+王小明", period="2"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/lifelong/institution/upload", {"institution": agency.pk, "file": SimpleUploadedFile("h.csv", data)}
        )

    job = ImportJob.objects.get()
    assert job.status == "review"
    assert [(e["row"], e["column"], e["value"], e["message"]) for e in job.errors] == [
        (2, "課程名稱", ATTACK, spreadsheets.FORMULA_REFUSED),
        (3, "姓名", "+王小明", spreadsheets.FORMULA_REFUSED),
    ]
    assert LedgerEntry.objects.count() == 0

    report = client.get(f"/lifelong/institution/jobs/{job.pk}/errors.csv").content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(report)))[1:] == [
        ["2", "課程名稱", "'" + ATTACK, spreadsheets.FORMULA_REFUSED],
        ["3", "姓名", "'+王小明", spreadsheets.FORMULA_REFUSED],
    ]


def test_the_full_check_and_the_quick_check_agree_on_formula_names():
    result = batch.parse_upload(
        csv_file(csv_line(course_name="@cmd"), csv_line(course_code="-1+1", period="3"), csv_line(period="-1")),
        institution_code="A09600000Q",
        category_codes_for=lambda day: {"339"},
        people_for=lambda ids: dict.fromkeys(ids, 1),
    )

    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "課程名稱", spreadsheets.FORMULA_REFUSED),
        (3, "課程代碼", spreadsheets.FORMULA_REFUSED),
    ]
    assert [row.period for row in result.rows] == ["-1"]


def test_a_spreadsheet_export_keeps_a_formula_name_as_text():
    from openpyxl import load_workbook

    data = exports.to_xlsx([exports.Sheet("學習紀錄", [["課程名稱"], [ATTACK]])])

    cell = load_workbook(io.BytesIO(data)).active["A2"]
    assert (cell.value, cell.data_type) == (ATTACK, "s")
