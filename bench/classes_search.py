"""學習資訊中心 figures on PostgreSQL: the class search over N offerings (median and p95 wall ms, CPU ms of this
process and its PostgreSQL backend), and a burst of registrations
for one class (exactly `capacity` registered, the rest waitlisted). Prints figures; asserts nothing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/classes_search.py \
        --offerings 50000 --people 1000 --capacity 100 --threads 16

Runs in a database of its own (bench_classes_<pid>), created and dropped here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civlearn.settings")
os.environ.setdefault("CIVLEARN_TESTING", "1")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from civlearn.core import clock  # noqa: E402
from civlearn.core.text import search_fold, search_grams  # noqa: E402
from civlearn.hours import batch, rules  # noqa: E402
from civlearn.hours.classes import registration, selectors  # noqa: E402
from civlearn.hours.classes.selectors import ClassQuery  # noqa: E402
from civlearn.hours.models import ClassOffering, ClassPortion, Institution, RequirementRule  # noqa: E402

TOPICS = [
    "氣候變遷",
    "環境教育",
    "公文寫作",
    "資通安全",
    "性別平等",
    "人權教育",
    "領導力",
    "數位轉型",
    "英語會話",
    "政策行銷",
    "危機管理",
    "廉政倫理",
    "轉型正義",
    "淨零排放",
    "長期照顧",
]
CODES = ["339", "337", "510", "520", "522", "346", "550", "560", "267", "101", "102", "201"]


def build(count: int) -> Institution:
    from civlearn.registry.models import Agency

    now = timezone.now()
    # Twenty institutions, one named after Taichung, so a place keyword does not match every class by its giver.
    institutions = []
    for number, name in enumerate(["台中市立人文學苑", *(f"第{n}區終身學習中心" for n in range(1, 20))], start=1):
        agency = Agency.objects.create(code=f"P{number:09d}", name=name)
        institutions.append(
            Institution.objects.create(
                name=name,
                name_search=search_fold(name),
                kind="private",
                contact_name="周",
                contact_email="a@b.tw",
                county_code="40",
                address="臺中市",
                class_modes=[2],
                status="approved",
                agency=agency,
                created_at=now,
            )
        )
    counties = list(batch.counties().items())
    book = rules.book()
    table_id = book.table_for(dt.date(2026, 1, 1))[0]
    known = [code for code in CODES if book.has_code(table_id, code)]
    rng = random.Random(7)
    base = dt.date(2026, 1, 1)
    for start in range(0, count, 5000):
        batch_rows, portions = [], []
        for n in range(start, min(start + 5000, count)):
            county_code, county = rng.choice(counties)
            topic = rng.choice(TOPICS)
            institution = rng.choice(institutions)
            title = f"{county}{topic}研習班第{n}期"
            day = base + dt.timedelta(days=rng.randrange(0, 700))
            opens = timezone.make_aware(dt.datetime.combine(day - dt.timedelta(days=40), dt.time()))
            hours = Decimal(rng.choice([2, 3, 6, 12]))
            batch_rows.append(
                ClassOffering(
                    institution=institution,
                    class_code=f"C{n}",
                    period="1",
                    title=title,
                    description=f"{topic}課程",
                    search_text=(text := search_fold(f"{title} {topic}課程 {institution.name} {county}")),
                    search_grams=search_grams(text),
                    mode=rng.choice([2, 3]),
                    digital_hours=0,
                    physical_hours=hours,
                    total_hours=hours,
                    county_code=county_code,
                    starts_on=day,
                    ends_on=day,
                    registration_opens=opens,
                    registration_closes=opens + dt.timedelta(days=30),
                    cancel_deadline=opens + dt.timedelta(days=30),
                    capacity=40,
                    created_at=now,
                    updated_at=now,
                )
            )
        created = ClassOffering.objects.bulk_create(batch_rows)
        for offering in created:
            for position, code in enumerate(rng.sample(known, rng.choice([1, 2])), start=1):
                portions.append(
                    ClassPortion(
                        offering=offering,
                        position=position,
                        category_table_id=table_id,
                        category_code=code,
                        digital_hours=0,
                        physical_hours=1,
                    )
                )
        ClassPortion.objects.bulk_create(portions)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return institutions[0]


def _backend_cpu_seconds(pid: int) -> float:
    """CPU (user + system) of the PostgreSQL backend serving this connection, from /proc (a local server)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timings(fn, rounds: int) -> dict[str, float]:
    """Median and p95 wall ms of `fn`, and its mean CPU ms: this process's plus its PostgreSQL backend's (the
    server is on this machine; /proc ticks are 10 ms, so CPU is the mean over all rounds)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    fn()
    times = []
    cpu_started, backend_started = time.process_time(), _backend_cpu_seconds(backend)
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    client = (time.process_time() - cpu_started) * 1000 / rounds
    server = (_backend_cpu_seconds(backend) - backend_started) * 1000 / rounds
    times.sort()
    return {
        "median": statistics.median(times),
        "p95": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
        "cpu": client + server,
        "cpu_db": server,
    }


def search_page(query: ClassQuery):
    """What the search page asks: the count (capped, as the page shows it) and the first page of 20."""
    queryset = selectors.offerings_search(query)
    return selectors.capped_count(queryset), list(queryset[:20])


def burst(institution: Institution, people: int, capacity: int, threads: int) -> None:
    from civlearn.identity.models import User
    from civlearn.registry.models import Agency, Person

    clock.travel_to(timezone.make_aware(dt.datetime(2026, 12, 1, 10, 0)))
    agency = Agency.objects.create(code="A09600000Q", name="國立臺中科技大學")
    persons = Person.objects.bulk_create(
        Person(
            national_id=f"Q{n:09d}",
            name=f"學員{n}",
            birthday=dt.date(1980, 1, 1),
            agency=agency,
            post_start_date=dt.date(2015, 1, 1),
        )
        for n in range(people)
    )
    users = User.objects.bulk_create(User(person=person, password="!") for person in persons)
    users = list(User.objects.filter(person__in=persons).select_related("person"))
    now = timezone.now()
    offering = ClassOffering.objects.create(
        institution=institution,
        class_code="BURST",
        period="1",
        title="爆量報名班",
        search_text="爆量報名班",
        mode=2,
        digital_hours=0,
        physical_hours=3,
        total_hours=3,
        county_code="40",
        starts_on=dt.date(2026, 12, 15),
        ends_on=dt.date(2026, 12, 15),
        registration_opens=clock.now() - dt.timedelta(days=1),
        registration_closes=clock.now() + dt.timedelta(days=5),
        cancel_deadline=clock.now() + dt.timedelta(days=5),
        capacity=capacity,
        waitlist_limit=people,
        created_at=now,
        updated_at=now,
    )
    queue = list(users)
    lock = threading.Lock()
    tally: dict[str, int] = {}

    def worker():
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    user = queue.pop()
                status = registration.register(actor=user, offering=offering).status
                with lock:
                    tally[status] = tally.get(status, 0) + 1
        finally:
            connections.close_all()

    started = time.perf_counter()
    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for worker_thread in workers:
        worker_thread.start()
    for worker_thread in workers:
        worker_thread.join()
    elapsed = time.perf_counter() - started
    offering.refresh_from_db()
    print(
        f"burst: {people} people, {threads} threads, capacity {capacity}: {tally} in {elapsed:.1f} s "
        f"({people / elapsed:.0f} registrations/s); seats_taken={offering.seats_taken}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--offerings", type=int, default=50_000)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--capacity", type=int, default=100)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=30)
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("set DATABASE_URL to a PostgreSQL server")
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"bench_classes_{os.getpid()}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        started = time.perf_counter()
        institution = build(options.offerings)
        print(f"built {options.offerings} offerings in {time.perf_counter() - started:.1f} s")
        clock.travel_to(timezone.make_aware(dt.datetime(2026, 6, 1, 10, 0)))
        rules.invalidate()
        environment = RequirementRule.objects.get(key="environment").pk
        queries = {
            "keyword 台中": ClassQuery(keyword="台中"),
            "keyword 台中 + open now": ClassQuery(keyword="台中", open_now=True),
            "requirement 環境教育": ClassQuery(requirement_id=environment),
            "code 500 subtree + county 40": ClassQuery(category_code="500", county_code="40"),
            "keyword 氣候 + requirement + open now": ClassQuery(
                keyword="氣候", requirement_id=environment, open_now=True
            ),
            "no criteria": ClassQuery(),
        }
        print(
            f"{'search (capped count + first 20)':40} {'matches':>8} {'median':>8} {'p95':>8} {'CPU/op':>8} {'of it DB':>8}"
        )
        for label, query in queries.items():
            total = selectors.offerings_search(query).count()
            shown, _ = search_page(query)
            figures = timings(lambda q=query: search_page(q), options.rounds)
            matches = f"{total}" if shown == total else f"{selectors.COUNT_CAP}+ ({total})"
            print(
                f"{label:40} {matches:>8} {figures['median']:>6.1f}ms {figures['p95']:>6.1f}ms "
                f"{figures['cpu']:>6.1f}ms {figures['cpu_db']:>6.1f}ms"
            )
        print(f"load average: {os.getloadavg()}")
        burst(institution, options.people, options.capacity, options.threads)
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
