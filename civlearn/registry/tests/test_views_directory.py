"""機關組織: search by name or code with the folded form (台/臺 alike), browse parents and sub-agencies."""

from __future__ import annotations

import re

from civlearn.registry.models import Agency


def names(html: str) -> list[str]:
    return re.findall(r'<td><a href="/ecpa/agencies/[0-9A-Z]+/">([^<]+)</a></td>', html)


def test_taichung_is_found_by_both_spellings_and_by_code(client, agency, sub_agency, other_agency):
    by_formal = client.get("/ecpa/agencies/", {"q": "臺中"}).content.decode()
    by_common = client.get("/ecpa/agencies/", {"q": "台中"}).content.decode()
    by_code = client.get("/ecpa/agencies/", {"q": "a09600000q"}).content.decode()

    assert names(by_formal) == names(by_common) == ["國立臺中科技大學", "國立臺中科技大學附設進修部"]
    assert "「台中」查詢結果：2 個機關" in by_common
    assert names(by_code) == ["國立臺中科技大學"]


def test_every_word_must_match_and_nothing_found_says_so(client, agency, sub_agency):
    assert names(client.get("/ecpa/agencies/", {"q": "台中 進修"}).content.decode()) == ["國立臺中科技大學附設進修部"]
    page = client.get("/ecpa/agencies/", {"q": "高雄"}).content.decode()
    assert "「高雄」查詢結果：0 個機關" in page
    assert "查無符合的機關" in page


def test_the_tree_shows_top_agencies_then_an_agencys_parent_and_children(client, agency, sub_agency, other_agency):
    top = client.get("/ecpa/agencies/").content.decode()
    detail = client.get("/ecpa/agencies/A09600001Q/").content.decode()
    parent = client.get("/ecpa/agencies/A09600000Q/").content.decode()

    assert '<a href="/ecpa/agencies/A09600000Q/">國立臺中科技大學</a>' in top and "（所屬機關 1 個）" in top
    assert '<a href="/ecpa/agencies/A09600001Q/">' not in top
    assert '<dt>上級機關</dt><dd><a href="/ecpa/agencies/A09600000Q/">國立臺中科技大學</a></dd>' in detail
    assert '<a href="/ecpa/agencies/A09600001Q/">國立臺中科技大學附設進修部</a>' in parent
    assert client.get("/ecpa/agencies/ZZZ/").status_code == 404


def test_search_reads_a_bounded_number_of_queries(client, db, django_assert_max_num_queries):
    Agency.objects.bulk_create(
        [
            Agency(code=f"B{n:08d}X", name=f"臺中市第{n}機關", search_text=f"臺中市第{n}機關 b{n:08d}x")
            for n in range(300)
        ]
    )

    # the results (parents joined) and the top-level tree
    with django_assert_max_num_queries(2):
        response = client.get("/ecpa/agencies/", {"q": "台中"})

    assert len(names(response.content.decode())) == 50


def test_saving_keeps_the_folded_search_text(db):
    agency = Agency.objects.create(code="A09600000Q", name="國立臺中科技大學")
    assert agency.search_text == "國立臺中科技大學 a09600000q"
    agency.name = "國立台中 科技大學"
    agency.save(update_fields=["name"])
    agency.refresh_from_db()
    assert agency.search_text == "國立臺中科技大學 a09600000q"


def test_the_import_writes_the_folded_search_text_for_new_and_renamed_agencies(db):
    from civlearn.registry.services import registry_import
    from civlearn.registry.tests.files import AGENCY_HEADER, csv_file

    Agency.objects.create(code="379000000A", name="台北市政府")
    rows = [AGENCY_HEADER, ["A09600000Q", "國立台中科技大學", ""], ["379000000A", "臺北市政府", ""]]

    result = registry_import(
        kind="agencies", file=csv_file(rows, name="agencies.csv"), filename="agencies.csv", actor=None
    )

    assert not result.errors
    assert dict(Agency.objects.values_list("code", "search_text")) == {
        "A09600000Q": "國立臺中科技大學 a09600000q",
        "379000000A": "臺北市政府 379000000a",
    }
