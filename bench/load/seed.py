"""What the load test needs on top of bench/hours_generate.py's people and ledger: the demo data (seed_demo), courses
with units and tests cloned from the demo courses, eCPA accounts for the generated people (one Argon2 hash computed
at the configured cost and shared by every account: hashing 350,000 passwords one by one would take an hour and
measure nothing), member consent, enrolments, HR officers of the 5,000-person agency, an institution uploader and
an OIDC relying party. Writes bench/load's plan (a JSON file the learners read).

    DATABASE_URL=… .venv/bin/python bench/load/seed.py --plan PLAN.json [--accounts N] [--courses N] [--enrolled N]

Run by bench/load/run.py; idempotent only in the sense that it refuses to run twice on one database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civlearn.settings")

PASSWORD = "Load-2026-learner!"
RP_SECRET = "load-rp-secret-0123456789abcdefghijklmnopqrstuvwxyz"
RP_REDIRECT = "https://attendance.load.example/callback"
# Topics a person types into 課程搜尋 (with 台/臺 both ways: the search folds them).
TOPICS = ["淨零", "性別平等", "人權", "行政中立", "資通安全", "環境教育", "韌性臺灣", "台灣史", "溝通協調", "數位治理",
          "廉政", "公文寫作", "防災", "高齡社會", "國際禮儀", "政策行銷", "個資保護", "危機處理", "永續發展", "生成式AI"]  # fmt: skip


def step(label: str, started: float) -> float:
    now = time.perf_counter()
    print(f"seed: {label}: {now - started:.1f} s", flush=True)
    return now


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plan", required=True)
    parser.add_argument("--accounts", type=int, default=350_000, help="accounts for the first N generated people")
    parser.add_argument("--courses", type=int, default=2_000)
    parser.add_argument("--enrolled", type=int, default=50_000, help="accounts with three enrolments each")
    parser.add_argument("--uploads", type=int, default=40, help="3,000-row upload files to write beside the plan")
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import transaction
    from hours_generate import BIG_AGENCY, national_id
    from oauth2_provider.models import get_application_model

    from civlearn.core import clock
    from civlearn.identity.models import AgencyRole, User
    from civlearn.learning.completion.consent import TERMS_VERSION
    from civlearn.learning.models import Choice, Course, Enrolment, MemberConsent, Question, Unit
    from civlearn.registry.models import Agency, Person
    from civlearn.sso.models import RelyingParty

    started = time.perf_counter()
    if User.objects.filter(person__isnull=False, person__national_id=national_id(0)).exists():
        raise SystemExit("seed: this database has been seeded already")
    call_command("seed_demo")
    started = step("seed_demo", started)

    # ---- courses: copies of the demo courses, each with its pages, test (unlimited attempts) and questionnaire
    templates = list(Course.objects.filter(code__startswith="DEMO-").prefetch_related("units__questions__choices"))
    zones = {c.pk: list(c.zones.all()) for c in templates}
    rng = random.Random(2026)
    made = 0
    while made < args.courses:
        with transaction.atomic():
            for _ in range(min(200, args.courses - made)):
                template = templates[made % len(templates)]
                topic = TOPICS[made % len(TOPICS)]
                course = Course(
                    code=f"LOAD-{made:05d}",
                    title=f"{topic}：{template.title.split('：')[-1]}（{made // len(TOPICS) + 1}）",
                    summary=template.summary,
                    keywords=f"{topic} {template.keywords}",
                    category_code=template.category_code,
                    certified_hours=template.certified_hours,
                    mode=template.mode,
                    provider_agency_id=template.provider_agency_id,
                    production_year=2020 + made % 7,
                    required_reading_minutes=template.required_reading_minutes,
                )
                course.save()  # the model's save computes the search text
                course.zones.set(zones[template.pk])
                for unit in template.units.all():
                    copy = Unit.objects.create(
                        course=course, order=unit.order, kind=unit.kind, title=unit.title, body=unit.body,
                        pass_mark=unit.pass_mark, max_attempts=0,
                    )  # fmt: skip
                    for question in unit.questions.all():
                        q = Question.objects.create(
                            unit=copy, order=question.order, kind=question.kind, text=question.text,
                            points=question.points, scale_max=question.scale_max, required=question.required,
                        )  # fmt: skip
                        Choice.objects.bulk_create(
                            Choice(question=q, order=c.order, text=c.text, is_correct=c.is_correct)
                            for c in question.choices.all()
                        )
                made += 1
    started = step(f"{made:,} courses with units, tests and questionnaires", started)

    # ---- accounts for the generated people, member consent, enrolments
    encoded = make_password(PASSWORD)  # the configured hasher (Argon2id at the configured cost)
    now = clock.now()
    people = list(
        Person.objects.filter(agency__code__startswith="BENCH").order_by("pk").values_list("pk", "national_id", "name")
    )[: args.accounts]
    batch = 10_000
    for start in range(0, len(people), batch):
        with transaction.atomic():
            users = User.objects.bulk_create(
                User(person_id=pk, password=encoded, password_changed_at=now, email=f"l{pk}@load.example")
                for pk, _nid, _name in people[start : start + batch]
            )
            MemberConsent.objects.bulk_create(
                MemberConsent(user=u, terms_version=TERMS_VERSION, share_hours=True, decided_at=now) for u in users
            )
    started = step(f"{len(people):,} accounts with member consent", started)

    course_ids = list(Course.objects.filter(code__startswith="LOAD-").values_list("pk", flat=True))
    enrolled_users = list(
        User.objects.filter(person__agency__code__startswith="BENCH").order_by("pk").values_list("pk", flat=True)
    )[: args.enrolled]
    for start in range(0, len(enrolled_users), batch):
        with transaction.atomic():
            Enrolment.objects.bulk_create(
                Enrolment(user_id=user_id, course_id=course_id, year=now.year)
                for user_id in enrolled_users[start : start + batch]
                for course_id in rng.sample(course_ids, 3)
            )
    started = step(f"{len(enrolled_users) * 3:,} enrolments", started)

    # ---- HR officers of the 5,000-person agency; an institution's uploader
    big = Agency.objects.get(code=BIG_AGENCY)
    hr_people = list(Person.objects.filter(agency=big).order_by("pk").values_list("pk", "national_id")[:20])
    hr_users = User.objects.filter(person_id__in=[pk for pk, _ in hr_people])
    AgencyRole.objects.bulk_create(AgencyRole(user=u, agency=big, role=AgencyRole.HR_OFFICER) for u in hr_users)
    institution = Agency.objects.get(code="BENCH00001")
    uploader_person = Person.objects.filter(agency=institution).order_by("pk").first()
    uploader = User.objects.get(person=uploader_person)
    AgencyRole.objects.create(user=uploader, agency=institution, role=AgencyRole.PROVIDER)

    # ---- a connected system that signs people in with OIDC (the code exchange of the sign-in storm)
    Application = get_application_model()
    application = Application.objects.create(
        name="差勤管理系統",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        algorithm=Application.RS256_ALGORITHM,
        redirect_uris=RP_REDIRECT,
        client_secret=RP_SECRET,
        skip_authorization=True,
    )
    RelyingParty.objects.create(application=application, allowed_scopes="openid profile agency", first_party=True)

    # ---- institution uploads of 3,000 rows each, every one with references of its own
    from hours_measure import upload_csv

    upload_people = [(nid, name) for _pk, nid, name in people[:3000]]
    uploads = []
    for index in range(args.uploads):
        path = Path(args.plan).with_name(f"upload-{index:03d}.csv")
        path.write_bytes(upload_csv(upload_people, 3000, f"load-{index}"))
        uploads.append(str(path))

    # ---- the plan the learners read
    elearn = RelyingParty.objects.get(code="DL1")
    units = {}
    for unit in Unit.objects.filter(course__code__startswith="LOAD-").values("pk", "kind", "course__code"):
        entry = units.setdefault(unit["course__code"], {"pages": [], "test": None})
        if unit["kind"] == Unit.TEST:
            entry["test"] = unit["pk"]
        elif unit["kind"] == Unit.PAGE:
            entry["pages"].append(unit["pk"])
    enrolments: dict[int, list[str]] = {}
    for user_id, code in Enrolment.objects.filter(user_id__in=enrolled_users).values_list("user_id", "course__code"):
        enrolments.setdefault(user_id, []).append(code)
    login_of = dict(User.objects.filter(pk__in=enrolled_users).values_list("pk", "person__national_id"))
    plan = {
        "password": PASSWORD,
        # sign-in storm: every account (national IDs in account order)
        "accounts": [nid for _pk, nid, _name in people],
        # steady learning: the enrolled accounts and their courses
        "learners": [[login_of[user_id], enrolments[user_id]] for user_id in enrolled_users],
        "units": units,
        "topics": TOPICS,
        "hr": [nid for _pk, nid in hr_people],
        "uploader": uploader_person.national_id,
        "institution_id": institution.pk,
        "uploads": uploads,
        "elearn_system": elearn.pk,
        "rp": {"client_id": application.client_id, "secret": RP_SECRET, "redirect": RP_REDIRECT},
        "seeded_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    Path(args.plan).write_text(json.dumps(plan, ensure_ascii=False))
    step("roles, relying party and plan", started)


if __name__ == "__main__":
    main()
