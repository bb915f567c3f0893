"""個人專區 in Chromium: goals set through the form; dashboard counts, goals, package progress and the header
badge change as the learner passes a test and fills a questionnaire; the records page's figures follow."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from civlearn.identity.models import SigninRecord
from civlearn.learning.catalogue.services import enrol
from civlearn.learning.completion.consent import consent_record
from civlearn.learning.home.packages import package_save
from civlearn.learning.models import Enrolment, Unit
from civlearn.testing.browser import shoot

from .conftest import add_questionnaire, add_test, make_course
from .test_browser_learning import session_cookie

# serialized_rollback: the flush at the end of a transactional test wipes the migration-loaded code tables; this
# restores them for the next test (and makes the test database keep a serialized copy when run alone).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_dashboard_and_records_follow_a_completion(page, live_server, learner, agency, operator, settings):
    # given a course read in full but with its test and questionnaire still to do, inside a package
    settings.LEARNING_HEARTBEAT_SECONDS = 3600
    consent_record(user=learner, share_hours=True)
    course = make_course(agency, code="B-HOME-1", title="人權教育入門", certified_hours=Decimal("2"))
    test_unit = add_test(course)
    add_questionnaire(course)
    right = [c.text for q in test_unit.questions.all() for c in q.choices.filter(is_correct=True)]
    scale = course.units.get(kind=Unit.QUESTIONNAIRE).questions.get(kind="scale").pk
    enrolment = enrol(user=learner, course=course)
    Enrolment.objects.filter(pk=enrolment.pk).update(reading_ms=course.required_reading_ms)
    package_save(actor=operator, agency=None, title="公務人員10小時課程", course_codes=["B-HOME-1"])
    SigninRecord.objects.create(user=learner, ip_address="163.17.138.208", method="password", success=True)
    SigninRecord.objects.create(user=learner, ip_address="10.1.1.1", method="password", success=True)
    type(learner).objects.filter(pk=learner.pk).update(signin_count=2)
    page.context.add_cookies([session_cookie(learner, live_server)])

    # the learner sets a weekly goal of 1 hour by keyboard
    page.goto("/elearn/home/goals/")
    page.get_by_label("週目標（小時）").fill("1")
    page.get_by_label("週目標（小時）").press("Enter")
    expect(page.get_by_text("學習目標已儲存。")).to_be_visible()

    page.goto("/elearn/home/")
    expect(page.locator("[data-count=unfinished]")).to_have_text("1")
    expect(page.locator("[data-count=finished]")).to_have_text("0")
    expect(page.locator("[data-goal=week] .figure")).to_have_text("0 / 1 小時")
    expect(page.locator(".package .percent")).to_have_text("0%")
    expect(page.locator("[data-badge]")).to_contain_text("LV.1 10")
    shoot(page, "home-dashboard-before.png")

    # when the learner passes the test and fills in the questionnaire
    # the course card of 未完成 (the gaps panel above also links the course, to its course page)
    page.locator(".home-course[data-course=B-HOME-1]").get_by_role("link", name="人權教育入門").click()
    page.get_by_role("link", name="課後測驗（測驗）").click()
    page.get_by_role("button", name="開始測驗").click()
    for text in right:
        page.get_by_label(text, exact=True).check()
    page.get_by_role("button", name="交卷").click()
    expect(page.get_by_text("測驗通過：100 分（及格 60 分）。")).to_be_visible()
    page.get_by_role("link", name="課程問卷（問卷）").click()
    page.locator(f"input[name='q-{scale}'][value='4']").check()
    page.get_by_role("button", name="送出問卷").click()
    expect(page.get_by_role("heading", name="恭喜您完成本課程")).to_be_visible()

    # then the dashboard counts, goal, package and badge have moved
    page.get_by_role("link", name="個人專區", exact=True).click()
    expect(page.locator("[data-count=unfinished]")).to_have_text("0")
    expect(page.locator("[data-count=finished]")).to_have_text("1")
    expect(page.locator("[data-count=percent]")).to_have_text("100%")
    expect(page.locator("[data-goal=week] .figure")).to_have_text("2 / 1 小時")
    expect(page.locator(".package .percent")).to_have_text("100%")
    expect(page.locator("[data-badge]")).to_contain_text("LV.1 30")
    expect(page.locator(".home-course").filter(has_text="人權教育入門")).to_contain_text("✔測驗")
    shoot(page, "home-dashboard-after.png")

    # and the records page shows the login and course figures
    page.get_by_role("link", name="學習紀錄", exact=True).first.click()
    signin = page.locator("[data-box=signin]")
    expect(signin).to_contain_text("這是您第2次進入這裡")
    expect(signin).to_contain_text("上次來自於: 163.17.138.208")
    expect(signin).to_contain_text("今年已取得的認證時數: 2小時")
    courses = page.locator("[data-box=courses]")
    expect(courses).to_contain_text("未完成課程數: 0")
    expect(courses).to_contain_text("待填問卷數: 0")
    expect(courses).to_contain_text("待完成測驗數: 0")
    expect(page.locator("[data-box=uploads]")).not_to_contain_text("終身學習時數最後上傳時間: 尚未上傳")
    shoot(page, "home-records.png")
    page.get_by_role("link", name="統計圖表").click()
    expect(page.locator("[data-table=month] tfoot")).to_contain_text("2")
    shoot(page, "home-charts.png")
    page.get_by_role("link", name="歷史紀錄").click()
    expect(page.get_by_role("link", name=re.compile(r"^列印證書\s*：人權教育入門$"))).to_be_visible()
    page.goto("/elearn/home/profile/")
    shoot(page, "home-profile.png")
