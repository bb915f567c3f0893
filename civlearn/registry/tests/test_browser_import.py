import pytest
from django.test import Client

from civlearn.registry.models import Person
from civlearn.testing.browser import shoot


def sign_in(page, user, live_server):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


@pytest.mark.browser
def test_hr_officer_uploads_a_file_with_the_keyboard_and_lands_on_the_result(
    page, live_server, hr_officer, agency, tmp_path
):
    sign_in(page, hr_officer, live_server)
    bad = tmp_path / "人員.csv"
    bad.write_bytes(
        "身分證字號,姓名,生日,機關代碼,任現職之實際到職日期\nA123456788,王小明,0610101,A09600000Q,1040801\n".encode(
            "cp950"
        )
    )

    page.goto("/registry/import")
    page.get_by_label("檔案", exact=True).set_input_files(str(bad))
    page.get_by_label("僅檢查，不寫入").focus()
    page.keyboard.press("Tab")  # to the submit button
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.evaluate("document.activeElement.id") == "result"
    assert page.locator("#result-heading").inner_text().strip() == "檔案有 1 項錯誤，未寫入任何資料"
    assert page.locator("table.import-errors tbody tr").all_inner_texts() == ["2\t身分證字號\t身分證字號檢查碼不正確"]
    assert Person.objects.filter(name="王小明").count() == 0
    shoot(page, "ops-registry-import-job-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "ops-registry-import-job-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The job is listed on the import page, to come back to.
    page.goto("/registry/import")
    page.get_by_role("link", name="人員.csv").click()
    page.locator("#result-heading").wait_for()
