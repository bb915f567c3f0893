"""SCORM pages and endpoints: the learner's page, the content origin (what answers where, headers, no cookies),
commits and beats over HTTP, and the provider page."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import time

import pytest
from django.core import signing

from civlearn.core import clock
from civlearn.learning.models import Enrolment, ScormAttempt, ScormPackage, Unit
from civlearn.learning.reading.services import TOKEN_SALT
from civlearn.learning.scorm.tracking import launch_token
from civlearn.learning.tests import scorm_packages as testing

scorm_dir, provider, scorm_course, enrolled = (
    testing.scorm_dir,
    testing.provider,
    testing.scorm_course,
    testing.enrolled,
)
CONTENT = "127.0.0.1"


@pytest.fixture(autouse=True)
def content_origin(settings):
    settings.SCORM_CONTENT_ORIGIN = f"http://{CONTENT}"


@pytest.fixture
def package(provider, scorm_course, scorm_dir):
    return testing.upload(actor=provider, course=scorm_course, data=testing.package_12(scos=2))


def sco_of(package, n=1):
    return list(package.scos.exclude(launch="").order_by("order"))[n - 1]


def player_path(package, learner, enrolment, n=1):
    token = launch_token(sco=sco_of(package, n), user=learner, enrolment=enrolment, parent_origin="http://testserver")
    return f"/elearn/scorm-content/play/{token}/"


def config_of(response) -> dict:
    match = re.search(r'<script id="scorm-config" type="application/json">(.*?)</script>', response.content.decode())
    return json.loads(match.group(1))


# ---- the learner's page ---------------------------------------------------------------------------------------


def test_play_page_shows_the_outline_and_frames_the_player_on_the_content_origin(
    client, package, learner, enrolled, django_assert_max_num_queries
):
    client.force_login(learner)
    with django_assert_max_num_queries(12):
        response = client.get(f"/elearn/scorm/{package.unit_id}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(
        r'<iframe id="scorm-frame" class="scorm-frame" src="http://127\.0\.0\.1/elearn/scorm-content/play/', html
    )
    assert 'sandbox="allow-scripts allow-same-origin allow-forms allow-popups allow-modals allow-downloads"' in html
    assert html.count("未開始") == 2 and "第 1 課" in html and "第 2 課" in html
    assert 'rel="next"' in html and 'rel="prev"' not in html
    assert "A123456789" not in html


def test_coming_back_resumes_at_the_sco_suspended_last_unless_it_is_done(client, package, learner, enrolled):
    from civlearn.learning.scorm.tracking import attempt_commit, session_open

    first, second = sco_of(package, 1), sco_of(package, 2)

    def suspend(sco, status="incomplete"):
        launch = launch_token(sco=sco, user=learner, enrolment=enrolled, parent_origin="http://testserver")
        session = session_open(launch=launch)
        core = {"lesson_status": status, "exit": "suspend", "lesson_location": "p1"}
        attempt_commit(token=session.token, data={"cmi": {"core": core}}, seq=1)

    def current_title() -> str:
        html = client.get(f"/elearn/scorm/{package.unit_id}/").content.decode()
        return re.search(r'aria-current="page">([^<]+)<', html).group(1)

    client.force_login(learner)
    # given the learner opened the first SCO, jumped to the second through the table of contents and suspended it
    suspend(first)
    suspend(second)
    # then coming back opens the second (where they left), not the first SCO not done
    assert current_title() == "第 2 課"
    # when the second is done, coming back opens the first SCO not done
    suspend(second, status="completed")
    assert current_title() == "第 1 課"


def test_play_page_needs_an_enrolment(client, package, learner):
    client.force_login(learner)
    response = client.get(f"/elearn/scorm/{package.unit_id}/")
    assert response.status_code == 403
    assert "請先報名本課程，才能學習本課程的 SCORM 教材。" in response.content.decode()
    assert not ScormAttempt.objects.exists()


def test_play_page_of_a_draft_is_not_found_and_anonymous_visitors_sign_in(
    client, provider, scorm_course, scorm_dir, learner, enrolled
):
    draft = testing.upload(actor=provider, course=scorm_course, data=testing.package_12(), publish=False)
    assert client.get(f"/elearn/scorm/{draft.unit_id}/").status_code == 302
    client.force_login(learner)
    assert client.get(f"/elearn/scorm/{draft.unit_id}/").status_code == 404


def test_ended_page_offers_re_entry_and_the_next_item(client, package, learner, enrolled):
    client.force_login(learner)
    first = sco_of(package)
    html = client.get(f"/elearn/scorm/{package.unit_id}/?sco={first.pk}&ended=1").content.decode()
    assert "已離開本單元，您的學習進度已儲存。" in html
    assert "scorm-frame" not in html
    assert f'?sco={first.pk}">再次進入' in html and "下一個項目：第 2 課" in html


# ---- the content origin ---------------------------------------------------------------------------------------


def test_the_player_answers_only_on_the_content_origin_and_sets_no_cookie(client, package, learner, enrolled):
    path = player_path(package, learner, enrolled)
    assert client.get(path).status_code == 404  # the platform host
    response = client.get(path, HTTP_HOST=CONTENT)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "frame-ancestors http://testserver"
    assert "X-Frame-Options" not in response
    assert not response.cookies  # neither a session nor a CSRF cookie on the content origin
    config = config_of(response)
    assert config["cmi"]["core"]["entry"] == "ab-initio"
    assert config["commitUrl"].startswith("/elearn/scorm-content/commit/")
    assert config["parentOrigin"] == "http://testserver"
    assert "/static/vendor/scorm-again/scorm12.min.js" in response.content.decode()


def test_the_content_host_serves_nothing_of_the_platform(client, learner):
    client.force_login(learner)
    assert client.get("/ecpa/", HTTP_HOST=CONTENT).status_code == 404
    assert client.get("/elearn/", HTTP_HOST=CONTENT).status_code == 404
    assert client.get("/admin/", HTTP_HOST=CONTENT).status_code == 404


def test_a_forged_launch_is_refused(client, package):
    response = client.get("/elearn/scorm-content/play/forged:token/", HTTP_HOST=CONTENT)
    assert response.status_code == 403
    assert "啟動連結無效或已逾時，請回到課程頁重新進入" in response.content.decode()


def test_package_files_carry_a_sandbox_policy_and_stay_inside_the_package(client, package):
    base = f"/elearn/scorm-content/{package.storage_key}/"
    response = client.get(base + "sco1/index.html", HTTP_HOST=CONTENT)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html"
    assert response["Content-Security-Policy"] == (
        "sandbox allow-scripts allow-same-origin allow-forms allow-popups allow-modals allow-downloads"
    )
    assert b"".join(response.streaming_content).startswith(b"<!doctype html>")
    assert client.get(base + "sco1/index.html").status_code == 404  # the platform host
    assert client.get(base + "../" + package.storage_key + "/imsmanifest.xml", HTTP_HOST=CONTENT).status_code == 404
    assert client.get(base + "sco1/%2e%2e/%2e%2e/x", HTTP_HOST=CONTENT).status_code == 404
    assert client.get(base + "nothing.html", HTTP_HOST=CONTENT).status_code == 404
    assert client.get("/elearn/scorm-content/" + "0" * 32 + "/sco1/index.html", HTTP_HOST=CONTENT).status_code == 404


def test_commit_over_http_without_cookie_or_csrf(client, package, learner, enrolled):
    config = config_of(client.get(player_path(package, learner, enrolled), HTTP_HOST=CONTENT))
    body = {"seq": 1, "data": {"cmi": {"core": {"lesson_status": "passed", "lesson_location": "p2"}}}}
    csrf_client = type(client)(enforce_csrf_checks=True)
    response = csrf_client.post(config["commitUrl"], json.dumps(body), content_type="text/plain", HTTP_HOST=CONTENT)
    assert response.json() == {
        "result": True,
        "errorCode": 0,
        "stored": True,
        "done": True,
        "completion": "passed",
        "success": "passed",
    }
    assert ScormAttempt.objects.get(sco=sco_of(package)).location == "p2"


@pytest.mark.parametrize(
    ("body", "message", "code"),
    [
        ("not json", "學習紀錄格式錯誤", 101),
        (json.dumps({"data": {}}), "學習紀錄缺少序號", 101),
        (
            json.dumps({"seq": 1, "data": {"cmi": {"core": {"lesson_status": "great"}}}}),
            "cmi.core.lesson_status「great」不是允許的值",
            405,
        ),
    ],
)
def test_bad_commits_are_answered_with_an_error_code_and_store_nothing(
    client, package, learner, enrolled, body, message, code
):
    config = config_of(client.get(player_path(package, learner, enrolled), HTTP_HOST=CONTENT))
    response = client.post(config["commitUrl"], body, content_type="text/plain", HTTP_HOST=CONTENT)
    assert response.status_code == 400
    assert response.json() == {"result": False, "errorCode": code, "message": message}
    assert ScormAttempt.objects.get(sco=sco_of(package)).cmi == {}


def test_beats_credit_reading_time_under_the_learning_rules(client, package, learner, enrolled, monkeypatch):
    start = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    monkeypatch.setattr("civlearn.core.clock.timezone.now", lambda: start)
    Enrolment.objects.filter(pk=enrolled.pk).update(reading_ms=0)
    token = config_of(client.get(player_path(package, learner, enrolled), HTTP_HOST=CONTENT))["readingToken"]
    assert signing.loads(token, salt=TOKEN_SALT)[0] == enrolled.pk
    clock.advance(dt.timedelta(seconds=60))
    first = client.post("/elearn/scorm-content/beat", token, content_type="text/plain", HTTP_HOST=CONTENT).json()
    clock.advance(dt.timedelta(seconds=600))  # the page was hidden for ten minutes: not credited
    second = client.post(
        "/elearn/scorm-content/beat", first["token"], content_type="text/plain", HTTP_HOST=CONTENT
    ).json()
    assert (first["reading_ms"], second["reading_ms"]) == (60_000, 60_000)
    refused = client.post("/elearn/scorm-content/beat", "forged", content_type="text/plain", HTTP_HOST=CONTENT)
    assert (refused.status_code, refused.json()) == (400, {"message": "無效的閱讀計時憑證"})
    assert Enrolment.objects.get(pk=enrolled.pk).reading_ms == 60_000


# ---- the provider page ----------------------------------------------------------------------------------------


def test_provider_uploads_previews_and_publishes(
    client, provider, scorm_course, scorm_dir, django_assert_max_num_queries
):
    client.force_login(provider)
    with django_assert_max_num_queries(12):
        assert client.get("/elearn/provide/scorm/").status_code == 200
    upload = io.BytesIO(testing.package_2004(scos=2))
    upload.name = "golf2004.zip"
    response = client.post("/elearn/provide/scorm/", {"course": scorm_course.pk, "title": "", "package": upload})
    package = ScormPackage.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/elearn/provide/scorm/{package.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert "SCORM 2004 4th Edition" in html and "草稿（僅供預覽）" in html and "sco2/index.html" in html
    assert f"{clock.now().year - 1911}/" in client.get("/elearn/provide/scorm/").content.decode()  # ROC year
    preview = client.get(f"/elearn/provide/scorm/{package.pk}/preview/").content.decode()
    assert "預覽（不記錄學習紀錄）" in preview and "scorm-frame" in preview
    client.post(f"/elearn/provide/scorm/{package.pk}/publish")
    package.refresh_from_db()
    assert package.status == "published"


def test_a_default_naming_no_organization_is_accepted_and_the_provider_warned(
    client, provider, scorm_course, scorm_dir
):
    # given a package whose manifest's default organization does not exist (Moodle falls back to the first)
    client.force_login(provider)
    upload = io.BytesIO(
        testing.package_with(
            {
                "imsmanifest.xml": testing.manifest_12().replace('default="org"', 'default="missing"'),
                "sco1/index.html": "x",
            }
        )
    )
    upload.name = "vendor.zip"
    response = client.post("/elearn/provide/scorm/", {"course": scorm_course.pk, "title": "", "package": upload})
    # then it is imported, and the provider is told on the next page and on the package page afterwards
    package = ScormPackage.objects.get()
    warning = "imsmanifest.xml 指定的預設組織「missing」不存在，已改用第一個組織「測試課程 1.2」；請通知教材製作者修正"
    assert warning in client.get(response["Location"]).content.decode().replace("&quot;", '"')
    assert client.get(f"/elearn/provide/scorm/{package.pk}/").content.decode().count(warning) == 1
    assert package.scos.filter(identifier="item_1").exists()


def test_a_refused_upload_names_the_problem_at_the_field_and_keeps_nothing(client, provider, scorm_course, scorm_dir):
    client.force_login(provider)
    upload = io.BytesIO(testing.package_with({"index.html": "x"}))
    upload.name = "notscorm.zip"
    response = client.post("/elearn/provide/scorm/", {"course": scorm_course.pk, "package": upload})
    html = response.content.decode()
    assert response.status_code == 400
    assert (
        '<ul class="errorlist" id="id_package_error">'
        "<li>壓縮檔的最上層沒有 imsmanifest.xml，這不是 SCORM 套件</li></ul>" in html
    )
    assert 'aria-invalid="true" aria-describedby="id_package_helptext id_package_error" id="id_package"' in html
    assert not Unit.objects.filter(course=scorm_course).exists()
    wrong = io.BytesIO(b"x")
    wrong.name = "course.rar"
    html = client.post("/elearn/provide/scorm/", {"course": scorm_course.pk, "package": wrong}).content.decode()
    assert "請上傳副檔名為 .zip 的 SCORM 套件" in html


def test_other_people_cannot_manage_the_course_packages(client, package, learner, other_hr_officer):
    client.force_login(learner)
    assert client.get("/elearn/provide/scorm/").status_code == 403
    assert client.get(f"/elearn/provide/scorm/{package.pk}/").status_code == 404
    assert client.post(f"/elearn/provide/scorm/{package.pk}/remove").status_code == 404
    assert ScormPackage.objects.filter(pk=package.pk).exists()


# ---- drafts are served only to the previewing provider ---------------------------------------------------------


@pytest.fixture
def draft(provider, scorm_course, scorm_dir):
    return testing.upload(actor=provider, course=scorm_course, data=testing.package_12(scos=2), publish=False)


def preview_content_url(draft, provider) -> str:
    sco = sco_of(draft)
    launch = launch_token(sco=sco, user=provider, enrolment=None, parent_origin="http://testserver")
    return config_and_content(launch)[1]


def config_and_content(launch: str):
    from django.test import Client

    response = Client().get(f"/elearn/scorm-content/play/{launch}/", HTTP_HOST=CONTENT)
    assert response.status_code == 200
    content = re.search(r'<iframe id="content"[^>]* src="([^"]+)"', response.content.decode()).group(1)
    return config_of(response), content.replace("&amp;", "&")


def test_a_draft_is_served_to_its_previewing_provider_only_through_a_signed_token(client, draft, provider):
    # given the provider's preview of a draft: its files are served under the preview token
    url = preview_content_url(draft, provider)
    assert url.startswith("/elearn/scorm-content/preview/") and url.endswith("/sco1/index.html")
    response = client.get(url, HTTP_HOST=CONTENT)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"<!doctype html>")
    # and a relative link inside the package keeps the token (it is part of the directory)
    assert client.get(url.replace("sco1/index.html", "sco2/index.html"), HTTP_HOST=CONTENT).status_code == 200
    # then anyone holding only the storage key gets nothing
    assert (
        client.get(f"/elearn/scorm-content/{draft.storage_key}/sco1/index.html", HTTP_HOST=CONTENT).status_code == 404
    )


def test_a_preview_token_that_is_missing_forged_expired_or_someone_elses_is_refused(
    client, draft, provider, learner, settings
):
    path = "sco1/index.html"
    # a forged token, and a token signed for someone who may not provide the course (a learner)
    assert client.get(f"/elearn/scorm-content/preview/forged/{path}", HTTP_HOST=CONTENT).status_code == 404
    learners = signing.dumps([draft.pk, learner.pk], salt="learning.scorm.preview")
    assert client.get(f"/elearn/scorm-content/preview/{learners}/{path}", HTTP_HOST=CONTENT).status_code == 404
    # a provider who lost the role: the token stops working
    url = preview_content_url(draft, provider)
    provider.agency_roles.all().delete()
    assert client.get(url, HTTP_HOST=CONTENT).status_code == 404
    # an expired token
    from civlearn.identity.models import AgencyRole

    AgencyRole.objects.create(user=provider, agency=draft.unit.course.provider_agency, role=AgencyRole.PROVIDER)
    assert client.get(url, HTTP_HOST=CONTENT).status_code == 200
    settings.SCORM_PREVIEW_TOKEN_SECONDS = 1
    time.sleep(2.1)  # Django's signing clock is the system clock, in whole seconds
    assert client.get(url, HTTP_HOST=CONTENT).status_code == 404
