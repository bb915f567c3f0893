"""The eCPA, hours-portal, registry and SSO faces on a phone (390 × 844) and a desktop (1280), in zh-Hant and English:
no page scrolls sideways, the header's menu folds behind a disclosure button (and is open without JavaScript),
帳號密碼登入 comes first, refused forms move focus to their error summary and say 「錯誤：」 first in the title,
the HR table keeps its headers on one line — and axe-core finds no WCAG 2.1 A/AA violation. Every page state is
shot to $TEST_ARTIFACTS for people to look at."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import expect

from civlearn.core import clock
from civlearn.hours.models import ReminderRecord
from civlearn.hours.tests.factories import record_manual_113, taipei
from civlearn.testing.axe import assert_no_axe_violations
from civlearn.testing.browser import shoot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LANGUAGES = ("zh-hant", "en")


def set_language(page, live_server, language: str) -> None:
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])


def page_width_overflow(page) -> int:
    """How many CSS pixels the page is wider than the window (0: nothing scrolls sideways)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def check(page, url: str, name: str) -> None:
    """Open `url` at the phone's and the desktop's width: no sideways scroll, a screenshot each, no axe violation."""
    for label, viewport in (("390", PHONE), ("1280", DESKTOP)):
        page.set_viewport_size(viewport)
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert page_width_overflow(page) == 0, f"{url} scrolls sideways at {label} px"
        shoot(page, f"phone-{name}-{label}")
        assert_no_axe_violations(page, f"{url} at {label} px")


@pytest.fixture
def hours_staff(learner_person, hr_officer, agency):
    """王小明 with the manual's 113年度 records, reminded once on 113-11-01."""
    clock.advance(taipei(2024, 11, 20, 10) - clock.now())
    record_manual_113(learner_person)
    ReminderRecord.objects.create(
        person=learner_person,
        agency=agency,
        sent_by=hr_officer,
        year=2024,
        email=learner_person.email,
        shortfalls=[],
        sent_at=taipei(2024, 11, 1, 9),
    )
    return learner_person


@pytest.fixture
def institution_provider(agency):
    from civlearn.identity.models import AgencyRole
    from conftest import make_account, make_person

    user = make_account(make_person(agency, "C220000001", "張課程", email="course@example.tw"))
    AgencyRole.objects.create(user=user, agency=agency, role=AgencyRole.PROVIDER)
    return user


@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_for_everyone(page, live_server, language):
    set_language(page, live_server, language)
    check(page, "/", f"home-{language}")
    check(page, "/ecpa/signin", f"signin-{language}")
    check(page, "/lifelong/", f"lifelong-{language}")
    check(page, "/lifelong/announcements/", f"announcements-{language}")
    check(page, "/no-such-page/", f"404-{language}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_learners_pages(page, live_server, learner, hours_staff, language):
    set_language(page, live_server, language)
    sign_in(page, learner, live_server.url)
    check(page, "/ecpa/my", f"my-area-{language}")
    check(page, "/ecpa/my/systems", f"connected-systems-{language}")
    check(page, "/lifelong/folder/", f"folder-{language}")
    check(page, "/lifelong/folder/hours/?year=113", f"hours-{language}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_hr_officers_and_an_institutions_pages(page, live_server, hr_officer, hours_staff, language):
    set_language(page, live_server, language)
    sign_in(page, hr_officer, live_server.url)
    check(page, "/lifelong/manage/?year=113", f"hr-report-{language}")
    check(page, "/lifelong/manage/reminders?year=113", f"hr-reminders-{language}")
    check(page, "/lifelong/manage/rules/", f"hr-rules-{language}")
    check(page, "/registry/import", f"registry-import-{language}")


def test_an_institutions_upload_page(page, live_server, institution_provider):
    sign_in(page, institution_provider, live_server.url)
    check(page, "/lifelong/institution/upload", "institution-upload")
    check(page, "/lifelong/institution/jobs", "institution-jobs")


def test_the_header_menu_folds_on_a_phone_and_opens_with_its_button(page, live_server):
    page.set_viewport_size(PHONE)
    page.goto("/lifelong/")
    button = page.get_by_role("button", name="選單")
    menu_link = page.get_by_role("navigation", name="主選單").get_by_role("link", name="個人資料夾")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(menu_link).to_be_hidden()
    header_height = page.locator(".site-header").bounding_box()["height"]
    assert header_height < 80, f"the folded header is {header_height} px tall"

    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(menu_link).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_be_visible()
    shoot(page, "phone-menu-open-390")

    page.keyboard.press("Escape")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_be_focused()
    expect(menu_link).to_be_hidden()

    page.set_viewport_size(DESKTOP)
    expect(button).to_be_hidden()
    expect(menu_link).to_be_visible()


def test_without_javascript_the_menu_is_open_and_the_button_absent(browser, live_server):
    context = browser.new_context(locale="zh-TW", base_url=live_server.url, viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/lifelong/")
        expect(page.get_by_role("navigation", name="主選單").get_by_role("link", name="個人資料夾")).to_be_visible()
        expect(page.locator(".menu-toggle")).to_be_hidden()
        shoot(page, "phone-menu-no-js-390")
    finally:
        context.close()


def test_the_sign_in_page_shows_the_password_first(page, live_server):
    page.set_viewport_size(PHONE)
    page.goto("/ecpa/signin")
    password = page.get_by_role("region", name="帳號密碼登入")
    certificate = page.get_by_role("region", name="自然人憑證", exact=True)
    password_box, certificate_box = password.bounding_box(), certificate.bounding_box()
    assert password_box["y"] < certificate_box["y"]
    # The account box is on the first screen of a phone.
    account_box = password.get_by_label("帳號", exact=True).bounding_box()
    assert account_box["y"] + account_box["height"] < PHONE["height"]


@pytest.mark.parametrize(("language", "prefix"), [("zh-hant", "錯誤："), ("en", "Error: ")])
def test_a_refused_sign_in_focuses_its_error_summary(page, live_server, language, prefix):
    set_language(page, live_server, language)
    page.set_viewport_size(PHONE)
    page.goto("/ecpa/signin")
    page.locator("#m-password ~ form button[type=submit]").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    assert page.title().startswith(prefix)
    shoot(page, f"phone-signin-refused-{language}-390")
    assert_no_axe_violations(page, f"the refused sign-in ({language})")


def test_refused_registry_and_hours_forms_focus_their_error_summary(page, live_server, hr_officer, hours_staff):
    sign_in(page, hr_officer, live_server.url)
    page.set_viewport_size(PHONE)

    page.goto("/lifelong/manage/?year=abc")
    expect(page.locator("#error-summary")).to_be_focused()
    assert page.title().startswith("錯誤：")
    shoot(page, "phone-hr-filter-refused-390")

    page.goto("/registry/import")
    page.locator("form[enctype] button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_focused()
    assert page.title().startswith("錯誤：")
    assert_no_axe_violations(page, "the refused registry import")

    page.goto("/lifelong/manage/rules/")
    page.get_by_role("button", name="新增", exact=True).click()
    expect(page.locator("#error-summary")).to_be_focused()
    assert page.title().startswith("錯誤：")
    shoot(page, "phone-hr-rules-refused-390")


def test_the_hr_table_keeps_its_headers_on_one_line_and_scrolls_in_its_box(page, live_server, hr_officer, hours_staff):
    sign_in(page, hr_officer, live_server.url)
    page.set_viewport_size(PHONE)
    page.goto("/lifelong/manage/?year=113")
    lines = page.evaluate(
        """() => [...document.querySelectorAll('table.hr-report th.total, table.hr-report th.reminded')].map(th => {
             const range = document.createRange(); range.selectNodeContents(th);
             return [th.textContent.trim(), new Set([...range.getClientRects()].map(r => Math.round(r.top))).size];
           })"""
    )
    assert lines == [["通過總學習時數", 1], ["上次提醒", 1]]

    region = page.get_by_role("region", name="人員學習時數表")
    region.focus()
    page.keyboard.press("End")
    region.evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    reminded = page.get_by_role("row").filter(has_text="王小明").locator("td.reminded")
    expect(reminded).to_have_text("113/11/01")
    box = reminded.bounding_box()
    assert box["x"] + box["width"] <= PHONE["width"]
    assert page_width_overflow(page) == 0
    shoot(page, "phone-hr-report-scrolled-390")


def test_the_hours_summary_scrolls_inside_a_labelled_region(page, live_server, learner, hours_staff):
    sign_in(page, learner, live_server.url)
    page.set_viewport_size(PHONE)
    page.goto("/lifelong/folder/hours/?year=113")
    region = page.get_by_role("region", name="113年度學習時數統計")
    expect(region).to_have_attribute("tabindex", "0")
    assert page_width_overflow(page) == 0


def test_my_area_reads_its_h1_before_the_menu(page, live_server, learner):
    sign_in(page, learner, live_server.url)
    page.goto("/ecpa/my")
    levels = page.evaluate("() => [...document.querySelectorAll('main h1, main h2, main h3')].map(h => h.tagName)")
    assert levels[0] == "H1"
    # On a wide screen the menu is still on the left of the page's content.
    menu = page.get_by_role("navigation", name="我的專區").bounding_box()
    title = page.get_by_role("heading", level=1).bounding_box()
    assert menu["x"] < title["x"]


def test_the_admin_is_named_civlearn_in_both_languages(page, live_server, operator):
    sign_in(page, operator, live_server.url)
    page.goto("/admin/")
    expect(page.locator("#site-name")).to_have_text("civlearn 管理介面")
    assert "Django" not in page.title()
    set_language(page, live_server, "en")
    page.goto("/admin/")
    expect(page.locator("#site-name")).to_have_text("civlearn administration")
    shoot(page, "admin-en-1280")
