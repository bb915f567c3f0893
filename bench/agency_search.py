"""機關組織's search by agency count: time per search over the stored folded column (`Agency.search_text`,
`registry.selectors.agency_search`) and per directory page.

Run from the repository root (SQLite by default; set DATABASE_URL for PostgreSQL):

    CIVLEARN_TESTING=1 .venv/bin/python bench/agency_search.py [--agencies 1000 10000 30000] [--repeat 50]

It creates a throw-away test database, N agencies in a shallow tree (30 top-level agencies) with names like those of the real agency list
(every tenth in 臺中), and times `agency_search("台中")`, a search by code, and GET /ecpa/agencies/?q=台中 with
Django's test client. It prints the mean milliseconds. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civlearn.settings")
os.environ.setdefault("CIVLEARN_TESTING", "1")

PLACES = ["臺北市", "新北市", "桃園市", "臺中市", "臺南市", "高雄市", "基隆市", "新竹縣", "苗栗縣", "彰化縣"]
KINDS = ["政府", "衛生局", "教育局", "警察局", "地政事務所", "戶政事務所", "國民小學", "國民中學", "區公所", "圖書館"]


def mean_ms(action, repeat: int) -> float:
    action()  # warm-up: templates, query plans, caches
    start = time.perf_counter()
    for _ in range(repeat):
        action()
    return (time.perf_counter() - start) / repeat * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, nargs="+", default=[1000, 10000, 30000])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.db.models import F
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from civlearn.registry import selectors
        from civlearn.registry.models import Agency, agency_search_text

        client = Client()
        print(f"database: {connection.vendor}")
        print("agencies | search 台中 (ms) | search by code (ms) | page ?q=台中 (ms)")
        made = 0
        for target in sorted(args.agencies):
            rows = []
            for n in range(made, target):
                name = f"{PLACES[n % 10]}第{n}{KINDS[(n // 10) % 10]}"
                code = f"B{n:08d}X"
                rows.append(Agency(code=code, name=name, search_text=agency_search_text(name=name, code=code)))
            Agency.objects.bulk_create(rows, batch_size=2000)
            # A shallow tree like the real list: 30 top-level agencies, everything else under one of them.
            top = list(Agency.objects.order_by("code").values_list("pk", flat=True)[:30])
            loose = Agency.objects.exclude(pk__in=top).filter(parent__isnull=True)
            for index, top_id in enumerate(top):
                ids = loose.annotate(slot=F("pk") % len(top)).filter(slot=index).values_list("pk", flat=True)
                Agency.objects.filter(pk__in=list(ids)).update(parent_id=top_id)
            made = target
            by_name = mean_ms(lambda: selectors.agency_search("台中"), args.repeat)
            code_query = f"b{target // 2:08d}x"
            by_code = mean_ms(lambda q=code_query: selectors.agency_search(q), args.repeat)
            page = mean_ms(lambda: client.get("/ecpa/agencies/", {"q": "台中"}), args.repeat)
            print(f"{target:>8} | {by_name:>17.2f} | {by_code:>19.2f} | {page:>17.2f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
