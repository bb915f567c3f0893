"""學習機關(構)專區: upload → job → report → commit valid rows; re-upload; export; who may do what."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from civlearn.core.models import AuditEvent
from civlearn.hours import batch, jobs
from civlearn.hours.models import ImportJob, LedgerEntry
from civlearn.hours.tests.batch_fixtures import SECOND_ID, csv_file, csv_line
from conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("media_root")
UPLOAD = "/lifelong/institution/upload"


def signed_in(client, user):
    assert client.login(username=user.person.national_id, password=PASSWORD)
    return client


def post_file(client, agency, data: bytes, capture, name="hours.csv"):
    with capture(execute=True):
        return client.post(UPLOAD, {"institution": agency.pk, "file": SimpleUploadedFile(name, data, "text/csv")})


def test_a_clean_file_is_committed_and_reuploading_it_adds_nothing(
    client, provider, agency, learner_person, second_person, django_capture_on_commit_callbacks
):
    # given a provider and a file of two good rows
    signed_in(client, provider)
    data = csv_file(csv_line(), csv_line(national_id=SECOND_ID, name="李大華", mode="2", digital_hours="0",
                                         physical_hours="2"))  # fmt: skip

    # when it is uploaded
    response = post_file(client, agency, data, django_capture_on_commit_callbacks)

    # then the job is done, both rows are in the ledger with the file's values, and one audit event records it
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/lifelong/institution/jobs/{job.pk}"
    assert (job.status, job.encoding, job.total_rows, job.valid_rows, job.created_rows, job.duplicate_rows) == (
        "done", "UTF-8", 2, 2, 2, 0,
    )  # fmt: skip
    entry = LedgerEntry.objects.get(person=learner_person)
    assert entry.source_kind == "upload"
    assert entry.year == 2024
    assert entry.category_table.name == "2024"
    assert (entry.category_code, entry.mode, entry.certified_hours) == ("339", 1, Decimal("2.0"))
    assert entry.institution_code == "A09600000Q"
    assert entry.actual_end == dt.datetime(2024, 3, 21, 3, 0, tzinfo=dt.UTC)
    assert LedgerEntry.objects.get(person=second_person).physical_hours == Decimal("2.0")
    assert list(
        AuditEvent.objects.filter(action__startswith="hours.import_job").order_by("id").values_list("action", flat=True)
    ) == [
        "hours.import_job_create",
        "hours.import_job_commit",
    ]

    page = client.get(response["Location"])
    assert "已完成" in page.content.decode()

    # when the same file comes again
    post_file(client, agency, data, django_capture_on_commit_callbacks)

    # then nothing is duplicated
    again = ImportJob.objects.order_by("-id").first()
    assert (again.status, again.created_rows, again.duplicate_rows) == ("done", 0, 2)
    assert LedgerEntry.objects.count() == 2


def test_a_file_with_errors_commits_nothing_until_the_valid_rows_are_chosen(
    client, provider, agency, learner_person, second_person, django_capture_on_commit_callbacks
):
    signed_in(client, provider)
    data = csv_file(csv_line(), csv_line(national_id=SECOND_ID, mode="7"), csv_line(national_id="A123456788"))

    response = post_file(client, agency, data, django_capture_on_commit_callbacks)

    job = ImportJob.objects.get()
    assert (job.status, job.total_rows, job.valid_rows, job.invalid_rows, job.error_count) == ("review", 3, 1, 2, 2)
    assert LedgerEntry.objects.count() == 0
    page = client.get(response["Location"]).content.decode()
    assert "檔案有 2 個錯誤，尚未匯入任何資料" in page
    assert "學習性質代碼不正確，應為 1 數位、2 實體、3 混成、4 遠距" in page
    assert "A12345****" in page and "A123456788" not in page
    assert "只匯入正確的資料列" in page

    report = client.get(f"/lifelong/institution/jobs/{job.pk}/errors.csv")
    assert report["Content-Type"] == "text/csv; charset=utf-8"
    assert report.content.decode("utf-8-sig").splitlines() == [
        "列,欄位,值,錯誤說明",
        "3,學習性質,7,學習性質代碼不正確，應為 1 數位、2 實體、3 混成、4 遠距",
        "4,身分證字號,A12345****,身分證字號檢查碼不正確",
    ]

    # when the person commits the valid rows
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/lifelong/institution/jobs/{job.pk}/commit-valid")

    job.refresh_from_db()
    assert response.status_code == 302
    assert (job.status, job.created_rows, job.invalid_rows) == ("done", 1, 2)
    assert list(LedgerEntry.objects.values_list("person__national_id", flat=True)) == ["A123456789"]

    # and a second press finds nothing left to do
    response = client.post(f"/lifelong/institution/jobs/{job.pk}/commit-valid", follow=True)
    assert "此批次上傳目前沒有可匯入的正確資料列" in response.content.decode()
    assert LedgerEntry.objects.count() == 1


def test_a_big5_file_is_read(client, provider, agency, learner_person, django_capture_on_commit_callbacks):
    signed_in(client, provider)

    post_file(client, agency, csv_file(csv_line(), encoding="cp950"), django_capture_on_commit_callbacks)

    job = ImportJob.objects.get()
    assert (job.status, job.encoding, job.created_rows) == ("done", "Big5", 1)
    assert LedgerEntry.objects.get().course_name == "環境教育：氣候變遷與調適"


def test_header_errors_are_shown_and_nothing_is_read(client, provider, agency, django_capture_on_commit_callbacks):
    signed_in(client, provider)

    post_file(client, agency, "姓名,課程\r\n王小明,x\r\n".encode(), django_capture_on_commit_callbacks)

    job = ImportJob.objects.get()
    assert job.status == "review"
    assert job.valid_rows == 0
    assert job.errors[0] == {
        "row": 1,
        "column": "課程",
        "value": "",
        "message": "無法辨識的欄位名稱，請使用 25 欄標準格式的欄位名稱",
    }
    page = client.get(f"/lifelong/institution/jobs/{job.pk}").content.decode()
    assert "commit-valid" not in page


def test_form_errors(client, provider, agency, other_agency, django_capture_on_commit_callbacks):
    signed_in(client, provider)

    no_file = client.post(UPLOAD, {"institution": agency.pk})
    wrong_kind = post_file(client, agency, b"x", django_capture_on_commit_callbacks, name="hours.xlsx")
    other = post_file(client, other_agency, csv_file(csv_line()), django_capture_on_commit_callbacks)

    assert "請選擇要上傳的檔案" in no_file.content.decode()
    assert "請上傳 CSV 檔（副檔名 .csv）" in wrong_kind.content.decode()
    assert 'aria-invalid="true"' in wrong_kind.content.decode()
    assert "請選擇您可代表的學習機關(構)" in other.content.decode()
    assert ImportJob.objects.count() == 0


def test_an_empty_file_is_called_empty(client, provider, agency, django_capture_on_commit_callbacks):
    signed_in(client, provider)

    response = post_file(client, agency, b"", django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert "檔案是空的（0 位元組），請確認選擇的是匯出後的 CSV 檔" in response.content.decode()
    assert "沒有任何檔案被提交" not in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_a_file_with_a_nul_byte_goes_to_review_naming_its_row(
    client, provider, agency, learner_person, django_capture_on_commit_callbacks
):
    signed_in(client, provider)
    data = csv_file(csv_line(), csv_line(name="王小\x00明"))

    post_file(client, agency, data, django_capture_on_commit_callbacks)

    job = ImportJob.objects.get()
    assert (job.status, job.valid_rows, job.created_rows) == ("review", 0, 0)
    assert job.errors == [
        {
            "row": 0,
            "column": "",
            "value": "",
            "message": "第 3 列含有空字元（NUL），這不是純文字的 CSV 檔；"
            "請以 Excel 另存為 CSV（UTF-8 或 Big5）後再上傳",
        }
    ]
    assert LedgerEntry.objects.count() == 0


def test_people_without_an_institution_role_are_refused(client, learner, agency, django_capture_on_commit_callbacks):
    signed_in(client, learner)

    assert client.get(UPLOAD).status_code == 403
    assert post_file(client, agency, csv_file(csv_line()), django_capture_on_commit_callbacks).status_code == 403
    assert client.get("/lifelong/institution/jobs").status_code == 403
    assert ImportJob.objects.count() == 0
    assert client.get("/lifelong/institution/upload", follow=False).status_code == 403


def test_anonymous_people_are_sent_to_sign_in(client):
    response = client.get(UPLOAD)

    assert response.status_code == 302
    assert reverse("identity:signin") in response["Location"]


def test_another_institution_cannot_see_or_commit_a_job(
    client, provider, other_provider, agency, learner_person, django_capture_on_commit_callbacks
):
    signed_in(client, provider)
    post_file(client, agency, csv_file(csv_line(), csv_line(mode="9")), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    client.logout()
    signed_in(client, other_provider)

    for url in (
        f"/lifelong/institution/jobs/{job.pk}",
        f"/lifelong/institution/jobs/{job.pk}/status",
        f"/lifelong/institution/jobs/{job.pk}/errors.csv",
    ):
        assert client.get(url).status_code == 404, url
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/lifelong/institution/jobs/{job.pk}/commit-valid").status_code == 404
    assert "hours.csv" not in client.get("/lifelong/institution/jobs").content.decode()
    job.refresh_from_db()
    assert (job.status, job.commit_valid_only) == ("review", False)
    assert LedgerEntry.objects.count() == 0


def test_running_a_job_twice_does_the_work_once(provider, agency, learner_person, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("hours.csv", csv_file(csv_line()), "text/csv")
    # The task is not run on commit here, to call it by hand.
    with django_capture_on_commit_callbacks(execute=False):
        job = jobs.import_job_create(user=provider, institution=agency, upload=upload)

    jobs.import_job_run(job.pk)
    jobs.import_job_run(job.pk)

    job.refresh_from_db()
    assert (job.status, job.created_rows) == ("done", 1)
    assert AuditEvent.objects.filter(action="hours.import_job_commit").count() == 1


def test_a_crash_leaves_a_failed_job_with_a_message(provider, agency, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job = jobs.import_job_create(
            user=provider, institution=agency, upload=SimpleUploadedFile("h.csv", csv_file(csv_line()))
        )
    job.file.storage.delete(job.file.name)

    jobs.import_job_run(job.pk)

    job.refresh_from_db()
    assert job.status == "failed"
    assert job.message == "處理時發生錯誤，請稍後重試或聯絡系統管理者（FileNotFoundError）"


@pytest.mark.parametrize("encoding", ["utf-8", "big5"])
def test_export_returns_the_institutions_uploads_in_the_same_format(
    client, provider, agency, learner_person, second_person, encoding, django_capture_on_commit_callbacks
):
    signed_in(client, provider)
    post_file(client, agency, csv_file(csv_line(), csv_line(national_id=SECOND_ID)), django_capture_on_commit_callbacks)

    response = client.get("/lifelong/institution/export", {"institution": agency.pk, "year": 113, "encoding": encoding})

    data = b"".join(response.streaming_content)
    again = batch.parse_upload(
        data,
        institution_code=agency.code,
        category_codes_for=lambda day: {"339"},
        people_for=lambda ids: dict.fromkeys(ids, 1),
    )
    assert again.errors == []
    assert {row.source_reference for row in again.rows} == set(
        LedgerEntry.objects.values_list("source_reference", flat=True)
    )
    assert response["Content-Disposition"] == f'attachment; filename="hours-A09600000Q-113-{encoding}.csv"'
    # Another year is empty but for the header.
    empty = client.get("/lifelong/institution/export", {"institution": agency.pk, "year": 112})
    assert b"".join(empty.streaming_content).decode("utf-8-sig").count("\r\n") == 1


def test_export_refuses_another_institution(client, provider, other_agency):
    signed_in(client, provider)

    response = client.get("/lifelong/institution/export", {"institution": other_agency.pk, "year": 113})

    assert response.status_code == 404


def test_export_as_xlsx_holds_the_same_25_columns(
    client, provider, agency, learner_person, django_capture_on_commit_callbacks
):
    from openpyxl import load_workbook

    signed_in(client, provider)
    post_file(client, agency, csv_file(csv_line()), django_capture_on_commit_callbacks)

    response = client.get("/lifelong/institution/export", {"institution": agency.pk, "year": 113, "encoding": "xlsx"})

    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "113年度學習時數"
    assert list(rows[0]) == batch.header_row()
    assert [value or "" for value in rows[1]] == csv_line().split(",")
