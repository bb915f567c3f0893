"""Token endpoint throughput: civlearn (/o/token/ as ADR 0009 answers it, on granian WSGI, 2 workers, PostgreSQL)
beside the `oidc-provider` npm package (v8, Node 20, in-memory store) on this machine, in the same run.

Run from the repository root (needs wrk, node and npm; PostgreSQL on 127.0.0.1):

    .venv/bin/python bench/oidc_token.py [--duration 5] [--rounds 3] [--connections 16]

Two workloads, each against both servers; both servers stay up and are loaded in turns, one at a time, round after
round, and the medians are printed (whatever else runs on a shared machine then weighs on both sides alike):
- client credentials: POST /token with client_id + client_secret (HTTP body), an opaque access token back;
- code exchange: POST /token with a fresh authorization code + PKCE verifier; both servers sign an RS256 ID token.
  Codes are minted beforehand (civlearn: Grant rows; Node: its own AuthorizationCode model through a bench-only
  route of bench/oidc_node/provider.mjs), so only the token endpoint is measured.
It prints requests/s, p99 latency and non-2xx counts for each, the server's CPU per request (user + system time of
its processes, and for civlearn of its PostgreSQL backends, from /proc), and the civlearn / Node ratios. Nothing is
asserted; the figures go to docs/performance.md.

    .venv/bin/python bench/oidc_token.py --in-process 300 [--profile]

measures civlearn alone, in this process with Django's test Client (no server, no wrk): CPU per request of this
process and of its PostgreSQL backend, the statements per request, and with --profile the top of a cProfile run
on a CPU clock. Test-Client overhead is included; the figures are stable while the machine is busy.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from proc_cpu import cpu_seconds, database_backends, group_cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / "bench" / "oidc_node"
BENCH_DB = os.environ.get("BENCH_OIDC_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/civlearn_bench_oidc")


def free_port() -> int:
    # Other benchmarks may be running on this machine: take whatever port is free.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


DJANGO_PORT = int(os.environ.get("BENCH_PORT") or free_port())
NODE_PORT = int(os.environ.get("BENCH_NODE_PORT") or free_port())
SECRET = "bench-client-secret-0123456789abcdefghijklmnopqrstuvwxyz"  # a throwaway client of a throwaway database
REDIRECT = "http://localhost/bench/callback"
VERIFIER = "bench-verifier-" + "x" * 50
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()

STATIC_LUA = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "%(body)s"
"""

CODES_LUA = r"""
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  codes = {}
  local i = 0
  for line in io.lines("%(codes)s") do
    if i %% %(threads)d == id then codes[#codes + 1] = line end
    i = i + 1
  end
  n = 0
end
function request()
  n = n + 1
  local code = codes[((n - 1) %% #codes) + 1]
  return wrk.format("POST", "%(path)s", {["Content-Type"] = "application/x-www-form-urlencoded"},
    "%(body)s&code=" .. code)
end
"""


def django_env() -> dict[str, str]:
    values = dict(os.environ)
    values.update(
        DATABASE_URL=BENCH_DB,
        CIVLEARN_DEMO="1",
        DJANGO_SETTINGS_MODULE="civlearn.settings",
        PYTHONPATH=str(ROOT),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL=f"http://localhost:{DJANGO_PORT}",
        LOG_LEVEL="WARNING",
        # Plain HTTP on loopback only; production runs behind HTTPS.
        OAUTHLIB_INSECURE_TRANSPORT="1",
    )
    values.pop("CIVLEARN_TESTING", None)
    return values


def ensure_database() -> None:
    import psycopg

    name = BENCH_DB.rsplit("/", 1)[1]
    with psycopg.connect(BENCH_DB.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def prepare_django(codes: int, code_file: Path) -> dict[str, str]:
    """Clients, a person, and `codes` authorization codes (Grant rows) with the PKCE challenge."""
    os.environ.update(django_env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import datetime as dt
    import secrets

    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken, get_application_model

    from civlearn.identity.models import User
    from civlearn.sso.models import RelyingParty

    Application = get_application_model()
    # Start each run from empty token tables so runs compare.
    RefreshToken.objects.all().delete()
    AccessToken.objects.all().delete()
    IDToken.objects.all().delete()
    Grant.objects.all().delete()
    Application.objects.filter(name__startswith="bench-").delete()
    machine = Application.objects.create(
        name="bench-cc",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=SECRET,
    )
    rp = Application.objects.create(
        name="bench-rp",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        client_secret=SECRET,
        redirect_uris=REDIRECT,
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    RelyingParty.objects.create(application=rp, first_party=True, allowed_scopes="openid profile email agency")
    user, _ = User.objects.get_or_create(username="benchoidc", defaults={"email": "bench@example.tw"})
    expires = timezone.now() + dt.timedelta(hours=1)
    values = [secrets.token_urlsafe(30) for _ in range(codes)]
    Grant.objects.bulk_create(
        [
            Grant(
                user=user,
                application=rp,
                code=code,
                expires=expires,
                redirect_uri=REDIRECT,
                scope="openid profile",
                code_challenge=CHALLENGE,
                code_challenge_method="S256",
                nonce="",
                claims="",
            )
            for code in values
        ],
        batch_size=2000,
    )
    code_file.write_text("\n".join(values) + "\n")
    return {"cc": machine.client_id, "rp": rp.client_id}


def node_clients() -> list[dict]:
    return [
        {
            "client_id": "bench-cc",
            "client_secret": SECRET,
            "grant_types": ["client_credentials"],
            "response_types": [],
            "redirect_uris": [],
            "token_endpoint_auth_method": "client_secret_post",
        },
        {
            "client_id": "bench-rp",
            "client_secret": SECRET,
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "client_secret_post",
            "scope": "openid profile email",
        },
    ]


def mint_node_codes(codes: int, code_file: Path) -> None:
    query = urllib.parse.urlencode(
        {"n": codes, "client_id": "bench-rp", "redirect_uri": REDIRECT, "code_challenge": CHALLENGE}
    )
    request = urllib.request.Request(f"http://127.0.0.1:{NODE_PORT}/bench/codes?{query}", method="POST")
    values = json.loads(urllib.request.urlopen(request, timeout=120).read())
    code_file.write_text("\n".join(values) + "\n")


def wrk(args: list[str]) -> str:
    return subprocess.run(["wrk", *args], capture_output=True, text=True, check=True).stdout


def parse(output: str) -> dict[str, float]:
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    total = int(re.search(r"(\d+) requests in", output).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rate": rate,
        "p99_ms": float(p99.group(1)) * scale,
        "total": total,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
    }


def wait_for(url: str) -> None:
    for _ in range(150):
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def measured(pgid: int, args: list[str], *, database: bool) -> dict[str, float]:
    backends = database_backends(BENCH_DB) if database else []
    before = group_cpu_seconds(pgid), cpu_seconds(backends)
    figures = parse(wrk(args))
    requests = max(figures["total"], 1)
    figures["cpu_ms"] = (group_cpu_seconds(pgid) - before[0]) * 1000 / requests
    figures["db_ms"] = (cpu_seconds(backends) - before[1]) * 1000 / requests
    return figures


def lua_scripts(
    *, path: str, static_body: str, code_body: str, codes: list[str], rounds: int, workdir: Path, name: str
) -> tuple[Path, list[Path]]:
    """The client-credentials script, and one code-exchange script per round with codes of its own (a wrk run
    starts at the top of its file, and a code works once)."""
    static = workdir / f"static-{name}.lua"
    static.write_text(STATIC_LUA % {"body": static_body})
    per_round = len(codes) // rounds
    scripts = []
    for r in range(rounds):
        code_file = workdir / f"codes-{name}-{r}.txt"
        code_file.write_text("\n".join(codes[r * per_round : (r + 1) * per_round]) + "\n")
        script = workdir / f"codes-{name}-{r}.lua"
        script.write_text(CODES_LUA % {"codes": code_file, "threads": 2, "path": path, "body": code_body})
        scripts.append(script)
    return static, scripts


def median_figures(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: sorted(run[key] for run in runs)[len(runs) // 2] for key in runs[0]}


def in_process(requests: int, profile: bool) -> None:
    """civlearn's /o/token/ through Django's test Client in this process: CPU and statements per request."""
    import cProfile
    import io
    import pstats

    ensure_database()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=django_env(), check=True
    )
    workdir = Path(tempfile.mkdtemp(prefix="oidc-bench-"))
    ids = prepare_django(3 * requests + 100, workdir / "codes.txt")
    codes = (workdir / "codes.txt").read_text().split()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="localhost")
    bodies = {
        "client credentials": lambda: {
            "grant_type": "client_credentials", "client_id": ids["cc"], "client_secret": SECRET,
        },
        "code exchange + ID token": lambda: {
            "grant_type": "authorization_code", "client_id": ids["rp"], "client_secret": SECRET,
            "redirect_uri": REDIRECT, "code_verifier": VERIFIER, "code": codes.pop(),
        },
    }  # fmt: skip

    def post(body: dict) -> None:
        response = client.post("/o/token/", urllib.parse.urlencode(body), "application/x-www-form-urlencoded")
        assert response.status_code == 200, response.content

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = [cursor.fetchone()[0]]
    for label, body in bodies.items():
        for _ in range(20):
            post(body())  # warm-up: keys parsed, client cached
        with CaptureQueriesContext(connection) as captured:
            post(body())
        # Read now: every request through the test Client empties the connection's query log.
        queries = captured.captured_queries
        # Batches, median: a busy machine makes single figures jump.
        batches = []
        for _ in range(5):
            batch = [body() for _ in range(requests // 5)]
            before = time.process_time(), cpu_seconds(backend)
            for one in batch:
                post(one)
            batches.append(
                ((time.process_time() - before[0]) * 1000 / len(batch),
                 (cpu_seconds(backend) - before[1]) * 1000 / len(batch))
            )  # fmt: skip
        app_ms, db_ms = sorted(batches)[len(batches) // 2]
        print(f"{label:26s} {app_ms:6.2f} ms CPU/request in Django (incl. test Client) + {db_ms:5.2f} ms PostgreSQL "
              f"backend; {len(queries)} statements: " + "; ".join(q["sql"][:40] for q in queries))  # fmt: skip
        if profile:
            profiler = cProfile.Profile(time.process_time)
            batch = [body() for _ in range(min(requests, 200))]
            profiler.enable()
            for one in batch:
                post(one)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
            print(out.getvalue())
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--django-codes", type=int, default=20000)
    parser.add_argument("--node-codes", type=int, default=80000)
    parser.add_argument("--in-process", type=int, default=0, metavar="N", help="only civlearn, N requests in-process")
    parser.add_argument("--profile", action="store_true", help="with --in-process: cProfile on a CPU clock")
    options = parser.parse_args()
    if options.in_process:
        in_process(options.in_process, options.profile)
        return
    if not (NODE_DIR / "node_modules" / "oidc-provider").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True)

    ensure_database()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=django_env(), check=True
    )
    workdir = Path(tempfile.mkdtemp(prefix="oidc-bench-"))
    django_codes, node_codes = workdir / "django-codes.txt", workdir / "node-codes.txt"
    ids = prepare_django(options.django_codes, django_codes)
    common = ["-t2", f"-c{options.connections}", f"-d{options.duration}s", "--latency"]

    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/granian"), "--interface", "wsgi", "civlearn.wsgi:application",
         "--host", "127.0.0.1", "--port", str(DJANGO_PORT), "--workers", str(options.workers),
         "--blocking-threads", "1", "--no-ws", "--log-level", "warning"],
        cwd=ROOT, env=django_env(), start_new_session=True,
    )  # fmt: skip
    node_env = {**os.environ, "PORT": str(NODE_PORT), "CLIENTS": json.dumps(node_clients()), "BENCH": "1"}
    node = subprocess.Popen(
        ["node", "provider.mjs"],
        cwd=NODE_DIR,
        env=node_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    exchange_body = (
        "grant_type=authorization_code&client_id={client}&client_secret="
        + SECRET
        + f"&redirect_uri={urllib.parse.quote(REDIRECT, safe='')}&code_verifier={VERIFIER}"
    )
    try:
        django_base = f"http://127.0.0.1:{DJANGO_PORT}"
        wait_for(django_base + "/o/.well-known/jwks.json")
        line = node.stdout.readline().decode()
        if not line.startswith("ready "):
            raise RuntimeError(f"the Node provider did not start: {line!r}")
        mint_node_codes(options.node_codes, node_codes)
        node_base = f"http://127.0.0.1:{NODE_PORT}"
        servers = {
            "civlearn": {
                "pgid": server.pid,
                "base": django_base,
                "database": True,
                "scripts": lua_scripts(
                    path="/o/token/", codes=django_codes.read_text().split(),
                    static_body=f"grant_type=client_credentials&client_id={ids['cc']}&client_secret={SECRET}",
                    code_body=exchange_body.format(client=ids["rp"]), rounds=options.rounds, workdir=workdir,
                    name="django",
                ),
                "path": "/o/token/",
            },
            "oidc-provider": {
                "pgid": node.pid,
                "base": node_base,
                "database": False,
                "scripts": lua_scripts(
                    path="/token", codes=node_codes.read_text().split(),
                    static_body=f"grant_type=client_credentials&client_id=bench-cc&client_secret={SECRET}",
                    code_body=exchange_body.format(client="bench-rp"), rounds=options.rounds, workdir=workdir,
                    name="node",
                ),
                "path": "/token",
            },
        }  # fmt: skip
        for spec in servers.values():
            wrk(["-t2", "-c8", "-d2s", "-s", str(spec["scripts"][0]), spec["base"] + spec["path"]])  # warm-up
        # Both servers stay up (an idle one costs nothing) and take turns, round after round: whatever else runs on
        # the machine then weighs on both sides alike, and the medians compare.
        results: dict[tuple[str, str], list[dict[str, float]]] = {}
        for r in range(options.rounds):
            for who, spec in servers.items():
                static, exchange_scripts = spec["scripts"]
                cc_run = measured(
                    spec["pgid"], [*common, "-s", str(static), spec["base"] + spec["path"]], database=spec["database"]
                )
                results.setdefault((who, "cc"), []).append(cc_run)
                code_run = measured(
                    spec["pgid"], [*common, "-s", str(exchange_scripts[r]), spec["base"]], database=spec["database"]
                )
                results.setdefault((who, "code"), []).append(code_run)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
        node.terminate()
        node.wait(timeout=10)
    django_cc, django_code = median_figures(results[("civlearn", "cc")]), median_figures(results[("civlearn", "code")])
    node_cc, node_code = (
        median_figures(results[("oidc-provider", "cc")]),
        median_figures(results[("oidc-provider", "code")]),
    )

    print(f"wrk -t2 -c{options.connections} -d{options.duration}s on loopback, median of {options.rounds} rounds "
          f"taken in turns; civlearn: granian WSGI "
          f"{options.workers} workers, PostgreSQL; Node {subprocess.check_output(['node', '--version'], text=True).strip()}"
          f" oidc-provider 8 (one process, in-memory store)")  # fmt: skip
    rows = [
        ("client credentials", django_cc, node_cc),
        ("code exchange + ID token", django_code, node_code),
    ]
    for label, ours, theirs in rows:
        for who, figures in (("civlearn", ours), ("oidc-provider", theirs)):
            print(f"{label:26s} {who:14s} {figures['rate']:8.0f} req/s  p99 {figures['p99_ms']:7.2f} ms  "
                  f"server CPU {figures['cpu_ms']:6.2f} + PostgreSQL {figures['db_ms']:5.2f} ms/request  "
                  f"{figures['total']} requests, {figures['non2xx']} non-2xx")  # fmt: skip
        print(f"{label:26s} ratio civlearn / oidc-provider: rate {ours['rate'] / theirs['rate']:.2f}, "
              f"CPU per request {ours['cpu_ms'] / theirs['cpu_ms']:.1f}× "
              f"({(ours['cpu_ms'] + ours['db_ms']) / theirs['cpu_ms']:.1f}× with PostgreSQL)")  # fmt: skip
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
