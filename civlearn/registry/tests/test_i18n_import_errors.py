"""Registry import errors in the reader's language (#17): the job records the language of the page that queued it
and writes its row errors in it, whoever runs it; `import_registry --language` for the command. zh-Hant texts stay
the source."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import TestCase
from django.utils import translation
from django.utils.html import escape

from civlearn.registry import jobs
from civlearn.registry.models import RegistryImportJob
from civlearn.registry.tests.files import PERSON_HEADER, csv_file

pytestmark = pytest.mark.django_db

# Row 2: a wrong check digit and a day that does not exist; row 3: an agency that is not in the registry.
ROWS = [
    PERSON_HEADER,
    ["A123456788", "王小明", "0611301", "A09600000Q", "1040801", "", "", ""],
    ["B120000008", "陳大華", "0610101", "Z99999999Z", "1040801", "", "", ""],
]
ERRORS = {
    "en": [
        (2, "身分證字號", "The national ID number's check digit is wrong"),
        (2, "生日", "“0611301”: This date does not exist; check the month and day"),
        (3, "機關代碼", "“Z99999999Z” does not exist; import the agency first"),
    ],
    "zh-hant": [
        (2, "身分證字號", "身分證字號檢查碼不正確"),
        (2, "生日", "「0611301」日期不存在，請檢查月份與日期"),
        (3, "機關代碼", "「Z99999999Z」不存在，請先匯入機關"),
    ],
}


def _errors(job: RegistryImportJob) -> list[tuple]:
    return [(e["row"], e["column"], e["message"]) for e in job.result["errors"]]


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_an_hr_officer_reads_the_import_errors_in_the_language_of_their_page(client, hr_officer, agency, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(hr_officer)

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/registry/import", {"kind": "persons", "file": SimpleUploadedFile("p.csv",
                               csv_file(ROWS).getvalue())})  # fmt: skip

    job = RegistryImportJob.objects.get()
    assert (job.status, job.language) == (RegistryImportJob.REVIEW, language)
    assert _errors(job) == ERRORS[language]
    page = client.get(response["Location"]).content.decode()
    assert all(escape(message) in page for _row, _column, message in ERRORS[language])


@pytest.mark.parametrize(("uploader", "worker"), [("en", "zh-hant"), ("zh-hant", "en")])
def test_a_job_run_later_writes_in_the_language_recorded_with_it(hr_officer, agency, uploader, worker):
    with translation.override(uploader), TestCase.captureOnCommitCallbacks(execute=False):
        job = jobs.registry_import_job_create(
            actor=hr_officer, kind="persons", upload=SimpleUploadedFile("p.csv", csv_file(ROWS).getvalue()),
            dry_run=False,
        )  # fmt: skip

    with translation.override(worker):
        jobs.registry_import_job_run(job.pk)

    job.refresh_from_db()
    assert _errors(job) == ERRORS[uploader]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"language": "en"}, ["Row 2 column “身分證字號”: The national ID number's check digit is wrong",
                              "3 errors; nothing was written"]),
        ({}, ["第 2 列「身分證字號」：身分證字號檢查碼不正確", "3 項錯誤，未寫入任何資料"]),
    ],
)  # fmt: skip
def test_the_command_reports_in_the_language_asked_for(tmp_path, agency, options, expected):
    path = tmp_path / "p.csv"
    path.write_bytes(csv_file(ROWS).getvalue())
    err = io.StringIO()

    with pytest.raises(CommandError) as refused:
        call_command("import_registry", "persons", str(path), stderr=err, **options)

    assert err.getvalue().splitlines()[0] == expected[0]
    assert str(refused.value) == expected[1]
