"""Measure the gap panel and the HR office's at-risk list on a data set of bench/hours_generate.py. Prints figures;
asserts nothing.

    .venv/bin/python bench/hours_generate.py --database civlearn_gaps_bench    # 350,000 people, 10,000,000 records
    .venv/bin/python manage.py migrate   # with DATABASE_URL of that database, when migrations came after it was built
    REDIS_URL=redis://127.0.0.1:6379/8 .venv/bin/python bench/gaps_measure.py --database civlearn_gaps_bench

Setup (idempotent, kept in the database): 2,000 published e-learning courses `GB-0000`… with codes drawn from the
2024 table (one in four from the requirement groups: 環境教育, the values group, current policy), 1 to 4 hours,
one in ten restricted to other agencies, one in five certifiable again; `--learners` (200) accounts for people of
the 5,000-staff agency `BENCH00000`, each consenting to share hours, with 5 completed and 2 unfinished enrolments;
the agency's cutoffs for 2024 (編制內 11/30, 編制外 10/31). The clock is set to 2024-10-01 (the data's last year).

1. The gap + suggestions panel of one learner (learning.gaps.selectors.gap_panel plus rendering its template):
   median and p95 over the learners, after 20 warm-up panels, and the median number of queries.
2. The at-risk list of the 5,000-staff agency (hours.gaps.at_risk with an HR officer of that agency): median of 10.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_SERVER_URL", "postgres://postgres@127.0.0.1:5432")
COURSES = 2_000


def setup(database: str) -> None:
    os.environ["DATABASE_URL"] = f"{SERVER}/{database}"
    os.environ.setdefault("CIVLEARN_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civlearn.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.test.utils import override_settings

    # The panel's template links its stylesheet; the bench has no collectstatic manifest to look it up in.
    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain}).enable()


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def data(learners: int) -> tuple[list, object]:
    import datetime as dt

    from django.db import transaction

    from civlearn.core import clock
    from civlearn.hours import rules
    from civlearn.hours.models import AgencyCutoff, Category, RequirementRule
    from civlearn.identity.models import AgencyRole, User
    from civlearn.learning.completion.consent import consent_record
    from civlearn.learning.models import Course, Enrolment, MemberConsent
    from civlearn.registry.models import Agency, Person

    clock.travel_to(dt.datetime(2024, 10, 1, 9, tzinfo=dt.UTC))
    rng = random.Random(20)
    big = Agency.objects.get(code="BENCH00000")
    others = list(Agency.objects.exclude(pk=big.pk).values_list("pk", flat=True)[:50])
    book = rules.book()
    table = book.table_for(dt.date(2024, 10, 1))
    assert table is not None
    codes = list(Category.objects.filter(table_id=table[0]).values_list("code", flat=True))
    wanted: list[str] = []
    for rule in RequirementRule.objects.filter(agency__isnull=True, scope="codes"):
        wanted += rule.codes.get(table[1], [])
    with transaction.atomic():
        if Course.objects.filter(code__startswith="GB-").count() < COURSES:
            Course.objects.filter(code__startswith="GB-").delete()
            made = []
            for n in range(COURSES):
                code = rng.choice(wanted) if n % 4 == 0 else rng.choice(codes)
                made.append(
                    Course(
                        code=f"GB-{n:04d}", title=f"基準課程 {n:04d}", category_code=code,
                        certified_hours=Decimal(rng.choice(["1", "1.5", "2", "3", "4"])), provider_agency=big,
                        production_year=2024, open_to_all=n % 10 != 0, recertifiable=n % 5 == 0,
                        required_reading_minutes=rng.choice([30, 60, 90, 120]), search_text=f"基準課程{n:04d}",
                    )
                )  # fmt: skip
            Course.objects.bulk_create(made, batch_size=1000)
            through = Course.allowed_agencies.through
            restricted = Course.objects.filter(code__startswith="GB-", open_to_all=False)
            through.objects.bulk_create(
                [through(course_id=pk, agency_id=rng.choice(others)) for pk in restricted.values_list("pk", flat=True)]
            )
        for kind, day in (("permanent", dt.date(2024, 11, 30)), ("contract", dt.date(2024, 10, 31))):
            AgencyCutoff.objects.get_or_create(agency=big, year=2024, staff_kind=kind, defaults={"cutoff": day})
        people = list(Person.objects.filter(agency=big).order_by("pk")[:learners])
        courses = list(Course.objects.filter(code__startswith="GB-").values_list("pk", flat=True))
        users = []
        for person in people:
            user = User.objects.filter(person=person).first()
            if user is None:
                user = User.objects.create_user(None, None, person=person, email=person.email)
                consent_record(user=user, share_hours=True)
                picked = rng.sample(courses, 7)
                Enrolment.objects.bulk_create(
                    [Enrolment(user=user, course_id=pk, year=2024, completed_at=clock.now()) for pk in picked[:5]]
                    + [Enrolment(user=user, course_id=pk, year=2024, reading_ms=600_000) for pk in picked[5:]]
                )
            users.append(user)
        hr = User.objects.filter(username="benchhr").first() or User.objects.create_user("benchhr", None)
        AgencyRole.objects.get_or_create(user=hr, agency=big, role=AgencyRole.HR_OFFICER)
    assert MemberConsent.objects.filter(user__in=users).count() >= len(users)
    rules.invalidate()
    return users, hr


def panel(users: list) -> dict:
    from django.db import connection
    from django.template.loader import render_to_string
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext
    from proc_cpu import cpu_seconds

    from civlearn.learning.gaps.selectors import gap_panel

    factory = RequestFactory()
    warm, measured = users[:20], users[20:]
    for user in warm:
        gap_panel(user=user)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    timings, queries, gaps, listed = [], [], [], []
    cpu_before = time.process_time(), cpu_seconds([backend])
    for user in measured:
        request = factory.get("/elearn/home/")
        request.user = user
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = gap_panel(user=user)
            render_to_string("learning/gaps/_panel.html", {"panel": result}, request=request)
            timings.append(time.perf_counter() - started)
        queries.append(len(captured))
        gaps.append(len(result.items))
        listed.append(sum(len(item.suggestions) for item in result.items))
    app_cpu, db_cpu = time.process_time() - cpu_before[0], cpu_seconds([backend]) - cpu_before[1]
    return {
        "learners": len(measured),
        "median_ms": ms(statistics.median(timings)),
        "p95_ms": ms(statistics.quantiles(timings, n=20)[-1]),
        # CPU per panel, whatever else runs: this process (Python, template) and its PostgreSQL backend. A loaded
        # machine stretches wall-clock times (waiting for a core), much less these.
        "app_cpu_ms": ms(app_cpu / len(measured)),
        "db_cpu_ms": ms(db_cpu / len(measured)),
        "queries_median": statistics.median(queries),
        "gaps_median": statistics.median(gaps),
        "suggestions_median": statistics.median(listed),
    }


def at_risk(hr, runs: int) -> dict:
    from django.db import connection
    from proc_cpu import cpu_seconds

    from civlearn.hours import gaps

    gaps.at_risk(user=hr, year=2024)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    timings = []
    cpu_before = time.process_time(), cpu_seconds([backend])
    for _ in range(runs):
        user = type(hr).objects.get(pk=hr.pk)  # a fresh request's user: no cached agency list
        started = time.perf_counter()
        risk = gaps.at_risk(user=user, year=2024)
        timings.append(time.perf_counter() - started)
    app_cpu, db_cpu = time.process_time() - cpu_before[0], cpu_seconds([backend]) - cpu_before[1]
    return {"staff": risk.staff, "at_risk": len(risk.rows), "median_ms": ms(statistics.median(timings)),
            "max_ms": ms(max(timings)), "app_cpu_ms": ms(app_cpu / runs), "db_cpu_ms": ms(db_cpu / runs)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="civlearn_gaps_bench")
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    setup(args.database)
    from civlearn.hours.models import LedgerEntry
    from civlearn.learning.models import Course

    started = time.perf_counter()
    users, hr = data(args.learners + 20)
    print(f"setup {time.perf_counter() - started:.1f} s; ledger records {LedgerEntry.objects.count():,}; "
          f"courses {Course.objects.filter(is_published=True).count():,}")  # fmt: skip
    print("panel (gap_panel + template, one learner):", panel(users))
    print("at-risk list (5,000-staff agency):", at_risk(hr, args.runs))
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
