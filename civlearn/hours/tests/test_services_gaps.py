"""An agency's cutoffs and reminder settings, the conflict check of its rules, and the HR office's weekly digest."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civlearn.core import clock
from civlearn.core.models import AuditEvent
from civlearn.hours import gaps_digest, services
from civlearn.hours.models import AgencyCutoff, AgencyGapPolicy, AtRiskSnapshot, RequirementRule
from civlearn.hours.tests.factories import record, taipei
from conftest import message_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _autumn():
    clock.travel_to(taipei(2026, 10, 5, 9))  # a Monday


def test_a_cutoff_is_set_changed_and_audited(agency, hr_officer):
    services.agency_cutoff_set(
        actor=hr_officer, agency=agency, year=2026, staff_kind="permanent", cutoff=dt.date(2026, 11, 30)
    )
    row = services.agency_cutoff_set(
        actor=hr_officer, agency=agency, year=2026, staff_kind="permanent", cutoff=dt.date(2026, 11, 20)
    )

    assert list(AgencyCutoff.objects.values_list("staff_kind", "cutoff")) == [("permanent", dt.date(2026, 11, 20))]
    event = AuditEvent.objects.filter(action="hours.agency_cutoff_set").order_by("-id").first()
    assert (event.subject_id, event.changes["cutoff"]) == (str(row.pk), ["2026-11-30", "2026-11-20"])


def test_a_cutoff_outside_its_year_is_refused_and_nothing_changes(agency, hr_officer):
    with pytest.raises(ValidationError) as refused:
        services.agency_cutoff_set(
            actor=hr_officer, agency=agency, year=2026, staff_kind="contract", cutoff=dt.date(2027, 1, 31)
        )

    assert refused.value.message_dict == {
        "cutoff": ["截止日 116/01/31 不在民國 115 年度內（應介於 115/01/01 至 115/12/31）"]
    }
    assert not AgencyCutoff.objects.exists()
    assert not AuditEvent.objects.filter(action="hours.agency_cutoff_set").exists()


def test_another_agencys_hr_may_not_set_a_cutoff(agency, other_hr_officer):
    with pytest.raises(PermissionDenied):
        services.agency_cutoff_set(
            actor=other_hr_officer, agency=agency, year=2026, staff_kind="all", cutoff=dt.date(2026, 11, 30)
        )
    assert not AgencyCutoff.objects.exists()


@pytest.mark.parametrize(
    ("days", "email", "errors"),
    [
        (0, "", {"reminder_days": ["提醒天數應介於 1 至 365 天"]}),
        (400, "", {"reminder_days": ["提醒天數應介於 1 至 365 天"]}),
        (30, "not-an-address", {"digest_email": ["每週摘要收件信箱格式不正確"]}),
    ],
)
def test_bad_reminder_settings_are_refused(agency, hr_officer, days, email, errors):
    with pytest.raises(ValidationError) as refused:
        services.agency_gap_policy_set(actor=hr_officer, agency=agency, reminder_days=days, digest_email=email)
    assert refused.value.message_dict == errors
    assert not AgencyGapPolicy.objects.exists()


def test_an_agency_rule_no_higher_than_the_national_one_for_the_same_courses_is_refused(agency, hr_officer):
    before = RequirementRule.objects.count()
    environment = RequirementRule.objects.get(key="environment", agency__isnull=True)
    with pytest.raises(ValidationError) as refused:
        services.agency_rule_create(
            actor=hr_officer, agency=agency, label="本校環境教育", minimum_hours=Decimal("2"), year_from=2026,
            codes=list(environment.codes["2024"]),
        )  # fmt: skip

    assert refused.value.message_dict == {
        "minimum_hours": [
            "與全國規定「環境教育(4小時)」衝突：計入的課程相同，本機關規定 2.0 小時不高於全國規定 4.0 小時"
            "（全國規定已適用於所有人員）；請設定高於 4.0 小時"
        ]
    }
    assert RequirementRule.objects.count() == before
    # A higher minimum for the same courses is an agency's own stricter rule.
    services.agency_rule_create(
        actor=hr_officer, agency=agency, label="本校環境教育(6小時)", minimum_hours=Decimal("6"), year_from=2026,
        codes=list(environment.codes["2024"]),
    )  # fmt: skip
    assert RequirementRule.objects.count() == before + 1


def test_the_weekly_digest_lists_the_staff_at_risk_and_the_trend(agency, hr_officer, learner_person, smtp_server):
    record(learner_person, code="337", hours="2", end=taipei(2026, 3, 1))

    assert gaps_digest.digests_send() == 1
    assert gaps_digest.digests_send() == 0  # once a week
    first = smtp_server.wait_for(1)[0]
    assert first["To"] == "hr@example.tw"
    assert first["Subject"].strip() == "【終身學習入口網站】115年度學習時數缺口週報（國立臺中科技大學）"
    body = message_text(first)
    assert "截至 115/10/05，在職 2 人中有 2 人尚未完成 115 年度學習時數規定，合計至少尚缺 18 小時。" in body
    assert "（本週為第一份週報，下週起顯示與前一週的比較。）" in body
    html = first.get_body(preferencelist=("html",)).get_content()
    assert "<li>王小明（國立臺中科技大學）至少尚缺 8 小時；截止日 115/12/31，剩 87 天；" in html
    assert "・王小明（國立臺中科技大學）至少尚缺 8 小時；截止日 115/12/31，剩 87 天；" in body

    clock.travel_to(taipei(2026, 10, 12, 9))
    record(learner_person, code="337", hours="2", end=taipei(2026, 10, 10))
    assert gaps_digest.digests_send() == 1
    second = message_text(smtp_server.wait_for(2)[1])
    assert (
        "與上週（115/10/05 週）相比：尚有缺口人數 2 → 2（+0），缺口時數 18 → 16 小時；新增 0 人，已補足 0 人。"
    ) in second
    assert "・王小明（國立臺中科技大學）至少尚缺 6 小時（上週 8 小時）；截止日 115/12/31，剩 80 天；" in second
    assert list(AtRiskSnapshot.objects.order_by("week").values_list("week", "at_risk", "missing_tenths")) == [
        (dt.date(2026, 10, 5), 2, 180),
        (dt.date(2026, 10, 12), 2, 160),
    ]


def test_the_digest_goes_to_the_address_the_agency_set(agency, hr_officer, smtp_server):
    services.agency_gap_policy_set(actor=hr_officer, agency=agency, reminder_days=30, digest_email="jinshi@example.tw")

    gaps_digest.digests_send()

    assert smtp_server.wait_for(1)[0]["To"] == "jinshi@example.tw"
