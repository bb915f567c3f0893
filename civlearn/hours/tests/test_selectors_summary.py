from decimal import Decimal

import pytest

from civlearn.hours import rules
from civlearn.hours.models import RequirementRule
from civlearn.hours.selectors import entries_for_year, year_summaries, year_summary
from civlearn.hours.services import ledger_entry_reverse
from civlearn.hours.tests.factories import MANUAL_113_FIGURES, record, record_manual_113, taipei
from civlearn.testing.required import postgresql_only

pytestmark = pytest.mark.django_db


def figures(summary):
    return [(row.label, f"{row.hours.normalize():f}") for row in summary.rows]


def test_manual_figures_come_out_of_the_manual_records(learner_person):
    record_manual_113(learner_person)

    summary = year_summary(person=learner_person, year=2024)

    assert figures(summary) == MANUAL_113_FIGURES


def test_requirement_status_says_what_is_missing(learner_person):
    record_manual_113(learner_person)

    summary = year_summary(person=learner_person, year=2024)

    status = [(row.key, row.minimum, row.met, row.missing, row.depth) for row in summary.requirements]
    assert status == [
        ("required-total", Decimal("10.0"), True, Decimal("0.0"), 0),
        ("policy", Decimal("1.0"), True, Decimal("0.0"), 1),
        ("environment", Decimal("4.0"), False, Decimal("2.0"), 1),
        ("values", Decimal("5.0"), True, Decimal("0.0"), 1),
    ]
    assert summary.all_met is False


def test_a_code_counts_with_its_whole_subtree(learner_person):
    record(learner_person, code="345", hours="1.5")  # 社區參與 under 環境教育 337
    record(learner_person, code="350", hours="2")  # 婦女政治參與 under 347 under 性別平等基礎 346

    summary = year_summary(person=learner_person, year=2024)

    assert summary.row("environment").hours == Decimal("1.5")
    assert summary.row("gender-basic").hours == Decimal("2.0")
    assert summary.row("values").hours == Decimal("2.0")
    assert summary.row("gender-advanced").hours == Decimal("0")


def test_an_entry_in_overlapping_rows_counts_in_each_but_once_in_the_total(learner_person):
    record(learner_person, code="521", hours="3")

    summary = year_summary(person=learner_person, year=2024)

    assert [summary.row(key).hours for key in ("infosec", "infosec-professional", "policy", "required-total")] == [
        Decimal("3.0"),
        Decimal("3.0"),
        Decimal("3.0"),
        Decimal("3.0"),
    ]


def test_required_total_is_the_union_of_its_components_not_their_capped_sum(learner_person):
    record(learner_person, code="560", hours="9")
    record(learner_person, code="800", hours="5")  # 自我成長: in no required group

    summary = year_summary(person=learner_person, year=2024)

    assert summary.row("values").hours == Decimal("9.0")
    assert summary.row("required-total").hours == Decimal("9.0")
    assert summary.row("required-total").met is False
    assert summary.total == Decimal("14.0")


def test_modes_and_flags_have_their_own_rows(learner_person):
    record(learner_person, mode=2, hours="3", self_applied_leave=True)
    record(learner_person, mode=3, hours="2", job_related=True)
    record(learner_person, mode=4, hours="1")

    summary = year_summary(person=learner_person, year=2024)

    keys = ("total", "digital", "physical", "blended", "remote", "self-leave", "job-related")
    assert [summary.row(key).hours for key in keys] == [
        Decimal("6.0"),
        Decimal("0"),
        Decimal("3.0"),
        Decimal("2.0"),
        Decimal("1.0"),
        Decimal("3.0"),
        Decimal("2.0"),
    ]


def test_year_boundary_in_taipei_time(learner_person):
    record(learner_person, hours="2", end=taipei(2024, 12, 31, 23, 30))
    record(learner_person, hours="5", end=taipei(2025, 1, 1, 0, 30))

    assert year_summary(person=learner_person, year=2024).total == Decimal("2.0")
    assert year_summary(person=learner_person, year=2025).total == Decimal("5.0")


def test_no_2024_rules_before_2024_and_old_codes_still_count(learner_person):
    record(learner_person, code="366", hours="2", end=taipei(2023, 6, 1))

    summary = year_summary(person=learner_person, year=2023)

    assert summary.requirements == ()
    assert summary.row("gender-advanced").hours == Decimal("2.0")


def test_reversed_entries_net_out_and_leave_the_list(learner_person, hr_officer):
    kept, _ = record(learner_person, code="337", hours="4")
    wrong, _ = record(learner_person, code="337", hours="4")

    ledger_entry_reverse(entry=wrong, reason="重複上傳", actor=hr_officer)

    assert year_summary(person=learner_person, year=2024).row("environment").hours == Decimal("4.0")
    assert list(entries_for_year(person=learner_person, year=2024)) == [kept]


def agency_rules(agency):
    total = RequirementRule.objects.create(
        key="campus-total", label="本校全年學習(50小時)", year_from=2024, agency=agency,
        minimum_hours=Decimal("50"), scope="all", order=1,
    )  # fmt: skip
    RequirementRule.objects.create(
        key="campus-digital", label="其中數位學習(10小時)", year_from=2024, agency=agency, parent=total,
        minimum_hours=Decimal("10"), scope="all", mode=1, order=2,
    )  # fmt: skip
    rules.invalidate()


def test_agency_rule_is_seen_by_its_staff_and_sub_agencies_staff_only(learner_person, sub_agency, other_agency):
    from conftest import make_person

    agency_rules(learner_person.agency)
    sub_person = make_person(sub_agency, "D120000000", "附設人員")
    other_person = make_person(other_agency, "F131104093", "他機關")
    for person in (learner_person, sub_person, other_person):
        record(person, hours="12", mode=1)
        record(person, hours="8", mode=2)

    for person in (learner_person, sub_person):
        summary = year_summary(person=person, year=2024)
        status = [(row.key, row.hours, row.met, row.missing, row.agency_code) for row in summary.requirements[4:]]
        assert status == [
            ("campus-total", Decimal("20.0"), False, Decimal("30.0"), "A09600000Q"),
            ("campus-digital", Decimal("12.0"), True, Decimal("0.0"), "A09600000Q"),
        ]
    assert [row.key for row in year_summary(person=other_person, year=2024).requirements] == [
        "required-total",
        "policy",
        "environment",
        "values",
    ]


def test_rules_apply_within_their_years(learner_person):
    RequirementRule.objects.filter(agency__isnull=True).update(year_to=2024)
    rules.invalidate()
    record(learner_person, end=taipei(2025, 2, 1))

    assert [row.key for row in year_summary(person=learner_person, year=2025).requirements] == []
    assert len(year_summary(person=learner_person, year=2024).requirements) == 4


def test_summary_is_one_query_once_the_rule_book_is_built(learner_person, django_assert_max_num_queries):
    record_manual_113(learner_person)
    year_summary(person=learner_person, year=2024)

    with django_assert_max_num_queries(1):
        summary = year_summary(person=learner_person, year=2024)

    assert summary.total == Decimal("20.0")


def test_many_summaries_in_one_query(learner_person, sub_agency, django_assert_max_num_queries):
    from conftest import make_person

    other = make_person(sub_agency, "D120000000", "附設人員")
    record_manual_113(learner_person)
    record(other, code="337", hours="4")
    rules.book()

    with django_assert_max_num_queries(1):
        summaries = year_summaries(persons=[learner_person, other], year=2024)

    assert figures(summaries[learner_person.pk]) == MANUAL_113_FIGURES
    assert summaries[other.pk].row("environment").met is True


def test_the_summary_query_is_answered_from_the_covering_index_on_postgresql(learner_person):
    """Every column the summary reads is in hours_ledger_person_year_cov: a column added to the query but not to
    the index would send each summary back to ≈ 5 scattered heap pages on a national ledger."""
    from django.db import connection

    from civlearn.hours.selectors import _fact_rows

    postgresql_only("index-only scans are PostgreSQL's")
    record_manual_113(learner_person)
    query = _fact_rows(person_id=learner_person.pk, year=2024)
    with connection.cursor() as cursor:
        # A handful of rows would be read by a sequential scan otherwise; the question is whether the index covers.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        sql, params = query.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Index Only Scan using hours_ledger_person_year_cov" in plan


def test_the_ledger_is_vacuumed_after_one_percent_of_new_rows_on_postgresql():
    """Index-only scans need new rows' pages marked all-visible soon, not after 20 % of the table is new."""
    from django.db import connection

    postgresql_only("autovacuum is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'hours_ledgerentry'")
        options = cursor.fetchone()[0]

    assert sorted(options) == ["autovacuum_vacuum_insert_scale_factor=0.01", "autovacuum_vacuum_insert_threshold=10000"]


def test_category_rows_are_the_table_in_force_as_the_catalogue_reads_it(db):
    import csv
    import datetime as dt
    from pathlib import Path

    from civlearn.hours import selectors

    source = Path(selectors.__file__).resolve().parent / "data" / "categories-2024.csv"
    with source.open(encoding="utf-8") as handle:
        expected = sorted(
            ({"code": r["code"], "name": r["name"], "parent_code": r["parent_code"]}
             for r in csv.DictReader(line for line in handle if not line.startswith("#"))),
            key=lambda row: row["code"],
        )  # fmt: skip

    rows = selectors.category_rows(day=dt.date(2024, 3, 1))

    assert rows == expected
    assert {"code": "522", "name": "資通安全(通識)", "parent_code": "520"} in rows
    # the day decides the table: in 2015 the 2015 table was in force
    assert {row["code"] for row in selectors.category_rows(day=dt.date(2015, 6, 1))} != {row["code"] for row in rows}
    assert selectors.category_rows(day=dt.date(2000, 1, 1)) == []
