"""學習資訊中心 search: 台/臺 alike, category subtree, the yearly requirement by the summary's own rule, filters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from civlearn.hours.classes import offerings, selectors
from civlearn.hours.classes.selectors import ClassQuery
from civlearn.hours.models import RequirementRule
from civlearn.hours.tests.classes_fixtures import approved_institution, at_today, class_row, two_code_rows


@pytest.fixture
def classes(learner):
    at_today()
    institution = approved_institution(learner)
    offerings.offerings_save(
        actor=learner,
        institution=institution,
        records=[
            *two_code_rows(),
            (
                4,
                class_row(
                    class_code="LAW",
                    title="臺北公文寫作班",
                    category_code="510",
                    county_code="10",
                    mode="3",
                    digital_hours="1",
                    physical_hours="1",
                    description="",
                    place="臺北市中正區",
                ),
            ),
        ],
    )
    return institution


def titles(query: ClassQuery) -> list[str]:
    return [offering.title for offering in selectors.offerings_search(query)]


def test_search_filters(classes, django_assert_max_num_queries):
    environment = RequirementRule.objects.get(key="environment").pk
    env, law = "臺中氣候變遷與環境教育研習班", "臺北公文寫作班"
    # both classes are given by 台中市立人文學苑: the institution's name is searched too
    assert titles(ClassQuery(keyword="台中")) == [env, law]
    assert titles(ClassQuery(keyword="台中氣候")) == [env]
    assert titles(ClassQuery(keyword="臺中 氣候")) == [env]
    assert titles(ClassQuery(keyword="台北")) == [law]
    assert titles(ClassQuery(category_code="337")) == [env]  # 339 is under 337
    assert titles(ClassQuery(category_code="510")) == [env, law]
    assert titles(ClassQuery(requirement_id=environment)) == [env]
    assert titles(ClassQuery(keyword="台中", requirement_id=environment, open_now=True)) == [env]
    assert titles(ClassQuery(keyword="台中市立人文學苑")) == [env, law]
    assert titles(ClassQuery(county_code="10")) == [law]
    assert titles(ClassQuery(mode=3)) == [law]
    assert titles(ClassQuery(hours_min=Decimal("3"))) == [env]
    assert titles(ClassQuery(hours_max=Decimal("2"))) == [law]
    assert titles(ClassQuery(date_from=dt.date(2026, 12, 16))) == []
    assert titles(ClassQuery(institution_id=classes.pk)) == [env, law]
    assert "環境教育(4小時)" in dict(selectors.requirement_choices(year=2026)).values()
    with django_assert_max_num_queries(2):
        assert len(titles(ClassQuery(keyword="班", requirement_id=environment))) == 1


@pytest.mark.parametrize(
    ("keyword", "expected"),
    [
        ("班", ["臺中氣候變遷與環境教育研習班", "臺北公文寫作班"]),  # one character: no pieces, `contains` alone
        ("301教室", ["臺中氣候變遷與環境教育研習班"]),  # digits and Chinese in one piece
        ("ＥＮＶ", []),  # the class code is not searched (only title, description, institution, place, county)
        ("變遷與環境", ["臺中氣候變遷與環境教育研習班"]),
        ("環境變遷", []),  # every piece but 境變 is in the text; not a substring, not found
        ("公文 寫作", ["臺北公文寫作班"]),
        ("淨零排放", ["臺中氣候變遷與環境教育研習班"]),  # the description
        ("中正區", ["臺北公文寫作班"]),  # the place
    ],
)
def test_keyword_pieces_never_lose_or_add_a_match(classes, keyword, expected):
    assert titles(ClassQuery(keyword=keyword)) == expected


def test_count_stops_after_the_cap(classes):
    everything = selectors.offerings_search(ClassQuery())
    assert selectors.capped_count(everything, cap=1) == 2  # "more than 1"
    assert selectors.capped_count(everything, cap=5) == 2


def test_search_page_says_more_than_the_cap(client, classes, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 1)
    page = client.get("/lifelong/classes/", {"q": "台中"}).content.decode()
    assert "超過 1 班" in page
    assert "請加上關鍵字、縣市或日期等條件縮小範圍" in page
    page = client.get("/lifelong/classes/", {"q": "台北"}).content.decode()
    assert "共 1 班" in page


@pytest.mark.postgresql
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the pieces' GIN index is PostgreSQL's")
def test_keyword_search_uses_the_pieces_index(classes):
    queryset = selectors.offerings_search(ClassQuery(keyword="台中"))
    with connection.cursor() as cursor:
        # The planner would scan two rows rather than use any index; off, the index is what it must choose.
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "hours_class_search_grams" in plan
