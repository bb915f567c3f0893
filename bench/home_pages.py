"""Cost of the 個人專區 pages by number of enrolments: SQL queries and time per request.

Run from the repository root (SQLite by default; set DATABASE_URL for PostgreSQL):

    CIVLEARN_TESTING=1 .venv/bin/python bench/home_pages.py [--enrolments 5 20 80] [--repeat 20]

It creates a throw-away test database, one learner with N enrolments (half completed, each course with a test and a
questionnaire), and fetches /elearn/home/ and /elearn/home/records/ with Django's test client. It prints queries
and the mean milliseconds per request. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civlearn.settings")
os.environ.setdefault("CIVLEARN_TESTING", "1")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enrolments", type=int, nargs="+", default=[5, 20, 80])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args, CaptureQueriesContext, connection)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args, CaptureQueriesContext, connection) -> None:
    import datetime as dt

    from django.test import Client

    from civlearn.identity.models import User
    from civlearn.learning.catalogue.services import enrol
    from civlearn.learning.completion.consent import consent_record
    from civlearn.learning.completion.services import completion_evaluate
    from civlearn.learning.models import Choice, Course, Enrolment, Question, Unit
    from civlearn.registry.models import Agency, Person

    agency = Agency.objects.create(code="A09600000Q", name="國立臺中科技大學")
    print(f"database: {connection.vendor}")
    print("enrolments | page | queries | ms/request")
    for size in args.enrolments:
        person = Person.objects.create(
            agency=agency,
            national_id=f"A1{size:08d}"[:10],
            name=f"學員{size}",
            birthday=dt.date(1980, 1, 1),
            post_start_date=dt.date(2010, 1, 1),
        )
        user = User.objects.create_user(None, None, person=person, email=f"b{size}@example.tw")
        consent_record(user=user, share_hours=False)
        for n in range(size):
            course = Course.objects.create(
                code=f"BENCH-{size}-{n}",
                title=f"課程 {n}",
                category_code="339",
                certified_hours=Decimal("1"),
                provider_agency=agency,
                production_year=2025,
                required_reading_minutes=1,
            )
            test = Unit.objects.create(course=course, order=1, kind=Unit.TEST, title="測驗")
            question = Question.objects.create(unit=test, text="?")
            Choice.objects.create(question=question, text="對", is_correct=True)
            Unit.objects.create(course=course, order=2, kind=Unit.QUESTIONNAIRE, title="問卷")
            enrolment = enrol(user=user, course=course)
            if n % 2 == 0:
                Enrolment.objects.filter(pk=enrolment.pk).update(reading_ms=60_000)
                Unit.objects.filter(course=course).exclude(kind=Unit.PAGE).delete()
                completion_evaluate(enrolment=enrolment)
        client = Client()
        client.force_login(user)
        for url in ("/elearn/home/", "/elearn/home/records/"):
            client.get(url)
            from django.conf import settings
            from django.db import connections, reset_queries

            settings.DEBUG = True
            reset_queries()
            assert client.get(url).status_code == 200
            queries = list(connections["default"].queries)
            settings.DEBUG = False
            start = time.perf_counter()
            for _ in range(args.repeat):
                client.get(url)
            elapsed = (time.perf_counter() - start) * 1000 / args.repeat
            print(f"{size} | {url} | {len(queries)} | {elapsed:.1f}")


if __name__ == "__main__":
    main()
