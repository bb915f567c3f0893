"""Shared data of the institution and class tests: an approved private institution, a class file's rows."""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone

from civlearn.core import clock
from civlearn.hours.classes import offerings
from civlearn.hours.models import Institution, InstitutionMember

# Registration is open on this day; the class runs on 2026-12-15 (ROC 115-12-15).
TODAY = timezone.make_aware(dt.datetime(2026, 12, 1, 10, 0))
SESSION_DAY = timezone.make_aware(dt.datetime(2026, 12, 15, 9, 0))


def at_today() -> None:
    clock.travel_to(TODAY)


def approved_institution(admin_user, *, code="P000000001", name="台中市立人文學苑") -> Institution:
    from civlearn.registry.models import Agency

    agency = Agency.objects.create(code=code, name=name)
    institution = Institution.objects.create(
        name=name,
        name_search=name,
        kind=Institution.KIND_PRIVATE,
        contact_name="周聯絡",
        contact_email="contact@example.org",
        county_code="40",
        address="臺中市西區民權路 1 號",
        class_modes=[2],
        status=Institution.APPROVED,
        agency=agency,
        created_at=clock.now(),
    )
    InstitutionMember.objects.create(institution=institution, user=admin_user, role="admin", added_at=clock.now())
    return institution


def class_row(**overrides) -> dict[str, str]:
    row = {
        "class_code": "ENV01",
        "period": "1",
        "title": "臺中氣候變遷與環境教育研習班",
        "description": "氣候變遷調適與淨零排放",
        "mode": "2",
        "category_code": "339",
        "digital_hours": "0",
        "physical_hours": "3",
        "county_code": "40",
        "place": "臺中市西區民權路 1 號 301 教室",
        "sessions": "115-12-15 09:00-12:00;115-12-15 13:00-15:00",
        "registration_opens": "115-11-20",
        "registration_closes": "115-12-10",
        "cancel_deadline": "115-12-12",
        "capacity": "2",
        "waitlist_limit": "5",
    }
    row.update(overrides)
    return row


def two_code_rows(**overrides) -> list[tuple[int, dict]]:
    """One class whose 5 hours are split over 339 (環境教育 subtree, 3 h) and 510 (2 h)."""
    return [
        (2, class_row(**overrides)),
        (3, class_row(category_code="510", physical_hours="2", **overrides)),
    ]


def csv_bytes(records: list[dict], *, encoding="utf-8") -> bytes:
    from civlearn.core.spreadsheets import csv_writer

    handle = io.StringIO()
    writer = csv_writer(handle)
    keys = [column.key for column in offerings.OFFERING_COLUMNS]
    writer.writerow([column.header for column in offerings.OFFERING_COLUMNS])
    for record in records:
        writer.writerow([record.get(key, "") for key in keys])
    return handle.getvalue().encode(encoding)


def ods_bytes(records: list[dict]) -> bytes:
    """The class file as a real .ods (odfpy, through the project's ODF writer): hours and capacity as number
    cells, the way a spreadsheet program saves them."""
    from collections.abc import Sequence
    from decimal import Decimal

    from civlearn.hours.exports import Sheet, to_ods

    numbers = {"digital_hours", "physical_hours", "capacity", "waitlist_limit", "mode"}

    def cell(key: str, text: str) -> object:
        return Decimal(text) if key in numbers and text.replace(".", "", 1).isdigit() else text

    keys = [column.key for column in offerings.OFFERING_COLUMNS]
    rows: list[Sequence[object]] = [[column.header for column in offerings.OFFERING_COLUMNS]]
    rows += [[cell(key, record.get(key, "")) for key in keys] for record in records]
    return to_ods([Sheet("開班資料", rows)])
