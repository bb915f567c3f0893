"""The institution and HR pages in Chromium: upload by keyboard, watch the job, read the report; the HR table."""

from __future__ import annotations

import pytest

from civlearn.hours.tests.batch_fixtures import SECOND_ID, csv_file, csv_line
from civlearn.hours.tests.factories import record
from civlearn.testing.browser import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _seed_tables():
    """A transactional test that ran before may have flushed the data migrations' rows: put them back."""
    import importlib

    from django.apps import apps

    from civlearn.hours import rules
    from civlearn.hours.models import CategoryTable

    if not CategoryTable.objects.exists():
        importlib.import_module("civlearn.hours.migrations.0002_seed_tables_and_rules").seed(apps, None)
    rules.invalidate()


def sign_in(page, live_server, user):
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    host = live_server.url.split("//")[1].split(":")[0]
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "domain": host,
                               "path": "/"}])  # fmt: skip


def test_upload_with_errors_then_commit_the_valid_rows(page, live_server, provider, agency, learner_person,
                                                       second_person, media_root, tmp_path):  # fmt: skip
    sign_in(page, live_server, provider)
    path = tmp_path / "hours.csv"
    path.write_bytes(csv_file(csv_line(), csv_line(national_id=SECOND_ID, mode="7", county_code="99")))

    page.goto("/lifelong/institution/upload")
    shoot(page, "institution-upload")
    page.get_by_label("時數檔案（CSV）").set_input_files(str(path))
    page.get_by_label("時數檔案（CSV）").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    page.wait_for_url("**/lifelong/institution/jobs/*")
    assert "有錯誤，未匯入" in page.locator("#job-status").inner_text()
    report = page.get_by_role("table").last.inner_text()
    assert "學習性質代碼不正確" in report and "不是已知的上課縣市代碼" in report
    shoot(page, "institution-job-review")

    page.get_by_role("button", name="只匯入正確的資料列").click()
    page.wait_for_load_state()
    assert "已完成" in page.locator("#job-status").inner_text()
    assert "新增筆數\n1" in page.locator("#job-status").inner_text()
    shoot(page, "institution-job-done")


def test_hr_report_in_the_browser(page, live_server, hr_officer, sub_agency, learner_person):
    from conftest import make_person

    record(learner_person, hours="1", code="510")
    record(learner_person, hours="4", code="339")
    short = make_person(sub_agency, SECOND_ID, "李大華", email="dahua@example.tw")
    record(short, hours="2", code="339")
    sign_in(page, live_server, hr_officer)

    page.goto("/lifelong/manage/?year=113")
    table = page.locator("table.hr-report").inner_text()
    assert "李大華" in table and "B22000****" in table
    shoot(page, "hr-report")

    page.get_by_label("達成情形").select_option("environment")
    page.get_by_role("button", name="查詢").click()
    page.wait_for_load_state()
    assert "王小明" not in page.locator("table.hr-report").inner_text()

    page.get_by_role("link", name="寄送提醒信給未達成者…").click()
    page.wait_for_load_state()
    assert "信件預覽" in page.content()
    shoot(page, "hr-reminders")
