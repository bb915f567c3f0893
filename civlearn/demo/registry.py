"""Demo agencies, persons and accounts (seed_demo's first seeder). Everything here is made-up demo data.

Codes A09600000Q (國立臺中科技大學) and 379000000A (臺北市政府) come from the manual; the other agency codes are
invented in the right shape. National IDs are generated with valid check digits, deterministically, so every
run produces the same people. Passwords are demo-only and printed by `seed_demo --print-signins`.
"""

from __future__ import annotations

import datetime as dt

from django.db import models

from civlearn.core import clock, rocdate
from civlearn.core.national_id import check_digit
from civlearn.identity.models import AgencyRole, PasswordHistory, User
from civlearn.identity.passwords import password_expired
from civlearn.registry.models import Agency, Person

# Letters, digits and symbols from the eCPA list (~!@#$^*()-_={}|:;.,), none of the forbidden % & + ' " ? < > / \.
LEARNER_PASSWORD = "Demo!2026learn"  # noqa: S105 (demo only, printed on purpose)
HR_PASSWORD = "Hr#2026office"  # noqa: S105
ADMIN_PASSWORD = "Admin!2026ops"  # noqa: S105

AGENCIES = [
    # (code, name, parent code)
    ("A01000000E", "教育部", None),
    ("A09600000Q", "國立臺中科技大學", "A01000000E"),
    ("A09600100Q", "國立臺中科技大學人事室", "A09600000Q"),
    ("A09600200Q", "國立臺中科技大學圖書館", "A09600000Q"),
    ("A15000000C", "行政院人事行政總處", None),
    ("A21000000I", "衛生福利部", None),
    ("379000000A", "臺北市政府", None),
    ("379130000C", "臺北市政府教育局", "379000000A"),
]

NAMES = [
    "王小明", "林美惠", "陳怡君", "張志豪", "李淑芬", "黃建宏", "吳佩珊", "劉俊傑", "蔡雅婷", "楊家豪",
    "許雅雯", "鄭宗翰", "謝欣怡", "洪志明", "郭美玲", "曾文彥", "邱淑貞", "廖冠宇", "賴怡伶", "周國華",
]  # fmt: skip
AGENCY_CYCLE = ["A09600000Q", "A09600100Q", "A09600200Q", "379000000A", "379130000C", "A15000000C", "A21000000I"]
LEARNER_ID = "A123456789"
NEW_PERSON_INDEX = 1  # 林美惠: in the registry, no account yet — for trying the first sign-in
HR_PERSON_INDEX = 2  # 陳怡君: HR officer of A09600000Q


def _national_id(index: int) -> str:
    if index == 0:
        return LEARNER_ID  # the manual's own example number
    letter = "ABDEFHMNPQ"[index % 10]
    gender = "12"[index % 2]
    prefix = f"{letter}{gender}{(index * 7919) % 10_000_000:07d}"
    return prefix + check_digit(prefix)


def person_rows() -> list[dict]:
    rows = []
    for index, name in enumerate(NAMES):
        rows.append(
            {
                "national_id": _national_id(index),
                "name": name,
                "birthday": dt.date(1960 + (index * 2) % 40, index % 12 + 1, (index * 3) % 28 + 1),
                "agency_code": AGENCY_CYCLE[0] if index < 3 else AGENCY_CYCLE[index % len(AGENCY_CYCLE)],
                "post_start_date": dt.date(2005 + index % 18, (index * 5) % 12 + 1, 1),
                "personnel_category": "11-一般人員" if index % 4 else "12-約聘僱人員",
                "identity_type": "教師" if index % 5 == 3 else "公務人員",
                # Some persons have no e-mail on file, as in a real registry.
                "email": "" if index % 6 == 5 else f"person{index:02d}@example.tw",
            }
        )
    return rows


def _upsert(model: type[models.Model], lookup: dict, values: dict) -> tuple[models.Model, bool, bool]:
    """(object, created, changed): saves only when a value differs, so a second run writes nothing."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        return model.objects.create(**lookup, **values), True, True
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
    return obj, False, bool(changed)


def _account(*, person: Person | None, username: str, password: str, email: str, **flags) -> User:
    user = User.objects.filter(person=person).first() if person else User.objects.filter(username=username).first()
    if user is None:
        user = User(person=person)
    changed = [
        name for name, value in {"username": username, "email": email, **flags}.items() if getattr(user, name) != value
    ]
    for name in changed:
        setattr(user, name, {"username": username, "email": email, **flags}[name])
    # Reset the password only when it is not the demo one (or has expired), so a second run changes nothing.
    if user.pk is None or not user.check_password(password) or password_expired(user):
        now = clock.now()
        user.set_password(password)
        user.password_changed_at = now
        user.save()
        PasswordHistory.objects.create(user=user, password=user.password, created_at=now)
    elif changed:
        user.save(update_fields=changed)
    return user


def seed() -> None:
    agencies: dict[str, Agency] = {}
    for code, name, parent in AGENCIES:
        agencies[code], _, _ = _upsert(Agency, {"code": code}, {"name": name, "parent": agencies.get(parent)})
    persons = []
    for row in person_rows():
        values = {k: v for k, v in row.items() if k not in ("national_id", "agency_code")}
        values["agency"] = agencies[row["agency_code"]]
        person, _, _ = _upsert(Person, {"national_id": row["national_id"]}, values)
        persons.append(person)

    learner = persons[0]
    _account(person=learner, username="demo01", password=LEARNER_PASSWORD, email=learner.email)
    hr_person = persons[HR_PERSON_INDEX]
    hr = _account(person=hr_person, username="hr01", password=HR_PASSWORD, email=hr_person.email)
    _upsert(AgencyRole, {"user": hr, "agency": agencies["A09600000Q"], "role": AgencyRole.HR_OFFICER},
            {"include_subagencies": True})  # fmt: skip
    _account(person=None, username="admin", password=ADMIN_PASSWORD, email="admin@example.tw",
             is_staff=True, is_superuser=True)  # fmt: skip


def signins() -> list[str]:
    """The demo sign-ins, from the constants above (no database access)."""
    rows = person_rows()
    learner, new, hr = rows[0], rows[NEW_PERSON_INDEX], rows[HR_PERSON_INDEX]
    return [
        "示範帳號（僅供展示，請勿用於正式環境）：",
        f"  學習者 {learner['name']}：身分證字號 {learner['national_id']} 或自訂帳號 demo01，密碼 {LEARNER_PASSWORD}",
        f"  人事人員 {hr['name']}（國立臺中科技大學）：帳號 hr01，密碼 {HR_PASSWORD} — 人事資料匯入 /registry/import",
        f"  系統管理者：帳號 admin，密碼 {ADMIN_PASSWORD} — 管理介面 /admin/",
        f"  首次登入試用 {new['name']}（尚未啟用帳號）：身分證字號 {new['national_id']}，"
        f"生日 {rocdate.format_compact(new['birthday'])}，"
        f"任現職之實際到職日期 {rocdate.format_compact(new['post_start_date'])}，Email {new['email']}",
    ]
