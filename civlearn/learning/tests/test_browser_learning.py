"""The whole learner journey in Chromium: terms, Chinese search, enrolment, reading (heartbeats), a failed and a
passed test, the questionnaire, the certificate PDF, public verification, and the hours in the portal."""

from __future__ import annotations

import datetime as dt
import re
import subprocess

import pytest
from playwright.sync_api import expect

from civlearn.core import clock
from civlearn.demo.learning import seed
from civlearn.learning.models import Certificate, Course, Enrolment, MemberConsent, Unit
from civlearn.testing.browser import artifacts_dir, shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def session_cookie(user, live_server) -> dict:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"name": settings.SESSION_COOKIE_NAME, "value": value, "url": live_server.url}


def test_learner_completes_a_course_and_sees_the_hours(page, live_server, learner, settings, tmp_path):
    # given the demo catalogue, a two-minute reading requirement and one-second heartbeats
    settings.LEARNING_HEARTBEAT_SECONDS = 1
    seed()
    Course.objects.filter(code="DEMO-ENV-01").update(required_reading_minutes=2)
    # Everything the test needs from the database is read now: while the page beats, the live server writes, and
    # SQLite's shared in-memory test database answers a concurrent reader with "table is locked".
    course = Course.objects.get(code="DEMO-ENV-01")
    test_unit = course.units.get(kind=Unit.TEST)
    wrong = [q.choices.filter(is_correct=False).first().text for q in test_unit.questions.all()]
    right = [c.text for q in test_unit.questions.all() for c in q.choices.filter(is_correct=True)]
    scales = [q.pk for q in course.units.get(kind=Unit.QUESTIONNAIRE).questions.filter(kind="scale")]
    page.context.add_cookies([session_cookie(learner, live_server)])

    # first entry: the member terms, 同意
    page.goto("/elearn/")
    expect(page.get_by_role("heading", name="「e等公務園+學習平臺」會員規範條款")).to_be_visible()
    shoot(page, "learning-terms.png")
    page.get_by_role("button", name="同意", exact=True).click()
    assert MemberConsent.objects.get(user=learner).share_hours is True

    # search in Chinese (two characters)
    page.get_by_label("關鍵字").fill("氣候")
    page.get_by_role("button", name="搜尋").click()
    expect(page.get_by_role("status").filter(has_text="共 1 門課程")).to_be_visible()
    shoot(page, "learning-catalogue.png")
    page.get_by_role("link", name="環境教育：氣候變遷與調適").click()
    expect(page.get_by_text("✔閱讀時數 2 分鐘")).to_be_visible()
    shoot(page, "learning-course.png")

    # enrol, then read: the server clock moves a minute between beats
    page.get_by_role("button", name="報名").click()
    expect(page.get_by_role("heading", name="氣候變遷的成因")).to_be_visible()
    reading = page.locator("[data-reading]")
    expect(reading).to_have_text("0 分鐘 / 2 分鐘")
    clock.advance(dt.timedelta(seconds=61))
    expect(reading).to_have_text("1 分鐘 / 2 分鐘", timeout=5000)
    clock.advance(dt.timedelta(seconds=61))
    expect(reading).to_have_text("2 分鐘 / 2 分鐘", timeout=5000)
    shoot(page, "learning-reading.png")
    # Pages opened from now on beat rarely (see above: SQLite and concurrent writers).
    settings.LEARNING_HEARTBEAT_SECONDS = 3600

    # the test: fail once, then pass
    page.get_by_role("link", name="課後測驗（測驗）").click()
    page.get_by_role("button", name="開始測驗").click()
    for text in wrong:
        page.get_by_label(text, exact=True).check()
    shoot(page, "learning-test.png")
    page.get_by_role("button", name="交卷").click()
    expect(page.get_by_text("測驗未通過")).to_be_visible()
    page.get_by_role("button", name="再測一次").click()
    for text in right:
        page.get_by_label(text, exact=True).check()
    page.get_by_role("button", name="交卷").click()
    expect(page.get_by_text("測驗通過：100 分（及格 60 分）。")).to_be_visible()

    # the questionnaire completes the course
    page.get_by_role("link", name="課程滿意度問卷（問卷）").click()
    for pk in scales:
        page.locator(f"input[name='q-{pk}'][value='4']").check()
    page.get_by_role("button", name="送出問卷").click()
    expect(page.get_by_role("heading", name="恭喜您完成本課程")).to_be_visible()
    expect(page.get_by_text("2 小時已上傳終身學習入口網站")).to_be_visible()
    shoot(page, "learning-completed.png")

    # the certificate
    with page.expect_download() as download:
        page.get_by_role("link", name="下載證書（PDF）").click()
    pdf = tmp_path / "certificate.pdf"
    download.value.save_as(pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    assert "王小明" in flat and "環境教育：氣候變遷與調適" in flat
    if folder := artifacts_dir():
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(folder / "cert")])

    # public verification, signed out, with the code printed on the certificate
    code = re.search(r"驗證碼([2-9A-Z]{10})", flat).group(1)
    page.context.clear_cookies()
    page.goto("/elearn/verify/")
    page.get_by_label("驗證碼").fill(code)
    page.get_by_role("button", name="查驗").click()
    expect(page.get_by_role("heading", name="此證書為本平臺核發，內容如下")).to_be_visible()
    expect(page.get_by_text("王小明")).to_be_visible()
    shoot(page, "learning-verify.png")

    # the hours in the portal's 學習時數, at once
    page.context.add_cookies([session_cookie(learner, live_server)])
    page.goto("/lifelong/folder/hours/")
    expect(page.get_by_role("cell", name="環境教育：氣候變遷與調適")).to_be_visible()
    shoot(page, "learning-portal-hours.png")
    enrolment = Enrolment.objects.get()
    assert enrolment.hours_status == Enrolment.HOURS_POSTED
    assert Certificate.objects.get().verify_code == code
