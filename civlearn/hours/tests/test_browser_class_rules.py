"""Chromium, 1280 and 390 px: a class's 主管/職等 rules and the reason a learner is refused on its detail page, and a
search with more matches than the page counts; axe-core finds nothing on either."""

from __future__ import annotations

import pytest

from civlearn.hours.classes import offerings, selectors
from civlearn.hours.tests.classes_fixtures import approved_institution, at_today, two_code_rows
from civlearn.testing.axe import assert_no_axe_violations
from civlearn.testing.browser import shoot, sign_in


@pytest.fixture(autouse=True)
def _seed_tables():
    import importlib

    from django.apps import apps

    from civlearn.hours import rules
    from civlearn.hours.models import CategoryTable

    if not CategoryTable.objects.exists():
        importlib.import_module("civlearn.hours.migrations.0002_seed_tables_and_rules").seed(apps, None)
    rules.invalidate()


def test_rules_and_refusal_reason_at_both_widths(page, browser, live_server, learner, operator, monkeypatch):
    at_today()
    institution = approved_institution(operator)
    offering = offerings.offerings_save(
        actor=operator,
        institution=institution,
        records=[
            *two_code_rows(supervisor_only="是", rank_grade_min="6", rank_grade_max="9"),
            (4, two_code_rows(class_code="OTHER")[0][1]),
        ],
    ).offerings[0]
    monkeypatch.setattr(selectors, "COUNT_CAP", 1)
    learner.person.is_supervisor = True
    learner.person.save()

    phone = browser.new_context(locale="zh-TW", base_url=live_server.url, viewport={"width": 390, "height": 844})
    for width, tab in (("1280", page), ("390", phone.new_page())):
        sign_in(tab, learner, live_server.url)
        tab.goto(f"/lifelong/classes/{offering.pk}")
        assert "限主管；限薦任第6職等至第9職等" in tab.locator("main").inner_text()
        assert tab.get_by_text("本班限薦任第6職等至第9職等報名，您的人事資料未記載官等職等").is_visible()
        shoot(tab, f"classes-rules-detail-{width}")
        assert_no_axe_violations(tab, f"class detail with rules ({width} px)")

        tab.goto("/lifelong/classes/?q=台中")
        assert tab.get_by_role("heading", name="超過 1 班").is_visible()
        shoot(tab, f"classes-rules-search-capped-{width}")
        assert_no_axe_violations(tab, f"capped search ({width} px)")
    phone.close()
