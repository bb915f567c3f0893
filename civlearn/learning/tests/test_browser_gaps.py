"""Done when (issue 20), in Chromium: a learner short of 2 hours of 環境教育 and 1 of 人權教育 sees both gaps with the
deadline on e等公務園+ and on the portal's 摘要, follows a suggestion, completes the course, and sees the gaps shrink on
both faces; the HR office's at-risk list and its weekly digest (over a local SMTP server) show the change."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from civlearn.core import clock
from civlearn.hours import gaps_digest, rules
from civlearn.hours.models import RequirementRule
from civlearn.hours.tests.factories import record, taipei
from civlearn.learning.completion.consent import consent_record
from civlearn.learning.models import Enrolment
from civlearn.testing.browser import shoot, watch_csp
from conftest import message_text

from .conftest import add_test, make_course
from .test_browser_learning import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

HUMAN_RIGHTS = "本校人權教育(2小時)"
ENVIRONMENT = "環境教育(4小時)"


def gap_item(page, label):
    return page.locator(".gap-item, .gap-list li").filter(has_text=label)


def complete_by_test(page, course, learner):
    """Reading time is credited by heartbeats (their own browser tests); here it is given, and the test taken."""
    enrolment = Enrolment.objects.get(user=learner, course=course)
    Enrolment.objects.filter(pk=enrolment.pk).update(reading_ms=course.required_reading_ms)
    right = [c.text for q in course.units.get(kind="test").questions.all() for c in q.choices.filter(is_correct=True)]
    page.get_by_role("link", name="課後測驗（測驗）").click()
    page.get_by_role("button", name="開始測驗").click()
    for text in right:
        page.get_by_label(text, exact=True).check()
    page.get_by_role("button", name="交卷").click()
    expect(page.get_by_role("heading", name="恭喜您完成本課程")).to_be_visible()


def test_gaps_shrink_on_both_faces_and_in_the_hr_list_and_digest(
    page, browser, live_server, agency, learner, learner_person, hr_officer, smtp_server
):
    # given: 115/10/05 (a Monday); the agency's own 人權教育 rule (2 hours) beside the national ones
    clock.travel_to(taipei(2026, 10, 5, 9))
    RequirementRule.objects.create(
        key="agency-hr-1", label=HUMAN_RIGHTS, year_from=2026, agency=agency, minimum_hours=Decimal("2"),
        scope="codes", codes={"2024": ["550"]}, order=101,
    )  # fmt: skip
    rules.invalidate()
    consent_record(user=learner, share_hours=True)
    for code, hours in (("510", "1"), ("337", "2"), ("560", "7"), ("550", "1")):
        record(learner_person, code=code, hours=hours, end=taipei(2026, 3, 1))
    rights = make_course(agency, code="G-HR-1", title="人權教育：兩公約導讀", category_code="550",
                         certified_hours=Decimal("1"))  # fmt: skip
    climate = make_course(agency, code="G-ENV-1", title="環境教育：氣候變遷與調適", category_code="339",
                          certified_hours=Decimal("1"))  # fmt: skip
    make_course(agency, code="G-ENV-2", title="環境教育：淨零轉型", category_code="345",
                certified_hours=Decimal("1"), required_reading_minutes=90)  # fmt: skip
    add_test(rights)
    add_test(climate)
    assert gaps_digest.digests_send() == 1  # last week's digest, for the trend
    csp = watch_csp(page)
    page.context.add_cookies([session_cookie(learner, live_server)])

    # the portal's 摘要 shows both gaps and the deadline
    page.goto("/lifelong/folder/")
    expect(page.locator("#gaps .gap-deadline")).to_contain_text("採計截止日：115/12/31（年底）")
    expect(gap_item(page, ENVIRONMENT)).to_contain_text("已完成 2 / 4 小時，尚缺 2 小時")
    expect(gap_item(page, HUMAN_RIGHTS)).to_contain_text("已完成 1 / 2 小時，尚缺 1 小時")
    shoot(page, "gaps-portal-summary-before.png")

    # the e等公務園+ dashboard too, with suggestions under each gap
    page.goto("/elearn/home/")
    panel = page.locator("#gaps")
    expect(panel.locator(".gap-deadline")).to_contain_text("採計截止日：115/12/31（年底）")
    expect(panel.locator(".gap-deadline")).to_contain_text("剩 87 天")
    expect(gap_item(page, HUMAN_RIGHTS).locator(".gap-figures")).to_have_text("已完成 1 / 2 小時，尚缺 1 小時")
    expect(gap_item(page, ENVIRONMENT).locator(".gap-figures")).to_have_text("已完成 2 / 4 小時，尚缺 2 小時")
    expect(gap_item(page, ENVIRONMENT).locator(".suggestion").first).to_contain_text("環境教育：氣候變遷與調適")
    shoot(page, "gaps-dashboard-before.png")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "gaps-dashboard-before-phone.png")
    page.set_viewport_size({"width": 1280, "height": 900})

    # when: one click on a suggestion enrols; the learner completes the course
    gap_item(page, HUMAN_RIGHTS).get_by_role("button", name=re.compile(r"^報名\s*：人權教育：兩公約導讀$")).click()
    expect(page.get_by_text("已報名「人權教育：兩公約導讀」。")).to_be_visible()
    complete_by_test(page, rights, learner)

    # then: the 人權教育 gap is closed on both faces, 環境教育 still short
    page.goto("/elearn/home/")
    expect(gap_item(page, HUMAN_RIGHTS)).to_have_count(0)
    expect(gap_item(page, ENVIRONMENT).locator(".gap-figures")).to_have_text("已完成 2 / 4 小時，尚缺 2 小時")
    page.goto("/lifelong/folder/")
    expect(gap_item(page, HUMAN_RIGHTS)).to_have_count(0)
    expect(gap_item(page, ENVIRONMENT)).to_contain_text("尚缺 2 小時")

    # and the 環境教育 gap shrinks after the next suggestion, followed from the portal's link
    gap_item(page, ENVIRONMENT).get_by_role("link", name=f"查看可補足「{ENVIRONMENT}」的課程").click()
    gap_item(page, ENVIRONMENT).get_by_role("button", name=re.compile(r"^報名\s*：環境教育：氣候變遷與調適$")).click()
    complete_by_test(page, climate, learner)
    page.goto("/elearn/home/")
    expect(gap_item(page, ENVIRONMENT).locator(".gap-figures")).to_have_text("已完成 3 / 4 小時，尚缺 1 小時")
    shoot(page, "gaps-dashboard-after.png")
    page.goto("/lifelong/folder/")
    expect(gap_item(page, ENVIRONMENT)).to_contain_text("已完成 3 / 4 小時，尚缺 1 小時")
    shoot(page, "gaps-portal-summary-after.png")
    assert csp.violations == []

    # the HR office's at-risk list shows the smaller gap
    hr_context = browser.new_context(locale="zh-TW", base_url=live_server.url)
    hr_page = hr_context.new_page()
    hr_context.add_cookies([session_cookie(hr_officer, live_server)])
    hr_page.goto("/lifelong/manage/at-risk/")
    row = hr_page.locator("table.at-risk tbody tr").filter(has_text="王小明")
    expect(row.locator("td").nth(3)).to_have_text("1小時")  # 至少尚缺
    expect(row).to_contain_text(f"{ENVIRONMENT}：尚缺 1 小時")
    expect(row).not_to_contain_text(HUMAN_RIGHTS)
    shoot(hr_page, "gaps-hr-at-risk.png")
    hr_page.set_viewport_size({"width": 390, "height": 844})
    shoot(hr_page, "gaps-hr-at-risk-phone.png")
    hr_context.close()

    # and this week's digest shows the change since last week's
    clock.travel_to(taipei(2026, 10, 12, 9))
    assert gaps_digest.digests_send() == 1
    first, second = (message_text(m) for m in smtp_server.wait_for(2)[:2])
    who = "・王小明（國立臺中科技大學）"
    assert f"{who}至少尚缺 2 小時；截止日 115/12/31，剩 87 天；{ENVIRONMENT} 尚缺 2、{HUMAN_RIGHTS} 尚缺 1" in first
    assert f"{who}至少尚缺 1 小時（上週 2 小時）；截止日 115/12/31，剩 80 天；{ENVIRONMENT} 尚缺 1" in second
    assert dt.date(2026, 10, 12) == clock.today()
