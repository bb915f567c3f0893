"""The catalogue's category tree: built once per rule book, and rebuilt when any process changes the tables."""

from __future__ import annotations

import pytest

from civlearn.hours import rules
from civlearn.hours.models import Category, CategoryTable
from civlearn.learning.categories import category_choices, category_name, category_path


@pytest.mark.django_db
def test_a_renamed_category_is_seen_once_the_rule_book_is_invalidated():
    # given the tree read once (the table in force since 2024)
    assert category_name("337") == "環境教育"
    assert category_name("337") == "環境教育"

    # when an operator renames the category and the change is announced to every process
    table = CategoryTable.objects.get(name="2024")
    Category.objects.filter(table=table, code="337").update(name="環境教育（新）")
    rules.invalidate()

    # then the next read has the new name, in paths and filter options too
    assert category_name("337") == "環境教育（新）"
    assert [node.name for node in category_path("337")][-1] == "環境教育（新）"
    assert ("337", "　　環境教育（新）（337）") in category_choices({"337"})
