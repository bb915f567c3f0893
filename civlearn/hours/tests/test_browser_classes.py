"""Issue #19's done-when path in Chromium: a 民間機構 applies, is asked for a change, is approved; its administrator
adds staff; staff publish a class by file (two codes); a learner finds it by 台中 and 環境教育, registers, is approved
by the HR office; the next person is waitlisted and promoted when the first cancels; on the day they check in by QR
on a phone; the institution closes the class; the hours are on 學習時數, the class in 行事曆 and in the .ics feed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from icalendar import Calendar

from civlearn.core import clock
from civlearn.hours.tests.classes_fixtures import SESSION_DAY, at_today, class_row, csv_bytes
from civlearn.testing.browser import shoot, sign_in
from conftest import make_account, make_person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def _seed_tables():
    import importlib

    from django.apps import apps

    from civlearn.hours import rules
    from civlearn.hours.models import CategoryTable

    if not CategoryTable.objects.exists():
        importlib.import_module("civlearn.hours.migrations.0002_seed_tables_and_rules").seed(apps, None)
    rules.invalidate()


def as_(page, user, live_server):
    page.context.clear_cookies()
    sign_in(page, user, live_server.url)


def phone(browser, live_server, user):
    context = browser.new_context(locale="zh-TW", base_url=live_server.url, viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    sign_in(tab, user, live_server.url)
    return tab


def test_institution_to_hours_in_the_ledger(page, browser, live_server, operator, agency, other_agency, learner,
                                            hr_officer, media_root, tmp_path):  # fmt: skip
    at_today()
    admin = make_account(make_person(other_agency, "H123456786", "周管理", email="admin@example.org"))
    staff = make_account(make_person(other_agency, "J123456787", "吳承辦", email="staff@example.org"))
    second = make_account(make_person(agency, "A223456781", "陳候補", email="second@example.tw"))

    # a private organisation applies
    as_(page, admin, live_server)
    page.goto("/lifelong/institutions/apply/")
    page.get_by_label("機關(構)名稱").fill("台中市立人文學苑")
    page.get_by_label("機關(構)類型").select_option("private")
    page.locator("#id_contact_name").fill("周管理")
    page.get_by_label("聯絡人電子郵件").fill("admin@example.org")
    page.get_by_label("所在縣市").select_option("40")
    page.get_by_label("地址").fill("臺中市西區民權路 1 號")
    page.get_by_label("實體").check()
    pdf = tmp_path / "立案證書.pdf"
    pdf.write_bytes(PDF)
    page.get_by_label("證明文件").set_input_files(str(pdf))
    shoot(page, "classes-01-apply")
    page.get_by_role("button", name="送出申請").click()
    page.wait_for_url("**/lifelong/institutions/")
    assert "審核中" in page.get_by_role("table").inner_text()

    # an operator asks for a change, then approves
    as_(page, operator, live_server)
    page.goto("/lifelong/institutions/review/")
    page.get_by_role("link", name="台中市立人文學苑").click()
    page.get_by_label("請補正").check()
    page.get_by_label("審核意見").fill("請補充聯絡電話")
    shoot(page, "classes-02-review")
    page.get_by_role("button", name="送出審核結果").click()
    # each step waits for its answer before the next person's cookies replace this one's
    page.wait_for_url("**/lifelong/institutions/review/")
    as_(page, admin, live_server)
    page.goto("/lifelong/institutions/")
    page.get_by_role("link", name="修改並重新送出").click()
    page.get_by_label("聯絡電話").fill("04-2222-0000")
    page.get_by_role("button", name="重新送出申請").click()
    page.wait_for_url("**/lifelong/institutions/")
    as_(page, operator, live_server)
    page.goto("/lifelong/institutions/review/")
    page.get_by_role("link", name="台中市立人文學苑").click()
    page.get_by_role("radio", name="核准", exact=True).check()
    page.get_by_label("學習機關(構)代碼").fill("P000000001")
    page.get_by_role("button", name="送出審核結果").click()
    page.wait_for_url("**/lifelong/institutions/review/")

    # its administrator adds a staff member
    as_(page, admin, live_server)
    page.goto("/lifelong/institutions/")
    page.get_by_role("link", name="台中市立人文學苑").click()
    page.get_by_label(re.compile(r"^帳號")).fill("J123456787")
    page.get_by_label(re.compile(r"^角色")).select_option("staff")
    page.get_by_role("button", name="新增人員").click()
    assert "已新增人員：吳承辦" in page.locator(".messages").inner_text()
    area_url = page.url

    # staff publish the class by file, its 5 hours split over 339 and 510
    common = {"capacity": "1", "hr_approval": "是", "attendance_minimum": "60"}
    classes = tmp_path / "classes.csv"
    classes.write_bytes(csv_bytes([class_row(**common), class_row(category_code="510", physical_hours="2", **common)],
                                  encoding="big5"))  # fmt: skip
    as_(page, staff, live_server)
    page.goto(area_url)
    page.get_by_label("開班資料檔案").set_input_files(str(classes))
    page.get_by_role("button", name="上傳開班資料").click()
    assert "新增 1 班" in page.locator(".messages").inner_text()
    shoot(page, "classes-03-area")

    # a learner finds it by 台中 and the requirement, registers; the HR office approves
    as_(page, learner, live_server)
    page.goto("/lifelong/")
    page.get_by_label("關鍵字").fill("台中")
    page.get_by_role("button", name="搜尋").click()
    page.get_by_label("年度必修類別").select_option(label="環境教育(4小時)")
    page.get_by_role("button", name="搜尋").click()
    assert "共 1 班" in page.locator("#results").inner_text()
    shoot(page, "classes-04-search")
    page.get_by_role("link", name="臺中氣候變遷與環境教育研習班").click()
    assert page.locator("#seats-left").inner_text() == "1"
    page.get_by_role("button", name="我要報名").click()
    assert "待人事單位審核" in page.locator("#my-status").inner_text()
    detail_url = page.url
    shoot(page, "classes-05-detail")
    as_(page, hr_officer, live_server)
    page.goto("/lifelong/manage/classes/")
    shoot(page, "classes-06-hr")
    page.get_by_role("button", name="同意", exact=True).click()
    assert "已完成審核：王小明" in page.locator(".messages").inner_text()

    # the class is full for the next person, who is waitlisted, and promoted when the first cancels
    as_(page, second, live_server)
    page.goto(detail_url)
    page.get_by_role("button", name="我要報名").click()
    assert "候補中" in page.locator("#my-status").inner_text()
    as_(page, learner, live_server)
    page.goto(detail_url)
    page.get_by_role("button", name="取消報名").click()
    assert "已取消報名" in page.locator(".messages").inner_text()
    as_(page, second, live_server)
    page.goto(detail_url)
    assert "待人事單位審核" in page.locator("#my-status").inner_text()
    as_(page, hr_officer, live_server)
    page.goto("/lifelong/manage/classes/")
    page.get_by_role("button", name="同意", exact=True).click()
    assert "已完成審核：陳候補" in page.locator(".messages").inner_text()

    # on the day: the door shows the session's code; the person checks in on a phone
    clock.travel_to(SESSION_DAY + dt.timedelta(minutes=3))
    as_(page, staff, live_server)
    page.goto(area_url)
    page.get_by_role("link", name="臺中氣候變遷與環境教育研習班").click()
    manage_url = page.url
    page.get_by_role("link", name="顯示簽到 QR Code").first.click()
    page.wait_for_url("**/door")
    assert page.locator("#checkin-qr svg").count() == 1
    shoot(page, "classes-07-door")
    checkin_url = page.locator("#checkin-link").get_attribute("href")
    mobile = phone(browser, live_server, second)
    mobile.goto(checkin_url)
    mobile.get_by_role("button", name="確認簽到").click()
    assert "已完成簽到" in mobile.locator("#checkin-result").inner_text()
    shoot(mobile, "classes-08-checkin-phone")
    mobile.goto(checkin_url)
    mobile.get_by_role("button", name="確認簽到").click()
    assert "完成本時段簽到" in mobile.locator("#checkin-result").inner_text()

    # the institution closes the class; the person sees the hours and the class in 行事曆 and in the feed
    page.goto(manage_url)
    page.get_by_role("button", name="結訓並登錄時數").click()
    assert "結訓 1 人" in page.locator(".messages").inner_text()
    assert page.get_by_role("button", name="結訓並登錄時數").count() == 0
    shoot(page, "classes-09-closed")
    mobile.goto("/lifelong/folder/hours/?year=115")
    hours_text = mobile.locator("main").inner_text()
    assert "臺中氣候變遷與環境教育研習班" in hours_text
    shoot(mobile, "classes-10-hours-phone")
    mobile.goto("/lifelong/folder/calendar/?month=2026-12")
    assert "臺中氣候變遷與環境教育研習班" in mobile.locator("main").inner_text()
    shoot(mobile, "classes-11-calendar-phone")
    mobile.get_by_role("button", name="產生訂閱網址").click()
    address = mobile.locator("#feed-address").input_value()
    feed = mobile.request.get(address)
    calendar = Calendar.from_ical(feed.body())
    titles = [str(event["summary"]) for event in calendar.walk("VEVENT")]
    assert titles.count("臺中氣候變遷與環境教育研習班") == 2
    mobile.context.close()
    assert re.search(r"/lifelong/classes/\d+/manage$", manage_url)


@pytest.mark.parametrize("width", [1280, 390])
def test_pages_in_english_and_on_a_phone(browser, live_server, learner, width):
    context = browser.new_context(locale="en", base_url=live_server.url, viewport={"width": width, "height": 900},
                                  extra_http_headers={"Accept-Language": "en"})  # fmt: skip
    context.set_default_timeout(10_000)
    tab = context.new_page()
    sign_in(tab, learner, live_server.url)
    tab.goto("/lifelong/classes/")
    assert "Class finder" in tab.locator("h1").inner_text()
    shoot(tab, f"classes-en-search-{width}")
    tab.goto("/lifelong/institutions/apply/")
    assert tab.locator("h1").inner_text() == "Apply to become a learning institution"
    shoot(tab, f"classes-en-apply-{width}")
    tab.goto("/lifelong/folder/calendar/")
    shoot(tab, f"classes-en-calendar-{width}")
    # nothing wider than the screen
    assert tab.evaluate("document.documentElement.scrollWidth") <= width
    context.close()
