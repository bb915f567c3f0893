"""Demo hours ledger (seed_demo): the manual's 113年度 records for the demo learner, some hours this year and the
years before, a few records for colleagues (for the HR view), and one agency rule. Idempotent: every record has a
fixed source reference, and the rule is looked up by its key."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from civlearn.core import clock
from civlearn.hours import rules
from civlearn.hours.models import RequirementRule
from civlearn.hours.services import LedgerRecord, ledger_entry_record
from civlearn.registry.models import Agency, Person

TAIPEI = ZoneInfo("Asia/Taipei")
LEARNER_ID = "A123456789"
INSTITUTION = "A15000000C"  # 行政院人事行政總處 (e等公務園+ is run by its training arm)

# (course name, code, hours, mode, job related): the records whose totals are the manual's 113年度 figures.
MANUAL_113 = [
    ("性別平等進階：職場性騷擾防治", "366", "4", 1, True),
    ("人權教育：兩公約導讀", "550", "1", 1, True),
    ("轉型正義與民主深化", "560", "6", 1, True),
    ("公務倫理與廉政", "540", "3", 1, True),
    ("行政中立實務", "7", "2", 1, True),
    ("環境教育：淨零生活", "337", "1", 1, True),
    ("氣候變遷調適", "339", "1", 1, True),
    ("資通安全實務（專業職能）", "521", "1", 1, True),
    ("資訊管理概論", "70", "1", 1, True),
]
THIS_YEAR = [
    ("當前政府重大政策：韌性臺灣", "510", "1", 1, False),
    ("環境教育：生物多樣性", "337", "2", 2, True),
    ("資通安全(通識)", "522", "3", 1, False),
    ("溝通協調", "123", "2", 3, True),
]
OLDER = [(2023, "永續發展與節能減碳", "336", "3", 2, False), (2022, "性別主流化基礎", "346", "2", 1, False)]


def _record(person: Person, reference: str, when: dt.datetime, name: str, code: str, hours: str, mode: int, job: bool):
    amount = Decimal(hours)
    record = LedgerRecord(
        source_kind="upload",
        source_reference=f"demo:{reference}",
        course_name=name,
        category_code=code,
        mode=mode,
        certified_hours=amount,
        digital_hours=amount if mode == 1 else Decimal("0"),
        physical_hours=Decimal("0") if mode == 1 else amount,
        actual_start=when - dt.timedelta(hours=float(amount)),
        actual_end=when,
        institution_code=INSTITUTION,
        period="1",
        job_related=job,
    )
    ledger_entry_record(person=person, record=record)


def seed() -> None:
    learner = Person.objects.filter(national_id=LEARNER_ID).first()
    if learner is None:
        return
    for number, (name, code, hours, mode, job) in enumerate(MANUAL_113, start=1):
        _record(learner, f"113-{number}", dt.datetime(2024, 3, number, 17, tzinfo=TAIPEI), name, code, hours, mode, job)
    year = clock.today().year
    if year > 2024:
        for number, (name, code, hours, mode, job) in enumerate(THIS_YEAR, start=1):
            when = dt.datetime(year, 1, 10 + number, 16, tzinfo=TAIPEI)
            _record(learner, f"{year}-{number}", when, name, code, hours, mode, job)
    for year_, name, code, hours, mode, job in OLDER:
        _record(learner, f"{year_}-1", dt.datetime(year_, 6, 1, 16, tzinfo=TAIPEI), name, code, hours, mode, job)

    # Colleagues at the same university, some short of 環境教育, for the HR view.
    for index, person in enumerate(Person.objects.filter(agency__code="A09600000Q").exclude(pk=learner.pk)[:10]):
        hours = str(1 + index % 5)
        when = dt.datetime(max(year, 2024), 2, 1 + index, 16, tzinfo=TAIPEI)
        _record(person, f"colleague-{person.pk}-env", when, "環境教育：水資源", "337", hours, 2, True)

    agency = Agency.objects.filter(code="A09600000Q").first()
    if agency is not None and not RequirementRule.objects.filter(agency=agency, key="campus-total").exists():
        total = RequirementRule.objects.create(
            key="campus-total", label="本校每年學習時數(50小時)", order=1, year_from=2024, agency=agency,
            minimum_hours=Decimal("50"), scope=RequirementRule.SCOPE_ALL,
        )  # fmt: skip
        RequirementRule.objects.create(
            key="campus-digital", label="其中數位學習(10小時)", order=2, year_from=2024, agency=agency, parent=total,
            minimum_hours=Decimal("10"), scope=RequirementRule.SCOPE_ALL, mode=1,
        )  # fmt: skip
        rules.invalidate()
