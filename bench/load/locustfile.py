"""The year-end rush as Locust users (issue #21). Started by bench/load/run.py, which sets the environment:

- LOAD_PLAN: the JSON plan bench/load/seed.py wrote (accounts, courses, units, HR officers, the relying party);
- the user classes on Locust's command line: StormLearner for the sign-in storm; SteadyLearner, HrOfficer and
  Institution for steady learning;
- LOAD_SPEEDUP: think times are divided by it, so that one Locust user stands for that many real learners
  (the server's CPU per learner-minute is what the run reports; the load generator shares the machine);
- LOAD_SETTLE, LOAD_DURATION, LOAD_RESULT: once every user has started, LOAD_SETTLE seconds pass (the first
  sign-ins drain), the statistics are reset and LOAD_RESULT.start is written; LOAD_DURATION seconds later the
  statistics by kind go to LOAD_RESULT (JSON) and Locust stops. run.py reads the server's CPU at those two moments.

Each learner sends `X-Forwarded-For` with an address of its own, as the reverse proxy in front of the app servers
would (TRUSTED_PROXIES is the loopback address): sign-in throttles count per person and per address, not per
load generator. Request names are the kinds the run reports.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
import time
import urllib.parse
from pathlib import Path

import gevent
from locust import constant, events, task
from locust.contrib.fasthttp import FastHttpUser

PLAN = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
SPEEDUP = float(os.environ.get("LOAD_SPEEDUP", "1"))
# Sign-in storm: the share of arrivals that then enter a connected system with OIDC (authorize, code exchange).
OIDC_SHARE = float(os.environ.get("LOAD_OIDC_SHARE", "0"))
# The heartbeat's own app server, when run.py started one (--heartbeat-workers): beats go there, as nginx routes them
# (deploy/nginx: location = /elearn/heartbeat); otherwise to the page servers with everything else.
HEARTBEAT_URL = os.environ.get("LOAD_HEARTBEAT_URL", "") + "/elearn/heartbeat"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
READING_TOKEN = re.compile(r'data-reading-token="([^"]+)"')
SUBMIT = re.compile(r'<form method="post" action="([^"]+/submit)"')
CHOICE = re.compile(r'name="(q-\d+)" value="(\d+)"')
VERIFIER = "load-verifier-" + "v" * 50

SETTLE = float(os.environ.get("LOAD_SETTLE", "0"))
DURATION = float(os.environ.get("LOAD_DURATION", "60"))
RESULT = os.environ.get("LOAD_RESULT", "")
_environment = None
_next = itertools.count()
_lock = threading.Lock()


def _take() -> int:
    with _lock:
        return next(_next)


def _address(n: int) -> str:
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


@events.init.add_listener
def _keep_environment(environment, **kwargs) -> None:
    global _environment
    _environment = environment


@events.spawning_complete.add_listener
def _start_window(user_count, **kwargs) -> None:
    if RESULT:
        gevent.spawn(_window)


def _window() -> None:
    gevent.sleep(SETTLE)
    stats = _environment.runner.stats
    stats.reset_all()
    started = time.time()
    Path(RESULT + ".start").write_text(str(started))
    gevent.sleep(DURATION)
    ended = time.time()
    rows = [
        {
            "type": entry.method,
            "name": entry.name,
            "count": entry.num_requests,
            "failed": entry.num_failures,
            **{f"p{int(q * 100)}": entry.get_response_time_percentile(q) for q in (0.5, 0.95, 0.99)},
        }
        for entry in sorted(stats.entries.values(), key=lambda e: e.name)
    ]
    errors = [{"name": e.name, "error": str(e.error), "count": e.occurrences} for e in stats.errors.values()]
    Path(RESULT).write_text(
        json.dumps({"start": started, "end": ended, "users": _environment.runner.user_count, "rows": rows,
                    "errors": errors}, ensure_ascii=False)
    )  # fmt: skip
    _environment.runner.quit()


class Person(FastHttpUser):
    abstract = True
    # Generous: a refused or slow answer is counted, not hidden by a client timeout.
    network_timeout = 30.0
    connection_timeout = 30.0

    def setup_person(self, n: int) -> None:
        self.n = n
        self.client.cookiejar.clear()
        self.headers = {"X-Forwarded-For": _address(n)}

    def get(self, path: str, kind: str, **kwargs):
        return self.client.get(path, name=kind, headers=self.headers, **kwargs)

    def post(self, path: str, kind: str, **kwargs):
        return self.client.post(path, name=kind, headers=self.headers, **kwargs)

    def sign_in(self, login: str) -> bool:
        page = self.get("/ecpa/signin", "sign-in page")
        token = CSRF.search(page.text or "")
        if token is None:
            return False
        with self.client.post(
            "/ecpa/signin",
            name="sign-in (password)",
            headers=self.headers,
            data={"csrfmiddlewaretoken": token.group(1), "login": login, "password": PLAN["password"]},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302 or "/ecpa/signin" in response.headers.get("Location", ""):
                response.failure(f"sign-in refused ({response.status_code})")
                return False
        return True

    def enter_elearn(self) -> bool:
        """SSO into e等公務園+ from 連結系統: the shared eCPA session, as a person's browser follows it."""
        with self.client.get(
            f"/ecpa/my/systems/{PLAN['elearn_system']}/enter",
            name="SSO into e等公務園+",
            headers=self.headers,
            catch_response=True,
        ) as response:
            if "/elearn/" not in response.url or "/ecpa/signin" in response.url:
                response.failure(f"ended at {response.url}")
                return False
        return True


class StormLearner(Person):
    """08:30: sign in with a password, SSO into e等公務園+, open the dashboard (a complete sign-in); then, for
    LOAD_OIDC_SHARE of them, a connected system signs the person in with OIDC (authorization request, the system's
    code exchange). Every iteration is another person."""

    wait_time = constant(0)

    @task
    def arrive(self) -> None:
        started = time.perf_counter()
        n = _take()
        self.setup_person(n)
        accounts = PLAN["accounts"]
        if not self.sign_in(accounts[n % len(accounts)]):
            return
        if not self.enter_elearn():
            return
        dashboard = self.get("/elearn/home/", "dashboard")
        if dashboard.status_code != 200:
            return
        # The whole arrival (sign-in, SSO, dashboard) as one entry, for the rate of complete sign-ins and their
        # latency.
        events.request.fire(
            request_type="JOURNEY", name="complete sign-in", response_time=(time.perf_counter() - started) * 1000,
            response_length=0, exception=None, context={},
        )  # fmt: skip
        if random.random() < OIDC_SHARE:
            self.oidc_sign_in()

    def oidc_sign_in(self) -> bool:
        import base64
        import hashlib

        rp = PLAN["rp"]
        challenge = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
        query = urllib.parse.urlencode(
            {"response_type": "code", "client_id": rp["client_id"], "redirect_uri": rp["redirect"],
             "scope": "openid profile agency", "state": str(self.n), "nonce": f"n{self.n}",
             "code_challenge": challenge, "code_challenge_method": "S256"}
        )  # fmt: skip
        with self.client.get(
            "/o/authorize/?" + query, name="OIDC authorize", headers=self.headers, allow_redirects=False,
            catch_response=True,
        ) as response:  # fmt: skip
            location = response.headers.get("Location", "")
            code = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query).get("code")
            if response.status_code != 302 or not code:
                response.failure(f"no code ({response.status_code} {location[:80]})")
                return False
        # The connected system's back end, not the browser: no cookies, its own address.
        with self.client.post(
            "/o/token/",
            name="OIDC code exchange",
            data={"grant_type": "authorization_code", "code": code[0], "redirect_uri": rp["redirect"],
                  "client_id": rp["client_id"], "client_secret": rp["secret"], "code_verifier": VERIFIER},
            headers={"X-Forwarded-For": "192.0.2.10", "Cookie": ""},
            catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code != 200 or "id_token" not in (response.text or ""):
                response.failure(f"exchange refused ({response.status_code})")
                return False
        return True


class SteadyLearner(Person):
    """A learner in the middle of the day: a heartbeat every 60 s while reading, a page every ~2 minutes (a unit,
    a catalogue search in Chinese, a course page, the dashboard), a test every ~20 minutes; 學習時數 once a visit
    and sometimes its .xlsx."""

    weight = 500

    def wait_time(self) -> float:
        return 60.0 / SPEEDUP

    visit_minutes = (30, 60)

    def on_start(self) -> None:
        self.token = None
        # Everyone is somewhere in a visit when the run starts, so visits end (and new people sign in) at the
        # steady rate from the start.
        self.start_visit(first=True)

    def start_visit(self, first: bool = False) -> None:
        """A person arrives: signs in, enters e等公務園+, opens the dashboard and a unit, checks 學習時數 (sometimes
        as .xlsx). The visit lasts 30–60 minutes of learner time; then another person takes this user's place."""
        minutes = random.uniform(*self.visit_minutes) * (random.random() if first else 1)
        self.visit_ends = time.monotonic() + minutes * 60 / SPEEDUP
        self.token = None
        n = _take()
        self.setup_person(n)
        learners = PLAN["learners"]
        self.login, self.courses = learners[n % len(learners)]
        if not self.sign_in(self.login) or not self.enter_elearn():
            return
        self.get("/elearn/home/", "page: dashboard")
        self.open_unit()
        self.get("/lifelong/folder/hours/", "page: 學習時數")
        if random.random() < 0.2:
            self.get("/lifelong/folder/hours/export.xlsx", "學習時數 .xlsx")

    def open_unit(self) -> None:
        code = random.choice(self.courses)
        units = PLAN["units"][code]["pages"]
        path = f"/elearn/courses/{code}/learn/{random.choice(units)}/" if units else f"/elearn/courses/{code}/learn/"
        page = self.get(path, "page: unit")
        found = READING_TOKEN.search(page.text or "")
        self.token = found.group(1) if found else None

    @task
    def minute(self) -> None:
        if time.monotonic() >= self.visit_ends:
            self.start_visit()
            return
        if self.token is not None:
            with self.client.post(
                HEARTBEAT_URL, name="heartbeat", data={"token": self.token}, headers=self.headers,
                catch_response=True,
            ) as beat:  # fmt: skip
                if beat.status_code == 200:
                    self.token = beat.json()["token"]
                else:
                    beat.failure(f"beat refused ({beat.status_code})")
        if random.random() < 0.5:  # a page every ~2 minutes
            choice = random.random()
            if choice < 0.4:
                self.open_unit()
            elif choice < 0.65:
                keyword = random.choice(PLAN["topics"])
                self.get("/elearn/?" + urllib.parse.urlencode({"q": keyword}), "page: catalogue search")
            elif choice < 0.85:
                self.get(f"/elearn/courses/{random.choice(self.courses)}/", "page: course")
            else:
                self.get("/elearn/home/", "page: dashboard")
        if random.random() < 1 / 20:  # a test every ~20 minutes
            self.take_test()

    def take_test(self) -> None:
        code = random.choice(self.courses)
        unit = PLAN["units"][code]["test"]
        if unit is None:
            return
        base = f"/elearn/courses/{code}/learn/{unit}/"
        page = self.get(base, "page: test")
        text = page.text or ""
        if 'name="q-' not in text:
            token = CSRF.search(text)
            if token is None:
                return
            page = self.post(base + "test/start", "test start", data={"csrfmiddlewaretoken": token.group(1)})
            text = page.text or ""
        action, token = SUBMIT.search(text), CSRF.search(text)
        if action is None or token is None:
            return
        answers: dict[str, str] = {}
        for name, value in CHOICE.findall(text):
            answers.setdefault(name, value)
        answers["csrfmiddlewaretoken"] = token.group(1)
        self.post(action.group(1), "test submission", data=answers)


class HrOfficer(Person):
    """An agency's HR officer: 管理介面 (the 5,000-person agency's report) every ~5 minutes, its .xlsx now and then."""

    weight = 1

    def wait_time(self) -> float:
        return random.uniform(200, 400) / SPEEDUP

    def on_start(self) -> None:
        self.setup_person(1_000_000 + _take())
        self.signed_in = self.sign_in(random.choice(PLAN["hr"]))

    @task
    def report(self) -> None:
        if not self.signed_in:
            return
        self.get("/lifelong/manage/", "page: HR 管理介面")
        if random.random() < 0.3:
            self.get("/lifelong/manage/download.xlsx", "HR report .xlsx")


class Institution(Person):
    """A learning institution uploading a 3,000-row batch every ~10 minutes, then watching its job."""

    fixed_count = 1

    def wait_time(self) -> float:
        return random.uniform(450, 750) / SPEEDUP

    def on_start(self) -> None:
        self.setup_person(2_000_000 + _take())
        self.signed_in = self.sign_in(PLAN["uploader"])
        self.batch = 0

    @task
    def upload(self) -> None:
        if not self.signed_in:
            return
        page = self.get("/lifelong/institution/upload", "page: upload form")
        token = CSRF.search(page.text or "")
        if token is None:
            return
        # Each file once (a file sent again would only be refused as already uploaded).
        uploads = PLAN["uploads"]
        if self.batch >= len(uploads):
            return
        body = open(uploads[self.batch], "rb").read()  # noqa: SIM115
        self.batch += 1
        with self.client.post(
            "/lifelong/institution/upload",
            name="upload 3,000 rows",
            headers=self.headers,
            data={"csrfmiddlewaretoken": token.group(1), "institution": str(PLAN["institution_id"])},
            files={"file": ("hours.csv", body, "text/csv")},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"upload refused ({response.status_code})")
