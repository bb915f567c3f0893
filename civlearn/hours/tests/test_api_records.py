"""/api/v1/hours/records: OAuth 2 client credentials, per-record results, idempotency, the institution's own rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from oauth2_provider.models import Application

from civlearn.core.models import AuditEvent
from civlearn.hours.models import InstitutionClient, LedgerEntry
from civlearn.hours.tests.batch_fixtures import SECOND_ID

URL = "/api/v1/hours/records"
SECRET = "institution-secret-0123456789"


def record(**changes):
    values = {
        "national_id": "A123456789",
        "name": "王小明",
        "course_name": "環境教育：氣候變遷與調適",
        "course_code": "C-339-01",
        "period": "1",
        "category_code": "339",
        "county_code": "40",
        "certified_hours": "2",
        "digital_hours": "2",
        "physical_hours": 0,
        "mode": 1,
        "course_start": "2024-03-01T09:00:00+08:00",
        "course_end": "2024-03-31T17:00:00+08:00",
        "actual_start": "2024-03-21T09:00:00+08:00",
        "actual_end": "2024-03-21T11:00:00+08:00",
    }
    values.update(changes)
    return values


@pytest.fixture(autouse=True)
def _http_allowed(monkeypatch):
    # oauthlib refuses plain HTTP unless told; the test client speaks HTTP.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def make_client(agency, name="課程系統"):
    application = Application.objects.create(
        name=name,
        client_id=f"client-{agency.code}",
        client_secret=SECRET,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    InstitutionClient.objects.create(application=application, institution=agency)
    return application


def token_for(client, application, scope="read write"):
    response = client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "client_id": application.client_id, "client_secret": SECRET,
         "scope": scope},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


@pytest.fixture
def api(client, agency):
    application = make_client(agency)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token_for(client, application)}"
    return client


def post(api, records):
    return api.post(URL, {"records": records}, content_type="application/json")


def test_records_are_created_then_reported_as_duplicates(api, learner_person, second_person):
    response = post(api, [record(), record(national_id=SECOND_ID, name="李大華", mode=2, digital_hours=0,
                                           physical_hours=2)])  # fmt: skip

    body = response.json()
    assert response.status_code == 200
    assert (body["created"], body["duplicate"], body["invalid"]) == (2, 0, 0)
    assert [(r["index"], r["status"], r["errors"]) for r in body["results"]] == [(0, "created", []), (1, "created", [])]
    entry = LedgerEntry.objects.get(person=learner_person)
    assert (entry.source_kind, entry.year, entry.certified_hours, entry.institution_code) == (
        "api", 2024, Decimal("2.0"), "A09600000Q",
    )  # fmt: skip
    assert entry.actual_start == dt.datetime(2024, 3, 21, 1, tzinfo=dt.UTC)
    assert entry.source_reference == body["results"][0]["source_reference"]
    assert AuditEvent.objects.filter(action="hours.api_records_post").count() == 1

    again = post(api, [record(), record(national_id=SECOND_ID, name="李大華", period="2")]).json()

    assert [r["status"] for r in again["results"]] == ["duplicate", "created"]
    assert LedgerEntry.objects.count() == 3


def test_each_record_breaking_a_ledger_rule_names_its_fields_and_the_valid_ones_still_count(api, learner_person):
    records = [
        record(national_id="A123456788"),
        record(mode=9, county_code="99"),
        record(certified_hours="3"),
        record(national_id="C123456781"),
        record(name="   ", course_name=" "),
        record(),
        record(),
    ]

    body = post(api, records).json()

    results = {r["index"]: r for r in body["results"]}
    assert results[0]["errors"] == [{"field": "national_id", "message": "身分證字號檢查碼不正確"}]
    assert results[1]["errors"] == [
        {"field": "mode", "message": "學習性質代碼不正確，應為 1 數位、2 實體、3 混成、4 遠距"},
        {"field": "county_code", "message": "不是已知的上課縣市代碼"},
    ]
    assert results[2]["errors"] == [
        {"field": "certified_hours", "message": "訓練總數應等於數位時數加實體時數（2 + 0 = 2）"}
    ]
    assert results[3]["errors"] == [{"field": "national_id", "message": "人事資料庫查無此人員"}]
    assert results[4]["errors"] == [
        {"field": "course_name", "message": "必填欄位未填寫"},
        {"field": "name", "message": "必填欄位未填寫"},
    ]
    assert [results[5]["status"], results[6]["status"]] == ["created", "duplicate"]
    assert (body["created"], body["duplicate"], body["invalid"]) == (1, 1, 5)
    assert LedgerEntry.objects.count() == 1


def test_a_request_the_schema_forbids_is_refused_whole_naming_each_records_fields(api, learner_person):
    records = [
        record(),
        record(actual_end="21/03/2024"),
        {"course_name": "只有名稱"},
        "not an object",
        record(mode="1", physical_hours=0.5, job_related="yes", national_id=123),
    ]

    response = post(api, records)

    assert response.status_code == 400
    errors = response.json()["records"]
    assert errors["1"] == {"actual_end": ["應為 ISO 8601 日期時間，例如 2024-03-21T09:00:00+08:00"]}
    assert list(errors["2"]) == [
        "national_id", "name", "category_code", "county_code", "certified_hours", "digital_hours", "physical_hours",
        "mode", "course_start", "course_end", "actual_start", "actual_end",
    ]  # fmt: skip
    assert {message for messages in errors["2"].values() for message in messages} == {"必填欄位未填寫"}
    assert errors["3"] == {"non_field_errors": ["應為物件"]}
    assert errors["4"] == {
        "national_id": ["應為文字"],
        "physical_hours": ['應為 0 至 999.9 的時數（最多 1 位小數），例如 "1.5" 或 2'],
        "mode": ["應為整數"],
        "job_related": ["應為 true 或 false"],
    }
    assert "0" not in errors
    assert LedgerEntry.objects.count() == 0
    assert AuditEvent.objects.filter(action="hours.api_records_post").count() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"actual_end": "0001-01-01T00:00:00Z"}, "actual_end"),
        ({"course_start": "1911-12-31T09:00:00+08:00"}, "course_start"),
        ({"course_end": "2911-01-01T09:00:00+08:00"}, "course_end"),
        ({"actual_start": "9999-12-31T23:59:59-12:00"}, "actual_start"),
        ({"birthday": "1900-01-01"}, "birthday"),
    ],
)
def test_a_date_outside_roc_years_1_to_999_is_refused_naming_the_field(api, learner_person, changes, field):
    response = post(api, [record(**changes)])

    assert response.status_code == 400
    assert response.json() == {"records": {"0": {field: ["應介於民國 1 年至 999 年之間（西元 1912–2910 年）"]}}}
    assert LedgerEntry.objects.count() == 0


def test_a_moment_that_leaves_roc_year_999_in_taipei_time_is_a_record_error(api, learner_person):
    body = post(api, [record(actual_end="2910-12-31T20:00:00-04:00")]).json()

    assert body["results"][0]["errors"] == [
        {"field": "actual_end", "message": "換算為臺北時間後不在民國 1 年至 999 年之間"}
    ]
    assert LedgerEntry.objects.count() == 0


def test_a_record_uploaded_as_a_file_is_a_duplicate_here(api, agency, learner_person, provider, media_root):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    from civlearn.hours import jobs
    from civlearn.hours.tests.batch_fixtures import csv_file, csv_line

    with transaction.atomic():
        job = jobs.import_job_create(
            user=provider, institution=agency, upload=SimpleUploadedFile("h.csv", csv_file(csv_line()))
        )
    jobs.import_job_run(job.pk)
    assert LedgerEntry.objects.filter(source_kind="upload").count() == 1

    body = post(api, [record()]).json()

    assert body["results"][0]["status"] == "duplicate"
    assert LedgerEntry.objects.count() == 1


def test_get_lists_the_institutions_records_of_a_year_with_masked_ids(api, learner_person, other_agency, client):
    post(api, [record(), record(actual_start="2023-12-31T09:00:00+08:00", actual_end="2023-12-31T10:00:00+08:00")])

    body = api.get(URL, {"year": 2024}).json()

    assert body["count"] == 1
    (row,) = body["results"]
    assert row["national_id_masked"] == "A12345****"
    assert "A123456789" not in str(body)
    assert (row["year"], row["certified_hours"], row["reversed"]) == (2024, "2.0", False)
    assert api.get(URL, {"year": 2023}).json()["count"] == 1
    assert api.get(URL, {"year": "x"}).json() == {"year": ["請以 year 指定西元年度，例如 2024"]}


def test_another_institutions_client_sees_none_of_it(api, learner_person, other_agency, client):
    post(api, [record()])
    other = make_client(other_agency, name="他校系統")
    other_token = token_for(client, other)

    body = client.get(URL, {"year": 2024}, HTTP_AUTHORIZATION=f"Bearer {other_token}").json()

    assert body["count"] == 0


def test_requests_without_a_valid_institution_token_are_refused(client, agency, learner, learner_person):
    from conftest import PASSWORD

    # no token
    assert client.post(URL, {"records": [record()]}, content_type="application/json").status_code == 401
    # a made-up token
    assert client.get(URL, {"year": 2024}, HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    # an application with no institution
    bare = Application.objects.create(
        name="x", client_id="bare", client_secret=SECRET, client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )  # fmt: skip
    bare_token = token_for(client, bare)
    refused = client.post(
        URL, {"records": [record()]}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {bare_token}"
    )
    assert refused.status_code == 403
    assert refused.json() == {"detail": "此用戶端未對應任何學習機關(構)"}
    # a read-only token cannot write
    application = make_client(agency)
    read_only = token_for(client, application, scope="read")
    assert (
        client.post(
            URL, {"records": [record()]}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {read_only}"
        ).status_code
        == 403
    )
    # a deactivated client is refused
    write_token = token_for(client, application)
    InstitutionClient.objects.filter(application=application).update(is_active=False)
    assert (
        client.post(
            URL, {"records": [record()]}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {write_token}"
        ).status_code
        == 403
    )
    # a signed-in learner's session is not an API credential
    assert client.login(username="A123456789", password=PASSWORD)
    assert client.post(URL, {"records": [record()]}, content_type="application/json").status_code == 401
    assert LedgerEntry.objects.count() == 0


def test_envelope_errors(api):
    assert post(api, "x").json() == {"records": ["請以 records 陣列傳送紀錄"]}
    assert api.post(URL, {}, content_type="application/json").json() == {"records": ["請以 records 陣列傳送紀錄"]}
    assert post(api, [record()] * 1001).json() == {"records": ["每次最多 1000 筆，本次 1001 筆"]}
    assert LedgerEntry.objects.count() == 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"year": ["請以 year 指定西元年度，例如 2024"]}),
        ({"year": "abc"}, {"year": ["請以 year 指定西元年度，例如 2024"]}),
        ({"year": 99999999999999999999}, {"year": ["year 應介於 1912 與 2910 之間"]}),
        ({"year": 2024, "page": "abc"}, {"page": ["page 應為正整數頁碼，例如 1"]}),
        ({"year": 2024, "page": ""}, {"page": ["page 應為正整數頁碼，例如 1"]}),
        ({"year": 2024, "page": 0}, {"page": ["page 應為正整數頁碼，例如 1"]}),
        ({"year": 2024, "page": 10**30}, {"page": ["page 最大為 1000000"]}),
    ],
)
def test_a_bad_query_is_refused_naming_its_parameter(api, query, expected):
    response = api.get(URL, query)

    assert (response.status_code, response.json()) == (400, expected)


def test_the_last_allowed_page_is_empty_not_an_error(api, learner_person):
    post(api, [record()])

    body = api.get(URL, {"year": 2024, "page": 1_000_000}).json()

    assert (body["count"], body["page"], body["results"]) == (1, 1_000_000, [])


def test_schema_describes_the_endpoint(client):
    response = client.get("/api/v1/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    schema = response.json()
    assert set(schema["paths"]["/api/v1/hours/records"]) == {"get", "post"}
    assert schema["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]["tokenUrl"] == "/o/token/"
    assert "actual_end" in schema["components"]["schemas"]["RecordIn"]["properties"]


def test_the_command_creates_a_client_that_can_take_a_token(client, agency, learner_person):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("hours_api_client", institution="a09600000q", name="課程系統", stdout=out)

    lines = dict(line.split(": ", 1) for line in out.getvalue().splitlines() if ": " in line)
    response = client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "client_id": lines["client_id"], "client_secret": lines["client_secret"]},
    )
    token = response.json()["access_token"]
    body = client.post(
        URL, {"records": [record()]}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    ).json()
    assert body["created"] == 1
    assert InstitutionClient.objects.get().institution == agency


def test_a_name_that_starts_like_a_formula_is_a_record_error(api, learner_person):
    body = post(api, [record(course_name='=HYPERLINK("http://x")'), record(name="@王小明", period="2")]).json()

    assert [r["errors"] for r in body["results"]] == [
        [{"field": "course_name", "message": "不可以 =、+、-、@ 開頭（試算表軟體會把它當作公式執行）"}],
        [{"field": "name", "message": "不可以 =、+、-、@ 開頭（試算表軟體會把它當作公式執行）"}],
    ]
    assert LedgerEntry.objects.count() == 0
