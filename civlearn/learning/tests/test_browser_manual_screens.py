"""Done-when of issue #18 in Chromium: the manual from step 一 (first-visit notice, sign-in choice) through the
eCPA 首頁 and its system list (step 十二) into e等公務園+ (step 十三), then 最新公告, 下載專區 (a real download),
機關組織 (國立臺中科技大學 by 臺中 and by 台中), a help page, 加盟機關 and 簡易操作 — on the demo data; and a
`<script>` in help content never runs. Screenshots at 1280 px and on a 390 × 844 phone."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from civlearn.content.models import HelpPage
from civlearn.demo import registry as demo
from civlearn.sso.models import RelyingParty
from civlearn.sso.tests.sso_support import register_rp
from civlearn.testing.browser import shoot, watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_site(media_root):
    call_command("seed_demo", verbosity=0)
    # The data migration lists the platform's own systems; a transactional test before this one may have flushed it.
    if not RelyingParty.objects.filter(code="DL1").exists():
        register_rp(name="e等公務園+學習平臺", redirect_uri="", first_party=True, listed=True, entry_url="/elearn/",
                    code="DL1")  # fmt: skip


def test_the_manual_from_the_first_visit_to_the_connected_systems_and_the_front_links(page, demo_site):
    csp = watch_csp(page)

    # 一: the first visit to e等公務園+ shows the cookie and privacy notice; 「了解，我清楚了」 puts it away for good
    page.goto("/elearn/")
    notice = page.locator("#first-visit-notice")
    assert notice.is_visible()
    shoot(page, "screens-01-first-visit-notice")
    notice.get_by_role("button", name="了解，我清楚了").click()
    page.wait_for_url("**/elearn/")
    assert page.locator("#first-visit-notice").count() == 0
    page.reload()
    assert page.locator("#first-visit-notice").count() == 0

    # 二–三: 登入 offers 人事服務網 eCPA or 我的E政府 (the demo's stand-in), and comes back to this page
    page.get_by_role("banner").get_by_role("link", name="登入").click()
    page.wait_for_url("**/elearn/signin/?next=/elearn/")
    assert page.get_by_role("link", name="以我的E政府（示範：由本平臺模擬）登入").is_visible()
    shoot(page, "screens-02-signin-choice")
    page.get_by_role("link", name="以人事服務網 eCPA 登入").click()
    page.wait_for_url("**/ecpa/signin?next=/elearn/")

    # 九: the sign-in page with its help links; 帳號密碼登入 returns to e等公務園+
    help_links = page.get_by_role("navigation", name="登入說明")
    for title in ("首次登入與瀏覽器設定", "自然人或機關憑證驅動程式", "MAC及Linux跨平台網站元件", "登入說明文件",
                  "安裝健保卡元件", "如何使用自然人憑證註冊", "如何使用行動自然人憑證"):  # fmt: skip
        assert help_links.get_by_role("link", name=title).is_visible()
    assert page.get_by_role("link", name="e等公務園+學習平臺新版上線").is_visible()  # pinned to the sign-in page
    shoot(page, "screens-03-ecpa-signin")
    form = page.locator('section[aria-labelledby="m-password"]')
    form.locator("#id_login").fill("demo01")
    form.locator("#id_password").fill(demo.LEARNER_PASSWORD)
    form.get_by_role("button", name="登入").click()
    # 四: back in e等公務園+, a first-time member answers the member terms first, then lands where they were
    page.wait_for_url("**/elearn/terms/?next=%2Felearn%2F")
    page.get_by_role("button", name="同意", exact=True).click()
    page.wait_for_url("**/elearn/")

    # 十二: eCPA 首頁 — the person, 帳號登入, and the systems at the bottom in the manual's groups
    page.goto("/ecpa/")
    welcome = page.locator(".ecpa-welcome")
    assert "國立臺中科技大學 王小明" in welcome.inner_text()
    assert "帳號登入" in welcome.inner_text()
    systems = page.locator(".connected-systems-home")
    assert systems.get_by_role("heading", name="非人事總處機關及系統").is_visible()
    shoot(page, "screens-04-ecpa-home")

    # 十三: DL1 enters e等公務園+ without a second sign-in
    systems.get_by_role("link", name="DL1: e等公務園+學習平臺").click()
    page.wait_for_url("**/elearn/")
    assert page.get_by_role("link", name="個人專區").count() >= 0
    assert "/ecpa/signin" not in page.url

    # 最新公告: the list, one announcement, its attachment downloaded
    page.goto("/ecpa/")
    page.get_by_role("banner").get_by_role("link", name="最新公告").click()
    page.wait_for_url("**/ecpa/announcements/")
    page.get_by_role("link", name="e等公務園+學習平臺新版上線").click()
    with page.expect_download() as caught:
        page.get_by_role("link", name="新版上線說明.odt").click()
    assert caught.value.suggested_filename == "新版上線說明.odt"
    shoot(page, "screens-05-announcement")

    # 下載專區: sizes and dates, a real download
    page.get_by_role("banner").get_by_role("link", name="下載專區").click()
    page.wait_for_url("**/ecpa/downloads/")
    shoot(page, "screens-06-downloads")
    with page.expect_download() as caught:
        page.get_by_role("link", name="跨平台網頁元件安裝說明.txt").click()
    assert caught.value.path().read_text(encoding="utf-8").startswith("跨平台網頁元件安裝說明（示範）")

    # 機關組織: 國立臺中科技大學 by 臺中 and by 台中
    page.get_by_role("banner").get_by_role("link", name="機關組織").click()
    for query in ("臺中", "台中"):
        page.get_by_label("機關名稱或代碼").fill(query)
        page.get_by_role("button", name="查詢").click()
        page.wait_for_url("**/ecpa/agencies/?q=*")
        assert page.locator("table.data").get_by_role("link", name="國立臺中科技大學", exact=True).is_visible()
    shoot(page, "screens-07-agency-directory")
    page.locator("table.data").get_by_role("link", name="國立臺中科技大學", exact=True).click()
    assert page.get_by_role("link", name="國立臺中科技大學人事室").is_visible()

    # a help page, 簡易操作 and 加盟機關 on e等公務園+
    page.goto("/ecpa/help/first-signin-browser/")
    assert page.get_by_role("heading", name="首次登入與瀏覽器設定", level=1).is_visible()
    shoot(page, "screens-08-help-page")
    page.goto("/elearn/")
    page.get_by_role("banner").get_by_role("link", name="簡易操作").click()
    page.wait_for_url("**/elearn/help/")
    page.get_by_label("搜尋說明").fill("台中")
    page.get_by_role("button", name="搜尋").click()
    assert page.get_by_text("臺中（台中）地區的機關如何找到自己的機關代碼？").is_visible()
    shoot(page, "screens-09-help-search")
    page.get_by_role("banner").get_by_role("link", name="加盟機關").click()
    page.wait_for_url("**/elearn/partners/")
    assert page.get_by_role("heading", name="加盟機關一覽表", level=1).is_visible()
    shoot(page, "screens-10-partners")

    assert csp.violations == []


def test_a_script_in_help_content_never_runs(page, db):
    HelpPage.objects.create(
        slug="hostile",
        title="惡意內容",
        body='<script>document.title="pwned"</script>\n\n<img src="x" onerror="document.title=\'pwned\'">\n\n'
        "<a href=\"javascript:document.title='pwned'\">點我</a>\n\n<svg onload=\"document.title='pwned'\"></svg>",
    )
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto("/elearn/help/hostile/")
    page.get_by_text("點我").click()
    page.wait_for_timeout(300)

    assert "pwned" not in page.title()
    assert page.locator("main script").count() == 0
    assert page.locator("[onerror], [onload]").count() == 0
    assert dialogs == []


@pytest.mark.parametrize(
    "path",
    ["/elearn/", "/elearn/signin/", "/ecpa/", "/ecpa/announcements/", "/ecpa/downloads/", "/ecpa/agencies/?q=台中",
     "/ecpa/help/cross-platform-component/", "/elearn/help/", "/elearn/partners/"],
)  # fmt: skip
def test_the_new_pages_fit_a_phone(browser, live_server, demo_site, path):
    from civlearn.identity.models import User
    from civlearn.testing.browser import sign_in

    context = browser.new_context(locale="zh-TW", base_url=live_server.url, viewport={"width": 390, "height": 844})
    phone = context.new_page()
    if path == "/ecpa/":
        sign_in(phone, User.objects.get(username="demo01"), live_server.url)
    phone.goto(path)

    overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    shoot(phone, "screens-phone" + path.replace("/", "-").replace("?", "-"))
    context.close()
    assert overflow <= 0
