"""The axe-core helper finds what it should: a page with a known WCAG A failure reports it; a clean one does not."""

from __future__ import annotations

import pytest

from civlearn.testing.axe import assert_no_axe_violations, axe, describe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_axe_reports_an_image_without_a_text_alternative_and_a_field_without_a_label(page):
    page.set_content(
        '<!doctype html><html lang="en"><head><title>t</title></head><body><main><h1>t</h1>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text"></main></body></html>'
    )
    violations = axe(page)
    assert {v["id"] for v in violations} == {"image-alt", "label"}
    assert "image-alt (critical)" in describe(violations)
    with pytest.raises(AssertionError, match=r"axe-core: 2 rule\(s\) violated on the sample page"):
        assert_no_axe_violations(page, "the sample page")


def test_axe_runs_under_the_sites_content_security_policy(page):
    # The site's CSP (script-src 'self') blocks inline scripts: the helper must still inject axe-core.
    page.goto("/elearn/verify/")
    assert_no_axe_violations(page, "證書查驗")
