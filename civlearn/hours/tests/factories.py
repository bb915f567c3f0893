"""Helpers for hours tests: record an entry with sensible defaults."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

from civlearn.hours.services import ledger_entry_record

TAIPEI = ZoneInfo("Asia/Taipei")
_refs = itertools.count(1)


def taipei(year, month, day, hour=9, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TAIPEI)


def record(person, *, hours="1", code="510", mode=1, end=None, reference=None, **extra):
    """Record `hours` certified hours (all digital for mode 1, else all physical) of `code`, ending at `end`."""
    hours = Decimal(hours)
    end = end or taipei(2024, 3, 20, 17)
    values = {
        "person": person,
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
    return ledger_entry_record(**values)
