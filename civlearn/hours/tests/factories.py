"""Helpers for hours tests: record an entry with sensible defaults."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

from civlearn.hours.services import LedgerRecord, ledger_entry_record

TAIPEI = ZoneInfo("Asia/Taipei")
_refs = itertools.count(1)


def taipei(year, month, day, hour=9, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TAIPEI)


def record(person, *, hours="1", code="510", mode=1, end=None, reference=None, **extra):
    """Record `hours` certified hours (all digital for mode 1, else all physical) of `code`, ending at `end`."""
    hours = Decimal(hours)
    end = end or taipei(2024, 3, 20, 17)
    values = {
        "source_kind": "upload",
        "source_reference": reference or f"test-{next(_refs)}",
        "course_name": f"課程 {code}",
        "category_code": code,
        "mode": mode,
        "certified_hours": hours,
        "digital_hours": hours if mode == 1 else Decimal("0"),
        "physical_hours": Decimal("0") if mode == 1 else hours,
        "actual_start": end - dt.timedelta(hours=1),
        "actual_end": end,
        "institution_code": "A09600000Q",
    }
    values.update(extra)
    actor = values.pop("actor", None)
    return ledger_entry_record(person=person, record=LedgerRecord(**values), actor=actor)


# The manual's 113年度 page: (code, hours). All digital and job-related, as its figures show.
MANUAL_113 = [
    ("366", "4"),  # 性別平等進階 → values group
    ("550", "1"),  # 人權教育 → values group
    ("560", "6"),  # 轉型正義 → values group
    ("540", "3"),  # 廉政與服務倫理 → values group
    ("7", "2"),  # 行政中立 → values group (16 in all)
    ("337", "1"),  # 環境教育
    ("339", "1"),  # 氣候變遷, a child of 環境教育 (2 in all)
    ("521", "1"),  # 資通安全(專業、職能) under 資通安全: counts as 資通安全類 and as 當前政府重大政策
    ("70", "1"),  # 資訊管理, under 資訊安全與管理 (54): professional 資通安全, outside the required groups
]

MANUAL_113_FIGURES = [
    ("通過總學習時數", "20"),
    ("數位課程總學習時數", "20"),
    ("實體課程總學習時數", "0"),
    ("混成課程總學習時數", "0"),
    ("遠距課程總學習時數", "0"),
    ("自行申請公假學習總時數", "0"),
    ("與業務相關總學習時數", "20"),
    ("性別平等進階課程類學習總時數", "4"),
    ("性別平等基礎課程類學習總時數", "0"),
    ("人權教育類學習總時數", "1"),
    ("轉型正義類學習總時數", "6"),
    ("資通安全類學習總時數", "1"),
    ("資通安全(通識)類學習總時數", "0"),
    ("資通安全(專業、職能)類學習總時數", "2"),
    ("每年必須完成之課程總學習時數(10小時)", "19"),
    ("當前政府重大政策(1小時)", "1"),
    ("環境教育(4小時)", "2"),
    ("性別平等、廉政與服務倫理、人權教育、轉型正義、行政中立、多元族群文化、公民參與(5小時)", "16"),
]


def record_manual_113(person):
    """Upload the records whose totals are the manual's 113年度 figures (all in March 2024)."""
    entries = []
    for number, (code, hours) in enumerate(MANUAL_113, start=1):
        entry, _ = record(
            person,
            hours=hours,
            code=code,
            job_related=True,
            reference=f"manual-113-{number}",
            course_name=f"手冊課程{number:02d}",
            period=f"{number}",
            end=taipei(2024, 3, number, 17),
        )
        entries.append(entry)
    return entries
