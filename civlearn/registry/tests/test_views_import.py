import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from civlearn.core.models import AuditEvent
from civlearn.registry.models import Agency, Person
from civlearn.registry.tests.files import PERSON_HEADER, csv_file, xlsx_file
from conftest import make_person

URL = "/registry/import"
ROWS = [
    PERSON_HEADER,
    ["A123456789", "王小明", "0610101", "A09600000Q", "1040801", "11-一般人員", "公務人員", "xiaoming@example.tw"],
]


def upload(data: io.BytesIO, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data.getvalue())


def state():
    # The upload itself is recorded (a job row and its audit event): what must not change is the registry.
    return (
        list(Person.objects.order_by("pk").values()),
        list(Agency.objects.order_by("pk").values()),
        AuditEvent.objects.exclude(action="registry.import_job_create").count(),
    )


def post(client, file, kind="persons", **extra):
    """Upload, let the job run (in-process after the commit, as without a broker) and land on the job's page."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(URL, {"kind": kind, "file": file, **extra})
    return client.get(response["Location"]) if response.status_code == 302 else response


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == "/ecpa/signin?next=/registry/import"


def test_a_learner_without_an_hr_role_is_refused(client, learner, agency):
    client.force_login(learner)
    before = state()

    assert client.get(URL).status_code == 403
    response = post(client, upload(csv_file(ROWS), "p.csv"))

    assert response.status_code == 403
    assert "您沒有匯入人事資料的權限（限機關人事人員與系統管理者）" in response.content.decode()
    assert state() == before


def test_hr_officer_sees_the_form_the_columns_and_the_templates(client, hr_officer, agency):
    client.force_login(hr_officer)

    response = client.get(URL)

    body = response.content.decode()
    assert response.status_code == 200
    assert "您可匯入以下機關的人事資料：\n    國立臺中科技大學（A09600000Q）及其所屬機關" in body
    for header in (
        "身分證字號",
        "姓名",
        "生日",
        "機關代碼",
        "任現職之實際到職日期",
        "人員區分",
        "身份別",
        "電子郵件",
        "上級機關代碼",
    ):
        assert f'<th scope="row" lang="zh-Hant">{header}</th>' in body
    assert 'href="/registry/import/template/persons.csv"' in body
    assert 'href="/registry/import/template/agencies.xlsx"' in body
    assert 'aria-describedby="file-hint"' in body
    assert '<input type="checkbox" name="dry_run" id="id_dry_run" aria-describedby="dry-run-hint">' in body
    assert '<label for="id_file">檔案</label>' in body


def test_hr_officer_imports_a_file_and_sees_the_counts(client, hr_officer, agency):
    client.force_login(hr_officer)

    response = post(client, upload(csv_file(ROWS, encoding="cp950"), "人員.csv"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "匯入完成" in body
    assert "<dt>新增</dt><dd>1</dd>" in body
    assert "<dt>未變更</dt><dd>0</dd>" in body
    assert Person.objects.get(national_id="A123456789").name == "王小明"
    event = AuditEvent.objects.get(action="registry.import_persons")
    assert (event.actor, event.changes["filename"]) == (hr_officer, "人員.csv")


def test_xlsx_upload_and_a_second_upload_changes_nothing(client, hr_officer, agency):
    client.force_login(hr_officer)
    post(client, upload(xlsx_file(ROWS), "p.xlsx"))
    before = state()

    response = post(client, upload(xlsx_file(ROWS), "p.xlsx"))

    assert "<dt>未變更</dt><dd>1</dd>" in response.content.decode()
    persons, agencies, audits = state()
    assert (persons, agencies, audits) == (before[0], before[1], before[2] + 1)


def test_bad_rows_are_listed_with_row_column_and_reason_and_nothing_is_saved(client, hr_officer, agency):
    client.force_login(hr_officer)
    rows = [ROWS[0], ["A123456788", "王小明", "0611301", "A09600000Q", "1040801", "", "", ""]]
    before = state()

    response = post(client, upload(csv_file(rows), "p.csv"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "檔案有 2 項錯誤，未寫入任何資料" in body
    assert '<tr><td class="num">2</td><td lang="zh-Hant">身分證字號</td><td>身分證字號檢查碼不正確</td></tr>' in body
    assert (
        '<tr><td class="num">2</td><td lang="zh-Hant">生日</td><td>「0611301」日期不存在，請檢查月份與日期</td></tr>'
        in body
    )
    assert "A123456788" not in body
    assert state() == before


def test_other_agencys_hr_officer_is_refused_row_by_row_and_nothing_changes(client, other_hr_officer, agency):
    make_person(agency, "A123456789", "王小明")
    client.force_login(other_hr_officer)
    before = state()

    response = post(client, upload(csv_file(ROWS), "p.csv"))

    body = response.content.decode()
    assert '<td lang="zh-Hant">機關代碼</td><td>機關代碼「A09600000Q」不在您管理的機關範圍內</td>' in body
    assert state() == before


def test_dry_run_shows_what_would_happen_and_saves_nothing(client, hr_officer, agency):
    client.force_login(hr_officer)
    before = state()

    response = post(client, upload(csv_file(ROWS), "p.csv"), dry_run="on")

    body = response.content.decode()
    assert "檢查完成，檔案沒有錯誤（未寫入）" in body
    assert "<dt>將新增</dt><dd>1</dd>" in body
    assert "（僅檢查，不寫入）" in body
    assert state() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "請選擇要匯入的檔案"),
        ({"file": SimpleUploadedFile("p.pdf", b"%PDF-1.4")}, "請上傳 CSV 或 .xlsx 檔案（目前的檔案為 .pdf）"),
        ({"file": SimpleUploadedFile("p.csv", b"")}, "檔案是空的"),
    ],
)
def test_form_errors_are_shown_next_to_the_file_field(client, hr_officer, agency, data, message):
    client.force_login(hr_officer)
    before = state()

    response = client.post(URL, {"kind": "persons", **data})

    body = response.content.decode()
    assert f'<ul class="errorlist" id="file-errors"><li>{message}</li></ul>' in body
    assert 'aria-describedby="file-hint file-errors" aria-invalid="true"' in body
    assert state() == before


def test_operator_imports_agencies(client, operator):
    client.force_login(operator)
    rows = [["機關代碼", "機關名稱", "上級機關代碼"], ["A09600000Q", "國立臺中科技大學", ""]]

    response = post(client, upload(csv_file(rows), "a.csv"), kind="agencies")

    assert "匯入完成" in response.content.decode()
    assert Agency.objects.get().name == "國立臺中科技大學"
    assert "您可匯入所有機關的人事資料。" in client.get(URL).content.decode()


def test_templates_download_and_import_cleanly(client, operator, agency):
    client.force_login(operator)

    csv_response = client.get("/registry/import/template/persons.csv")
    xlsx_response = client.get("/registry/import/template/agencies.xlsx")

    assert csv_response["Content-Disposition"] == 'attachment; filename="registry-persons-template.csv"'
    assert csv_response.content.startswith("\ufeff身分證字號,姓名,生日,機關代碼,任現職之實際到職日期".encode())
    sheet = load_workbook(io.BytesIO(xlsx_response.content)).active
    assert [c.value for c in sheet[1]] == ["機關代碼", "機關名稱", "上級機關代碼"]
    # The example rows are valid data: the agency template first, then the persons template, import as they are.
    assert (
        "匯入完成"
        in post(client, upload(io.BytesIO(xlsx_response.content), "a.xlsx"), kind="agencies").content.decode()
    )
    assert "匯入完成" in post(client, upload(io.BytesIO(csv_response.content), "p.csv")).content.decode()
    assert Person.objects.get().agency.code == "A09600000Q"


def test_unknown_template_is_not_found(client, operator):
    client.force_login(operator)

    assert client.get("/registry/import/template/people.csv").status_code == 404
    assert client.get("/registry/import/template/persons.pdf").status_code == 404


def test_page_queries_stay_few(client, hr_officer, agency):
    client.force_login(hr_officer)

    with CaptureQueriesContext(connection) as queries:
        client.get(URL)

    # session, user, roles, sub-agencies, role agencies, the header's person and agency, the reclaim of dead jobs
    # and the recent jobs.
    assert len(queries) <= 9


@pytest.mark.parametrize("make_file", [lambda: (csv_file(ROWS), "p.csv"), lambda: (xlsx_file(ROWS), "p.xlsx")])
def test_uploads_spooled_to_a_temporary_file_are_read_too(client, hr_officer, agency, settings, make_file):
    # Uploads above FILE_UPLOAD_MAX_MEMORY_SIZE arrive as temporary files rather than in memory.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    client.force_login(hr_officer)
    data, name = make_file()

    response = post(client, upload(data, name))

    assert "<dt>新增</dt><dd>1</dd>" in response.content.decode()


def test_the_registry_root_leads_to_the_import_page(client, db):
    response = client.get("/registry/")

    assert (response.status_code, response["Location"]) == (302, "/registry/import")
