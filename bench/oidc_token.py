"""In a sign-in storm the OIDC code exchange must never be the bottleneck (issue 14): in one run, password sign-ins
per second (POST /ecpa/signin at the configured Argon2 cost, a session started each time), OIDC code exchanges per second
(POST /o/token/ through Django and django-oauth-toolkit, an RS256 ID token signed each time) and their ratio (the
goal is at least 3). Client-credentials tokens per second are printed too.

Run from the repository root:

    .venv/bin/python bench/oidc_token.py [--signins 60] [--exchanges 300]

Everything runs in this one process with Django's test Client on a throw-away test database (SQLite in memory, or a
`test_…` database beside DATABASE_URL), so both figures pay the same machine and the ratio holds on a busy machine
better than either figure. Wall time and this process's CPU time are printed; the codes are minted beforehand
(GET /o/authorize/ as a signed-in person), so only the token endpoint is timed. Nothing is asserted; the figures go
to docs/performance.md with the machine's load (`uptime`).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import os
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civlearn.settings")
os.environ.setdefault("CIVLEARN_DEMO", "1")  # development secret key; production hashers (not the test suite's MD5)
os.environ.pop("CIVLEARN_TESTING", None)
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the test Client speaks plain HTTP

PASSWORD = "Civ!learn2026"
SECRET = "bench-client-secret-0123456789abcdefghijklmnopqrstuvwxyz"
REDIRECT = "https://rp.example.tw/callback"
VERIFIER = "v" * 64
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()


def _timed(fn, count: int) -> tuple[float, float]:
    """Operations per second by wall clock and by this process's CPU time."""
    wall, cpu = time.perf_counter(), time.process_time()
    for n in range(count):
        fn(n)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return count / wall, count / cpu


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--signins", type=int, default=60)
    parser.add_argument("--exchanges", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="profile the code exchanges (CPU clock) and stop")
    parser.add_argument("--statements", action="store_true", help="print the SQL of one code exchange and stop")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    old = setup_databases(verbosity=0, interactive=False)
    try:
        from oauth2_provider.models import get_application_model

        from civlearn.identity.models import ThrottleCounter, User
        from civlearn.registry.models import Agency, Person
        from civlearn.sso.models import RelyingParty

        Application = get_application_model()
        agency = Agency.objects.create(code="A09600000Q", name="國立臺中科技大學")
        person = Person.objects.create(
            agency=agency,
            national_id="A123456789",
            name="王小明",
            birthday=dt.date(1972, 1, 1),
            post_start_date=dt.date(2015, 8, 1),
        )
        user = User.objects.create_user(None, PASSWORD, person=person)
        rp = Application.objects.create(
            name="e等公務園+",
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            algorithm=Application.RS256_ALGORITHM,
            redirect_uris=REDIRECT,
            client_secret=SECRET,
            skip_authorization=True,
        )
        RelyingParty.objects.create(application=rp, allowed_scopes="openid profile email agency", first_party=True)
        machine = Application.objects.create(
            name="學習機構",
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            client_secret=SECRET,
        )
        hasher = settings.PASSWORD_HASHERS[0].rsplit(".", 1)[1]
        print(
            f"hasher: {hasher} (memory {settings.ARGON2_MEMORY_KIB} KiB, time cost {settings.ARGON2_TIME_COST}); "
            f"database: {django.db.connection.vendor}"
        )

        def signin(n):
            # The sign-in page as a browser posts it (a new session each time), like the exchange below.
            response = Client().post("/ecpa/signin", {"login": "A123456789", "password": PASSWORD})
            assert response.status_code == 302, response.content[:300]

        browser = Client()
        browser.force_login(user)
        codes = []
        for n in range(args.exchanges):
            response = browser.get(
                "/o/authorize/",
                {
                    "response_type": "code",
                    "client_id": rp.client_id,
                    "redirect_uri": REDIRECT,
                    "scope": "openid profile agency",
                    "state": str(n),
                    "nonce": f"n{n}",
                    "code_challenge": CHALLENGE,
                    "code_challenge_method": "S256",
                },
            )
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(response["Location"]).query)
            codes.append(query["code"][0])

        relying_party = Client()

        def exchange(n):
            response = relying_party.post(
                "/o/token/",
                {
                    "grant_type": "authorization_code",
                    "code": codes[n],
                    "redirect_uri": REDIRECT,
                    "client_id": rp.client_id,
                    "client_secret": SECRET,
                    "code_verifier": VERIFIER,
                },
            )
            assert response.status_code == 200, response.content

        def client_credentials(n):
            response = relying_party.post(
                "/o/token/",
                {"grant_type": "client_credentials", "client_id": machine.client_id, "client_secret": SECRET},
            )
            assert response.status_code == 200, response.content

        if args.statements:
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            exchange(0)  # the first one creates the signing key
            with CaptureQueriesContext(connection) as captured:
                exchange(1)
            for n, query in enumerate(captured.captured_queries, 1):
                print(f"{n:3d} {query['sql'][:160]}")
            return

        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile(time.process_time)
            profiler.runcall(_timed, exchange, args.exchanges)
            pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(45)
            return

        exchange_wall, exchange_cpu = _timed(exchange, args.exchanges)
        signin_wall, signin_cpu = _timed(signin, args.signins)
        cc_wall, cc_cpu = _timed(client_credentials, args.exchanges)
        ThrottleCounter.objects.all().delete()
        print(f"password sign-ins       {signin_wall:8.1f}/s wall   {signin_cpu:8.1f}/s of CPU   (n={args.signins})")
        print(
            f"OIDC code exchanges     {exchange_wall:8.1f}/s wall   {exchange_cpu:8.1f}/s of CPU   (n={args.exchanges})"
        )
        print(f"client credentials      {cc_wall:8.1f}/s wall   {cc_cpu:8.1f}/s of CPU   (n={args.exchanges})")
        print(
            f"ratio exchanges / sign-ins: {exchange_wall / signin_wall:.1f} (wall), "
            f"{exchange_cpu / signin_cpu:.1f} (CPU); goal >= 3"
        )
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
