import io

import pytest
from django.core.management import CommandError, call_command

from civlearn.core.models import AuditEvent
from civlearn.registry.models import Agency, Person, RegistryImportJob
from civlearn.registry.tests.files import AGENCY_HEADER, PERSON_HEADER, csv_file, xlsx_file

PERSONS = [
    PERSON_HEADER,
    ["A123456789", "王小明", "0610101", "A09600000Q", "1040801", "11-一般人員", "公務人員", "xiaoming@example.tw"],
]


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data.getvalue())
    return str(path)


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_registry", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_imports_agencies_then_persons(tmp_path, db):
    agencies = write(tmp_path, "agencies.csv", csv_file([AGENCY_HEADER, ["A09600000Q", "國立臺中科技大學", ""]]))
    persons = write(tmp_path, "persons.csv", csv_file(PERSONS, encoding="cp950"))

    out, _ = run("agencies", agencies)
    assert out == "匯入完成。共 1 列：新增 1、更新 0、未變更 0\n"
    out, _ = run("persons", persons)
    assert out == "匯入完成。共 1 列：新增 1、更新 0、未變更 0\n"

    assert Person.objects.get().agency.code == "A09600000Q"
    assert (
        AuditEvent.objects.filter(actor=None, action__startswith="registry.import_")
        .exclude(action__startswith="registry.import_job")
        .count()
        == 2
    )


def test_second_run_reports_unchanged(tmp_path, agency):
    path = write(tmp_path, "persons.xlsx", xlsx_file(PERSONS))
    run("persons", path)

    out, _ = run("persons", path)

    assert out == "匯入完成。共 1 列：新增 0、更新 0、未變更 1\n"


def test_dry_run_writes_nothing(tmp_path, agency):
    out, _ = run("persons", write(tmp_path, "p.csv", csv_file(PERSONS)), "--dry-run")

    assert out == "檢查完成（未寫入）。共 1 列：新增 1、更新 0、未變更 0\n"
    assert Person.objects.count() == 0
    assert not AuditEvent.objects.exclude(action="registry.import_job_create").exists()


def test_bad_rows_are_listed_and_the_command_fails(tmp_path, agency):
    rows = [PERSON_HEADER, [*PERSONS[1][:2], "0611301", "Z99999999Z", *PERSONS[1][4:]], ["A123456788", "x"]]

    with pytest.raises(CommandError, match=r"^5 項錯誤，未寫入任何資料$"):
        call_command(
            "import_registry", "persons", write(tmp_path, "p.csv", csv_file(rows)), stderr=(err := io.StringIO())
        )

    assert err.getvalue().splitlines() == [
        "第 2 列「生日」：「0611301」日期不存在，請檢查月份與日期",
        "第 3 列「身分證字號」：身分證字號檢查碼不正確",
        "第 3 列「生日」：請輸入日期",
        "第 3 列「任現職之實際到職日期」：請輸入日期",
        "第 3 列「機關代碼」：此欄必填",
    ]
    assert Person.objects.count() == 0


def test_unknown_agency_is_reported_after_row_checks_pass(tmp_path, agency):
    rows = [PERSON_HEADER, [*PERSONS[1][:3], "Z99999999Z", *PERSONS[1][4:]]]

    with pytest.raises(CommandError, match=r"^1 項錯誤"):
        call_command(
            "import_registry", "persons", write(tmp_path, "p.csv", csv_file(rows)), stderr=(err := io.StringIO())
        )

    assert err.getvalue() == "第 2 列「機關代碼」：「Z99999999Z」不存在，請先匯入機關\n"


def test_missing_file_and_unknown_user(tmp_path, db):
    with pytest.raises(CommandError, match=r"^找不到檔案："):
        run("persons", str(tmp_path / "nope.csv"))
    path = write(tmp_path, "p.csv", csv_file(PERSONS))
    with pytest.raises(CommandError, match=r"^找不到帳號：nobody$"):
        run("persons", path, "--as", "nobody")


def test_as_user_applies_that_users_permissions(tmp_path, agency, other_agency, other_hr_officer):
    other_hr_officer.username = "hr2"
    other_hr_officer.save()
    before = Agency.objects.count(), Person.objects.count()

    with pytest.raises(CommandError, match=r"^1 項錯誤"):
        call_command(
            "import_registry",
            "persons",
            write(tmp_path, "p.csv", csv_file(PERSONS)),
            "--as",
            "hr2",
            stderr=io.StringIO(),
        )

    assert (Agency.objects.count(), Person.objects.count()) == before


def test_as_user_without_a_role_is_refused(tmp_path, learner):
    learner.username = "learner01"
    learner.save()

    with pytest.raises(CommandError, match=r"^您沒有匯入人事資料的權限"):
        run("persons", write(tmp_path, "p.csv", csv_file(PERSONS)), "--as", "learner01")


def test_a_command_line_import_is_a_job_row_in_the_job_list(tmp_path, agency, client, admin_user):
    # when the command imports a file
    out, _ = run("persons", write(tmp_path, "p.csv", csv_file(PERSONS)))
    assert out == "匯入完成。共 1 列：新增 1、更新 0、未變更 0\n"
    # then it went through a job row, finished, with the same outcome the web page shows
    job = RegistryImportJob.objects.get()
    assert (job.status, job.progress, job.file_name, job.created_by) == (RegistryImportJob.DONE, 100, "p.csv", None)
    assert (job.result["rows"], job.result["created"]) == (1, 1)
    assert job.started_at is not None and job.finished_at is not None
    assert AuditEvent.objects.filter(action="registry.import_job_create", actor=None).count() == 1
    client.force_login(admin_user)
    assert "p.csv" in client.get("/registry/import").content.decode()
    assert "已完成" in client.get(f"/registry/import/jobs/{job.pk}").content.decode()


def test_a_failed_command_line_import_leaves_a_job_in_review(tmp_path, agency):
    rows = [PERSON_HEADER, [*PERSONS[1][:3], "Z99999999Z", *PERSONS[1][4:]]]
    with pytest.raises(CommandError, match=r"^1 項錯誤"):
        run("persons", write(tmp_path, "p.csv", csv_file(rows)))
    job = RegistryImportJob.objects.get()
    assert (job.status, job.result["error_count"]) == (RegistryImportJob.REVIEW, 1)
    assert Person.objects.count() == 0


def test_as_user_the_job_is_that_users_own(tmp_path, agency, hr_officer):
    hr_officer.username = "hr1"
    hr_officer.save()
    run("persons", write(tmp_path, "p.csv", csv_file(PERSONS)), "--as", "hr1")
    assert RegistryImportJob.objects.get().created_by == hr_officer


def test_queue_only_queues_the_job(tmp_path, agency, django_capture_on_commit_callbacks):
    # when the command is told to queue, it stores the job and hands it to the workers without running it
    with django_capture_on_commit_callbacks(execute=False) as queued:
        out, _ = run("persons", write(tmp_path, "p.csv", csv_file(PERSONS)), "--queue")
    job = RegistryImportJob.objects.get()
    assert out == f"已建立匯入作業 #{job.pk}，已排入佇列\n"
    assert (job.status, len(queued)) == (RegistryImportJob.QUEUED, 1)
    assert Person.objects.count() == 0
    # and a worker running it imports the file
    queued[0]()
    job.refresh_from_db()
    assert job.status == RegistryImportJob.DONE and Person.objects.count() == 1
