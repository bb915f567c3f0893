import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from civlearn.core import clock
from civlearn.hours.tests.factories import MANUAL_113_FIGURES, record, record_manual_113, taipei

pytestmark = pytest.mark.django_db


class TableText(HTMLParser):
    """Rows of the table with the given class, as lists of cell texts."""

    def __init__(self, css_class):
        super().__init__()
        self.css_class, self.depth, self.rows, self.cell = css_class, 0, [], None

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table" and (self.depth or self.css_class in classes):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join(self.cell.split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def table(html, css_class):
    parser = TableText(css_class)
    parser.feed(html)
    return parser.rows


def text(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def in_2024():
    """Today is 2024-03-21 in Taipei, as on the manual's screenshots."""
    clock.advance(taipei(2024, 3, 21, 10) - clock.now())


def test_hours_page_shows_the_manual_summary_table_exactly(client, learner, in_2024):
    record_manual_113(learner.person)
    client.force_login(learner)

    response = client.get("/lifelong/folder/hours/")

    assert response.status_code == 200
    html = response.content.decode()
    assert table(html, "summary-table") == [[label, f"{hours}小時"] for label, hours in MANUAL_113_FIGURES]
    page = text(html)
    assert "註：閱讀完課程，通常需三個工作天時間，系統才會匯入時數" in page
    assert "※下方業務相關欄位之「*」號表示該課程與業務相關" in page
    assert "請 按此下載(Excel檔) 按此下載(ODF檔) 113年度的學習時數資料, 請 按此列印 113年度的學習時數資料" in page
    assert "您的學習時數資料如下：" in page
    assert "登入單位 國立臺中科技大學 (A09600000Q)" in page
    assert 'value="113"' in html


def test_hours_page_lists_records_and_requirement_status(client, learner, in_2024):
    record_manual_113(learner.person)
    client.force_login(learner)

    html = client.get("/lifelong/folder/hours/").content.decode()

    records = table(html, "records")
    assert records[0] == ["課程名稱", "期別", "學習機關(構)", "課程類別", "學習性質", "上課日期", "數位時數",
                          "實體時數", "訓練總數", "業務相關"]  # fmt: skip
    # 業務相關: a visible asterisk hidden from screen readers, which read the visually hidden 與業務相關 instead.
    assert records[1] == ["手冊課程01", "1", "國立臺中科技大學", "366 性別平等進階課程", "數位", "113/03/01", "4", "0",
                          "4", "*與業務相關"]  # fmt: skip
    assert len(records) == 1 + 9
    assert table(html, "requirements")[1:] == [
        ["每年必須完成之課程總學習時數(10小時)", "10小時", "19小時", "已達成"],
        ["當前政府重大政策(1小時)", "1小時", "1小時", "已達成"],
        ["環境教育(4小時)", "4小時", "2小時", "尚缺 2 小時"],
        [
            "性別平等、廉政與服務倫理、人權教育、轉型正義、行政中立、多元族群文化、公民參與(5小時)",
            "5小時",
            "16小時",
            "已達成",
        ],
    ]


def test_filters_by_course_name_period_and_roc_year(client, learner, in_2024):
    record(learner.person, course_name="資安通識", period="第2期", code="522")
    record(learner.person, course_name="資安通識", period="第3期", code="522")
    record(learner.person, course_name="環境講座", period="第2期", code="337")
    record(learner.person, course_name="去年的課", code="337", end=taipei(2023, 5, 1))
    client.force_login(learner)

    def names(query):
        return [row[0] for row in table(client.get(f"/lifelong/folder/hours/?{query}").content.decode(), "records")[1:]]

    assert names("course_name=資安&period=2") == ["資安通識"]
    assert names("period=第2期") == ["資安通識", "環境講座"]
    assert names("year=112") == ["去年的課"]
    assert names("") == ["資安通識", "資安通識", "環境講座"]


def test_bad_year_is_named_and_this_year_is_shown(client, learner, in_2024):
    record(learner.person, course_name="今年的課")
    client.force_login(learner)

    html = client.get("/lifelong/folder/hours/?year=abc").content.decode()

    assert "年度請輸入民國年數字，例如：113" in html
    assert 'aria-invalid="true"' in html
    assert "查詢條件有誤，以下顯示113年度的資料。" in text(html)
    assert [row[0] for row in table(html, "records")[1:]] == ["今年的課"]


def test_summary_tab_shows_this_year_and_years_before(client, learner, in_2024):
    record(learner.person, code="337", hours="4")
    record(learner.person, hours="3", code="337", end=taipei(2022, 8, 1))
    client.force_login(learner)

    html = client.get("/lifelong/folder/").content.decode()

    assert "通過總學習時數 4小時" in text(html)
    assert table(html, "requirements")[3] == ["環境教育(4小時)", "4小時", "4小時", "已達成"]
    assert '<a href="/lifelong/folder/hours/?year=111">111</a>' in html


def test_pages_need_sign_in_and_never_show_the_full_id(client, learner, in_2024):
    for url in ("/lifelong/folder/", "/lifelong/folder/hours/", "/lifelong/folder/hours/print/",
                "/lifelong/folder/hours/export.xlsx"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/ecpa/signin")

    client.force_login(learner)
    html = client.get("/lifelong/folder/hours/print/").content.decode()
    assert "A12345****" in html
    assert "A123456789" not in html


def test_account_without_person_gets_a_clear_page(client, operator):
    client.force_login(operator)

    response = client.get("/lifelong/folder/hours/")

    assert response.status_code == 403
    assert "此帳號未連結人事資料，沒有個人學習時數。" in response.content.decode()


def test_a_learner_sees_only_their_own_records(client, learner, hr_officer, in_2024):
    record(hr_officer.person, course_name="別人的課")
    record(learner.person, course_name="自己的課")
    client.force_login(learner)

    html = client.get("/lifelong/folder/hours/").content.decode()

    assert "自己的課" in html and "別人的課" not in html


def test_hours_page_query_count_does_not_grow_with_records(client, learner, in_2024, django_assert_max_num_queries):
    client.force_login(learner)
    client.get("/lifelong/folder/hours/")  # builds the rule book
    record_manual_113(learner.person)
    for day in range(1, 28):
        record(learner.person, code="337", end=taipei(2024, 2, day))
    client.get("/lifelong/folder/hours/")

    # session, user, person, agency, HR roles (header), entries, summary, institution names
    with django_assert_max_num_queries(8):
        response = client.get("/lifelong/folder/hours/")

    assert response.status_code == 200


def test_front_page_lists_current_announcements(client, operator, in_2024):
    from civlearn.content.models import Announcement

    Announcement.objects.create(title="113年1月1日起課程類別代碼表", published_on=dt.date(2023, 12, 28))
    Announcement.objects.create(title="「學習性質」欄位新增「遠距學習」", published_on=dt.date(2022, 1, 1))
    Announcement.objects.create(title="已下架", published_on=dt.date(2020, 1, 1), show_until=dt.date(2020, 2, 1))
    Announcement.objects.create(title="未公開", published_on=dt.date(2024, 1, 1), is_published=False)

    page = text(client.get("/lifelong/").content.decode())

    assert "» [1121228] 113年1月1日起課程類別代碼表 » [1110101] 「學習性質」欄位新增「遠距學習」" in page
    assert "已下架" not in page and "未公開" not in page


def test_manage_link_only_for_hr_officers(client, learner, hr_officer):
    client.force_login(learner)
    assert "進入管理介面" not in client.get("/lifelong/folder/").content.decode()

    client.force_login(hr_officer)
    assert '<a href="/lifelong/manage/">進入管理介面</a>' in client.get("/lifelong/folder/").content.decode()
