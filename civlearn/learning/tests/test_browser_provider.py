"""我教的課 in Chromium: a provider builds a course with a test and a questionnaire, publishes it, and after a
learner completes it sees the completion and the aggregated answers."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from civlearn.identity.models import AgencyRole
from civlearn.learning.assessment.services import attempt_start, attempt_submit, questionnaire_submit
from civlearn.learning.catalogue.services import enrol
from civlearn.learning.completion.consent import consent_record
from civlearn.learning.completion.services import completion_evaluate
from civlearn.learning.models import Course, Enrolment, Unit
from conftest import make_account, make_person

from .conftest import approved_partner
from .test_browser_home import shoot
from .test_browser_learning import session_cookie

# serialized_rollback: the flush at the end of a transactional test wipes the migration-loaded code tables; this
# restores them for the next test (and makes the test database keep a serialized copy when run alone).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_provider_builds_publishes_and_follows_a_course(page, live_server, agency, learner):
    provider = make_account(make_person(agency, "C123456788", "陳教材"))
    AgencyRole.objects.create(user=provider, agency=agency, role=AgencyRole.PROVIDER)
    approved_partner(agency)
    consent_record(user=provider, share_hours=True)
    page.context.add_cookies([session_cookie(provider, live_server)])

    # create the course
    page.goto("/elearn/home/teach/")
    page.get_by_label("課程代碼").fill("SEC-201")
    page.get_by_label("課程名稱").fill("資通安全進階")
    page.get_by_label("課程類別代碼").fill("522")
    page.get_by_label("認證時數").fill("2")
    page.get_by_label("閱讀時數門檻（分鐘）").fill("1")
    page.get_by_role("button", name="建立課程").click()
    expect(page.get_by_text("已建立課程「資通安全進階」，請新增單元後上架。")).to_be_visible()

    # a page, a test with one question, a questionnaire with a scale and a text question
    def add_unit(kind, title):
        page.get_by_label("單元類型").select_option(label=kind)
        page.get_by_label("單元名稱").fill(title)
        page.get_by_role("button", name="新增單元").click()
        expect(page.get_by_text(f"已新增單元「{title}」。")).to_be_visible()

    def add_question(kind, text, choices=""):
        page.get_by_label("題型").select_option(label=kind)
        page.get_by_role("textbox", name="題目").fill(text)
        if choices:
            page.get_by_label("選項").fill(choices)
        page.get_by_role("button", name="新增題目").click()
        expect(page.get_by_text("已新增題目。")).to_be_visible()

    add_unit("文字頁", "第一章")
    add_unit("測驗", "課後測驗")
    add_question("單選", "釣魚郵件該怎麼處理？", "*通報資安窗口\n點開看看")
    expect(page.get_by_text("✔ 通報資安窗口")).to_be_visible()
    page.get_by_role("link", name="回課程").click()
    add_unit("問卷", "課程問卷")
    add_question("量表（問卷）", "整體滿意度")
    add_question("文字（問卷）", "其他建議")
    page.get_by_role("link", name="回課程").click()
    page.get_by_role("button", name="上架").click()
    expect(page.get_by_text("課程已上架。")).to_be_visible()
    shoot(page, "provider-course.png")
    assert Course.objects.get(code="SEC-201").is_published

    # a learner completes it (through the services the learner's pages call)
    course = Course.objects.get(code="SEC-201")
    consent_record(user=learner, share_hours=True)
    enrolment = enrol(user=learner, course=course)
    Enrolment.objects.filter(pk=enrolment.pk).update(reading_ms=course.required_reading_ms)
    test_unit = course.units.get(kind=Unit.TEST)
    attempt = attempt_start(user=learner, enrolment=enrolment, unit=test_unit)
    question = test_unit.questions.get()
    attempt_submit(
        user=learner, attempt=attempt, answers={str(question.pk): [str(question.choices.get(is_correct=True).pk)]}
    )
    survey = course.units.get(kind=Unit.QUESTIONNAIRE)
    scale, free = survey.questions.order_by("order")
    questionnaire_submit(
        user=learner, enrolment=enrolment, unit=survey, answers={str(scale.pk): ["5"], str(free.pk): ["多舉實例"]}
    )
    completion_evaluate(enrolment=enrolment)
    assert Enrolment.objects.get(pk=enrolment.pk).completed_at is not None

    # the provider sees the completion and the answers
    page.get_by_role("link", name="選課與完成、問卷結果").click()
    expect(page.locator("[data-summary]")).to_contain_text("選課 1 人，完成 1 人")
    expect(page.locator("[data-table=enrolments]")).to_contain_text("王小明")
    expect(page.get_by_text("平均 5.00（1 人作答）")).to_be_visible()
    expect(page.get_by_text("多舉實例")).to_be_visible()
    shoot(page, "provider-results.png")
    with page.expect_download() as download:
        page.get_by_role("link", name="匯出 Excel (.xlsx)").click()
    assert download.value.suggested_filename.startswith("SEC-201-")
