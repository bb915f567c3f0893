"""Operators pick 教材提供機關 by searching and the course category from the code table, not by typing ids."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_course_form_offers_pickers(client, operator, agency):
    client.force_login(operator)

    page = client.get("/admin/learning/course/add/").content.decode()

    provider = re.search(r'<select name="provider_agency"[^>]*>', page).group(0)
    assert 'data-ajax--url="/admin/autocomplete/"' in provider
    category = re.search(r'<select name="category_code".*?</select>', page, re.S).group(0)
    assert '<option value="337">' in category
    assert "環境教育（337）" in category
    assert 'class="vForeignKeyRawIdAdminField"' not in page


def test_the_agency_picker_searches_by_name(client, operator, agency):
    client.force_login(operator)

    response = client.get(
        "/admin/autocomplete/",
        {"term": agency.name[:4], "app_label": "learning", "model_name": "course", "field_name": "provider_agency"},
    )

    assert response.status_code == 200
    assert {"id": str(agency.pk), "text": str(agency)} in response.json()["results"]


def test_rules_and_institution_clients_pick_agencies_by_search(client, operator):
    client.force_login(operator)

    for url, field in (
        ("/admin/hours/requirementrule/add/", "agency"),
        ("/admin/hours/institutionclient/add/", "institution"),
    ):
        page = client.get(url).content.decode()
        select = re.search(rf'<select name="{field}"[^>]*>', page).group(0)
        assert 'data-ajax--url="/admin/autocomplete/"' in select, url
