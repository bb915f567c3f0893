"""What one password sign-in costs, and what a locked or throttled one costs (it must cost almost nothing).

Run from the repository root:

    .venv/bin/python bench/identity_signin.py [--rounds 20]

Uses the production password hasher (the tuned argon2id of identity.hashers) on a throw-away test database (SQLite in
memory unless DATABASE_URL is set, then a `test_…` database beside it). Prints the median and p95 wall time of
`identity.services.signin_attempt` for: the right password, a wrong password, an unknown account, and an attempt
while the account is locked. Nothing is asserted; the figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civlearn.settings")
os.environ.setdefault("CIVLEARN_DEMO", "1")  # development secret key; production hashers (not the test suite's MD5)
os.environ.pop("CIVLEARN_TESTING", None)


def timed(fn, rounds):
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    old = setup_databases(verbosity=0, interactive=False)
    try:
        from civlearn.core import clock
        from civlearn.identity import services
        from civlearn.identity.models import ThrottleCounter, ThrottleLock, User
        from civlearn.registry.models import Agency, Person

        agency = Agency.objects.create(code="A09600000Q", name="國立臺中科技大學")
        person = Person.objects.create(
            agency=agency,
            national_id="A123456789",
            name="王小明",
            birthday=dt.date(1972, 1, 1),
            post_start_date=dt.date(2015, 8, 1),
        )
        user = User.objects.create_user(None, "Civ!learn2026", person=person)
        print(f"hasher: {settings.PASSWORD_HASHERS[0].rsplit('.', 1)[1]}, rounds: {args.rounds}")

        def attempt(login, password):
            def run():
                ThrottleCounter.objects.all().delete()  # no lock builds up between rounds
                services.signin_attempt(login=login, password=password, ip_address="192.0.2.1")

            return run

        rows = [
            ("right password", attempt("A123456789", "Civ!learn2026")),
            ("wrong password", attempt("A123456789", "Wrong#pw1")),
            ("unknown account", attempt("B123456780", "Wrong#pw1")),
        ]
        for label, fn in rows:
            mean, p95 = timed(fn, args.rounds)
            print(f"{label:<18} median {mean:8.2f} ms   p95 {p95:8.2f} ms")

        ThrottleCounter.objects.all().delete()
        ThrottleLock.objects.all().delete()
        for _ in range(settings.SIGNIN_MAX_FAILURES):
            services.signin_attempt(login="A123456789", password="Wrong#pw1", ip_address="192.0.2.1")
        assert services.signin_attempt(login="A123456789", password="x", ip_address="192.0.2.1").locked_until

        def locked():
            services.signin_attempt(login="A123456789", password="Civ!learn2026", ip_address="192.0.2.1")

        mean, p95 = timed(locked, args.rounds * 50)
        print(f"{'locked account':<18} median {mean:8.3f} ms   p95 {p95:8.3f} ms")
        user.refresh_from_db()
        clock.reset()
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
