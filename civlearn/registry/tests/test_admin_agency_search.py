"""The agency list and the admin's agency pickers search the folded name: 台中 finds 國立臺中科技大學."""

from __future__ import annotations

from civlearn.registry.models import Agency


def test_the_agency_picker_finds_tai_variants_alike(client, operator):
    Agency.objects.create(code="A09600000Q", name="國立臺中科技大學")
    Agency.objects.create(code="A01000000E", name="臺北市政府")
    client.force_login(operator)
    for term in ("台中", "臺中", "a096", "國立 台中"):
        found = client.get(
            "/admin/autocomplete/",
            {"term": term, "app_label": "learning", "model_name": "course", "field_name": "provider_agency"},
        ).json()
        assert [item["text"] for item in found["results"]] == ["國立臺中科技大學 (A09600000Q)"], term
    listed = client.get("/admin/registry/agency/", {"q": "台北"}).content.decode()
    assert "臺北市政府" in listed
    assert "國立臺中科技大學" not in listed
