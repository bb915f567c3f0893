"""網站宗旨 in Chromium: the front page's menu opens it; an operator's body carrying a script (a tag, an event
attribute) shows its text and runs nothing; zh-Hant and English at 390 and 1280 px, axe-core clean."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import expect

from civlearn.content.models import HelpPage
from civlearn.testing.axe import assert_no_axe_violations
from civlearn.testing.browser import shoot

pytestmark = pytest.mark.django_db(transaction=True)


def _seed() -> None:
    # A transactional test empties the tables the migration seeded: put the two pages back as migrated.
    from importlib import import_module

    from django.apps import apps

    import_module("civlearn.content.migrations.0003_site_pages_purpose_and_audience").seed(apps, None)


@pytest.mark.parametrize("language", ["zh-hant", "en"])
def test_the_purpose_page_from_the_front_page_runs_no_script(page, live_server, language):
    _seed()
    HelpPage.objects.filter(slug="purpose").update(
        body="培養**終身學習**的公務文化。\n\n"
        '<script>window.ran = "script"</script><img src="/nothing.png" alt="" onerror="window.ran = \'onerror\'">'
    )
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    page.goto("/lifelong/")
    page.get_by_role("link", name="網站宗旨" if language == "zh-hant" else "About this site").click()

    expect(page).to_have_url(f"{live_server.url}/lifelong/about/purpose/")
    expect(page.get_by_role("heading", level=1)).to_have_text("網站宗旨")
    expect(page.locator("article strong")).to_have_text("終身學習")
    page.wait_for_load_state("load")
    assert page.evaluate("() => window.ran") is None
    for label, width in (("390", 390), ("1280", 1280)):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") == 0
        shoot(page, f"site-page-purpose-{language}-{label}")
        assert_no_axe_violations(page, f"網站宗旨 ({language}, {label} px)")
