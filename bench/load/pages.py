"""CPU per page for the pages that dominate the steady-learning load (catalogue search, course, unit, dashboard,
學習時數, HR 管理介面), in one process through Django's test client on the load test's data set, with the
statements each sends. Run by `bench/load/run.py pages` (which starts that data set's PostgreSQL and Redis):

    .venv/bin/python bench/load/run.py pages [--scale quick] [--rounds 30] [--profile 'page: unit']

Each page is requested --rounds times for different learners (the first request of each page is not timed);
printed: CPU ms per request (this process: Django, templates, the ORM, the cache client), statements per request.
The course and unit pages are measured twice: first opened (their shared fragments rendered and cached, as for the
first learner after a change) and again (fragments cached).
The sign-in storm's journey is measured too, one person per round, as a browser sends it: the eCPA sign-in page
without a session, the password sign-in (its CPU with the one Argon2id check, which is also printed alone), SSO into
e等公務園+ (連結系統 → the catalogue it lands on, redirects followed) and the dashboard (first after the sign-in).
And a test as the steady learner takes one: the test page, 開始測驗 and the answers (each POST with the page its
redirect shows, as the browser follows it).
--profile NAME prints a cProfile of that page (CPU clock) and its own time by area (templates, ORM, cache, ...).
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import json
import os
import pstats
import random
import re
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civlearn.settings")


# Where a profiled page's own time goes, by the code it is spent in (first match of the function's file).
AREAS = [
    ("templates", ("django/template", "templatetags")),
    ("ORM (building and compiling queries)", ("django/db/models",)),
    ("database driver", ("psycopg", "django/db/backends")),
    ("shared cache client", ("redis", "django_redis", "django/core/cache")),
    ("translation", ("django/utils/translation",)),
    ("civlearn", ("/civlearn/",)),
    ("Django, other (handler, middleware, forms, utils)", ("django/",)),
]


def print_areas(stats: pstats.Stats) -> None:
    """The profile's own time (tottime) by area, in per cent; builtins (str, dict, socket calls) count apart, as
    cProfile cannot say on whose behalf they ran."""
    totals: dict[str, float] = {}
    for (filename, _line, _name), (_cc, _nc, own, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        area = next((name for name, parts in AREAS if any(part in filename for part in parts)), "builtins and other")
        totals[area] = totals.get(area, 0.0) + own
    whole = sum(totals.values()) or 1.0
    print("own time by area: " + "; ".join(f"{name} {100 * t / whole:.0f} %" for name, t in
                                           sorted(totals.items(), key=lambda item: -item[1])))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plan", required=True)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--profile", default="")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from civlearn.identity.models import User

    plan = json.loads(Path(args.plan).read_text())
    rng = random.Random(7)
    learners = rng.sample(plan["learners"], args.rounds + 1)
    hr_login = plan["hr"][0]

    def pages_for(login: str, courses: list[str]) -> dict[str, str]:
        code = courses[0]
        units = plan["units"][code]["pages"]
        return {
            "page: catalogue search": "/elearn/?" + urllib.parse.urlencode({"q": rng.choice(plan["topics"])}),
            "page: catalogue": "/elearn/",
            "page: course": f"/elearn/courses/{code}/",
            "page: unit": f"/elearn/courses/{code}/learn/{units[0]}/",
            "page: dashboard": "/elearn/home/",
            "page: 學習時數": "/lifelong/folder/hours/",
            "page: eCPA sign-in": "/ecpa/signin",
        }

    def client_for(login: str) -> Client:
        client = Client(
            HTTP_X_FORWARDED_FOR="10.9.9.9", HTTP_HOST="127.0.0.1", HTTP_ACCEPT_ENCODING="gzip, deflate, br"
        )
        client.force_login(User.objects.get(person__national_id=login))
        return client

    results: dict[str, list[tuple[float, int]]] = {}
    profiles: dict[str, cProfile.Profile] = {}
    for round_, (login, courses) in enumerate(learners):
        client = client_for(login)
        pages = pages_for(login, courses)
        # The course and unit pages once more: a learner who is not the first to open that course since it last
        # changed (its shared fragments are cached), as most are when many learners take the same courses.
        pages.update({f"{name} (fragments cached)": pages[name] for name in ("page: course", "page: unit")})
        for name, path in pages.items():
            profiler = profiles.setdefault(name, cProfile.Profile(time.process_time)) if name == args.profile else None
            with CaptureQueriesContext(connection) as queries:
                started = time.process_time()
                if profiler is not None and round_:
                    profiler.enable()
                response = client.get(path)
                if profiler is not None:
                    profiler.disable()
                cpu = time.process_time() - started
            assert response.status_code == 200, (path, response.status_code)
            if round_:  # the first round warms caches and imports
                results.setdefault(name, []).append((cpu, len(queries.captured_queries)))
    accounts = plan["accounts"]
    for round_ in range(args.rounds + 1):
        login = accounts[rng.randrange(len(accounts))]
        browser = Client(
            HTTP_X_FORWARDED_FOR=f"10.8.{round_ // 250}.{round_ % 250 + 1}", HTTP_HOST="127.0.0.1",
            HTTP_ACCEPT_ENCODING="gzip, deflate, br", enforce_csrf_checks=True,
        )  # fmt: skip
        steps = [
            ("storm: sign-in page (no session)", lambda b: b.get("/ecpa/signin"), 200),
            ("storm: sign-in (password, one hash)",
             lambda b, login=login: b.post("/ecpa/signin", {"csrfmiddlewaretoken": b.cookies["csrftoken"].value, "login": login,
                                               "password": plan["password"]}), 302),
            ("storm: SSO into e等公務園+ (redirects followed)",
             lambda b: b.get(f"/ecpa/my/systems/{plan['elearn_system']}/enter", follow=True), 200),
            ("storm: dashboard (first after sign-in)", lambda b: b.get("/elearn/home/"), 200),
        ]  # fmt: skip
        for name, step, status in steps:
            profiler = profiles.setdefault(name, cProfile.Profile(time.process_time)) if name == args.profile else None
            with CaptureQueriesContext(connection) as queries:
                started = time.process_time()
                if profiler is not None and round_:
                    profiler.enable()
                response = step(browser)
                if profiler is not None:
                    profiler.disable()
                cpu = time.process_time() - started
            assert response.status_code == status, (name, response.status_code)
            if round_:
                results.setdefault(name, []).append((cpu, len(queries.captured_queries)))
    # A test, as a steady learner takes one every ~20 minutes: the test page, 開始測驗 and the answers (redirects
    # followed, as the browser does).
    submit = re.compile(r'<form method="post" action="([^"]+/submit)"')
    choice = re.compile(r'name="(q-\d+)" value="(\d+)"')
    for round_, (login, courses) in enumerate(learners):
        tests = [code for code in courses if plan["units"][code]["test"] is not None]
        if not tests:
            continue
        base = f"/elearn/courses/{tests[0]}/learn/{plan['units'][tests[0]]['test']}/"
        client = client_for(login)

        def answers(response) -> tuple[str, dict[str, str]]:
            body = response.content
            text = (gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body).decode()
            found: dict[str, str] = {}
            for name, value in choice.findall(text):
                found.setdefault(name, value)
            action = submit.search(text)
            return (action.group(1) if action else ""), found

        state: dict = {}
        steps = [
            ("test: page", lambda c, base=base: c.get(base), 200),
            ("test: start (redirect followed)", lambda c, base=base: c.post(base + "test/start", follow=True), 200),
            ("test: submission (redirect followed)",
             lambda c, state=state: c.post(state["action"], state["answers"], follow=True), 200),
        ]  # fmt: skip
        for name, step, status in steps:
            if name.startswith("test: submission") and not state.get("action"):
                break
            if name.startswith("test: start") and state.get("action"):
                continue  # an attempt is open already (the page shows its questions)
            with CaptureQueriesContext(connection) as queries:
                started = time.process_time()
                response = step(client)
                cpu = time.process_time() - started
            assert response.status_code == status, (name, response.status_code)
            state["action"], state["answers"] = answers(response)
            if round_:
                results.setdefault(name, []).append((cpu, len(queries.captured_queries)))
    from django.contrib.auth.hashers import check_password

    password_hash = User.objects.get(person__national_id=accounts[0]).password
    for round_ in range(args.rounds + 1):
        started = time.process_time()
        assert check_password(plan["password"], password_hash)
        if round_:
            results.setdefault("storm: the Argon2id check alone", []).append((time.process_time() - started, 0))
    hr = client_for(hr_login)
    for round_ in range(min(args.rounds, 10) + 1):
        with CaptureQueriesContext(connection) as queries:
            started = time.process_time()
            response = hr.get("/lifelong/manage/")
            cpu = time.process_time() - started
        assert response.status_code == 200
        if round_:
            results.setdefault("page: HR 管理介面 (5,000 staff)", []).append((cpu, len(queries.captured_queries)))

    print(f"{'page':<46} {'CPU ms (median)':>16} {'p90':>7} {'statements':>11}")
    for name, samples in results.items():
        cpus = sorted(cpu for cpu, _ in samples)
        counts = sorted(count for _, count in samples)
        print(f"{name:<46} {cpus[len(cpus) // 2] * 1000:>16.1f} {cpus[int(len(cpus) * 0.9)] * 1000:>7.1f} "
              f"{counts[len(counts) // 2]:>11}")  # fmt: skip
    if args.profile in profiles:
        stats = pstats.Stats(profiles[args.profile]).sort_stats(os.environ.get("BENCH_SORT", "cumulative"))
        stats.print_stats(os.environ.get("BENCH_FILTER", ""), 40)
        print_areas(stats)
    if os.environ.get("BENCH_SQL"):
        login, courses = learners[0]
        with CaptureQueriesContext(connection) as queries:
            client_for(login).get(
                pages_for(login, courses)[os.environ["BENCH_SQL"].removesuffix(" (fragments cached)")]
            )
        for query in queries.captured_queries:
            print(query["sql"][:200])


if __name__ == "__main__":
    main()
