"""Row errors in the reader's language (#17): a file's report, written by a job that runs later in a worker, reads in
the language of the person who uploaded it; the JSON API answers in the request's Accept-Language. The zh-Hant
texts are the source and stay as they were."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.html import escape

from civlearn.hours import jobs
from civlearn.hours.models import ImportJob
from civlearn.hours.tests.batch_fixtures import SECOND_ID, csv_file, csv_line
from civlearn.hours.tests.test_api_records import URL, make_client, record, token_for
from conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("media_root")

# Row 3: an unknown learning mode; row 4: a national ID with a wrong check digit.
BAD_FILE = csv_file(csv_line(), csv_line(national_id=SECOND_ID, mode="7"), csv_line(national_id="A123456788"))
MESSAGES = {
    "en": [
        "The learning mode code is not right; it should be 1 Online, 2 In person, 3 Blended, 4 Remote",
        "The national ID number's check digit is wrong",
    ],
    "zh-hant": ["學習性質代碼不正確，應為 1 數位、2 實體、3 混成、4 遠距", "身分證字號檢查碼不正確"],
}
REPORT_HEADER = {"en": "Row,Column,Value,Error", "zh-hant": "列,欄位,值,錯誤說明"}


def reading_in(client, language: str, user):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    assert client.login(username=user.person.national_id, password=PASSWORD)
    return client


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_an_uploader_reads_the_row_errors_in_the_language_of_their_page(
    client, provider, agency, learner_person, second_person, django_capture_on_commit_callbacks, language
):
    # given an uploader reading in `language`, and a file with two bad rows
    reading_in(client, language, provider)

    # when the file is uploaded and its job runs (on commit, as without a broker)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/lifelong/institution/upload", {"institution": agency.pk,
                               "file": SimpleUploadedFile("hours.csv", BAD_FILE, "text/csv")})  # fmt: skip

    # then the stored report, the job page and the downloaded report are in that language; the column names are
    # the format's own headers
    job = ImportJob.objects.get()
    assert job.language == language
    assert [(e["row"], e["column"], e["message"]) for e in job.errors] == [
        (3, "學習性質", MESSAGES[language][0]),
        (4, "身分證字號", MESSAGES[language][1]),
    ]
    page = client.get(response["Location"]).content.decode()
    assert all(escape(message) in page for message in MESSAGES[language])
    assert '<td lang="zh-Hant">學習性質</td>' in page
    report = client.get(f"/lifelong/institution/jobs/{job.pk}/errors.csv").content.decode("utf-8-sig").splitlines()
    assert report[0] == REPORT_HEADER[language]
    assert MESSAGES[language][1] in report[2]


@pytest.mark.parametrize(("uploader", "worker"), [("en", "zh-hant"), ("zh-hant", "en")])
def test_a_job_run_later_by_a_worker_writes_in_the_uploaders_language(
    client, provider, agency, learner_person, second_person, django_capture_on_commit_callbacks, uploader, worker
):
    # given a job queued from a page in the uploader's language, not run yet
    reading_in(client, uploader, provider)
    with django_capture_on_commit_callbacks(execute=False):
        client.post("/lifelong/institution/upload", {"institution": agency.pk,
                    "file": SimpleUploadedFile("hours.csv", BAD_FILE, "text/csv")})  # fmt: skip
    job = ImportJob.objects.get()
    assert job.status == ImportJob.QUEUED

    # when a worker whose own language is another runs it
    with translation.override(worker):
        jobs.import_job_run(job.pk)

    # then the errors are written in the uploader's language, and the worker's language is left as it was
    job.refresh_from_db()
    assert [e["message"] for e in job.errors] == MESSAGES[uploader]
    with translation.override(worker):
        assert translation.get_language() == worker


def test_the_commit_of_the_valid_rows_writes_in_the_language_of_whoever_asked(
    client, provider, agency, learner_person, second_person, django_capture_on_commit_callbacks
):
    reading_in(client, "zh-hant", provider)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/lifelong/institution/upload", {"institution": agency.pk,
                    "file": SimpleUploadedFile("hours.csv", BAD_FILE, "text/csv")})  # fmt: skip
    job = ImportJob.objects.get()

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/lifelong/institution/jobs/{job.pk}/commit-valid")

    job.refresh_from_db()
    assert (job.status, job.language) == (ImportJob.DONE, "en")
    assert [e["message"] for e in job.errors] == MESSAGES["en"]


@pytest.fixture
def api(client, agency, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token_for(client, make_client(agency))}"
    return client


@pytest.mark.parametrize(
    ("accept", "record_errors", "refusal"),
    [
        (
            "en",
            {"mode": MESSAGES["en"][0], "national_id": MESSAGES["en"][1]},
            "Should be an integer",
        ),
        (
            "zh-TW,zh;q=0.9",
            {"mode": MESSAGES["zh-hant"][0], "national_id": MESSAGES["zh-hant"][1]},
            "應為整數",
        ),
    ],
)  # fmt: skip
def test_the_api_answers_in_the_requests_language(api, learner_person, accept, record_errors, refusal):
    # a well-formed request with records that break the rules: each record's errors
    response = api.post(
        URL,
        {"records": [record(mode=7), record(national_id="A123456788")]},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=accept,
    )
    assert response.status_code == 200, response.content
    errors = {e["field"]: e["message"] for result in response.json()["results"] for e in result.get("errors", [])}
    assert errors == record_errors

    # a request the schema refuses: the whole request, naming the field
    refused = api.post(
        URL, {"records": [record(mode="1")]}, content_type="application/json", HTTP_ACCEPT_LANGUAGE=accept
    )
    assert refused.status_code == 400
    assert refusal in str(refused.json())
