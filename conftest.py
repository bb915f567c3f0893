"""Fixtures shared by every app's tests: personas, a real local SMTP server, Chromium through Playwright."""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import glob
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field

import pytest

os.environ.setdefault("CIVLEARN_TESTING", "1")
# Playwright's sync API runs an event loop in the test thread; the ORM calls made by the test itself are
# still plain synchronous calls, so Django's async-safety guard is a false alarm here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytest_plugins = ["civlearn.testing.required", "pytester"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items):
    misplaced = []
    for item in items:
        # One naming scheme: browser tests live in test_browser_*.py files, and every test there is marked `browser`.
        if item.path.name.startswith("test_browser_"):
            item.add_marker(pytest.mark.browser)
        elif {"page", "browser"} & set(getattr(item, "fixturenames", ())):
            misplaced.append(item.nodeid)
        # A transactional test (live server, browser) ends by flushing every table, which would also wipe the
        # reference data that migrations load (category code tables, requirement rules, connected systems) for the
        # tests after it. Serialized rollback restores that data at the start of each such test. Every transactional
        # test must use it: one flush without it re-creates content types under new ids, and the next restore then
        # collides with them.
        marker = item.get_closest_marker("django_db")
        if marker is not None and marker.kwargs.get("transaction") and not marker.kwargs.get("serialized_rollback"):
            kwargs = {**marker.kwargs, "serialized_rollback": True}
            item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)
            continue
        names = getattr(item, "fixturenames", None)
        if names is None or "django_db_serialized_rollback" in names:
            continue
        if "live_server" in names or "transactional_db" in names:
            names.append("django_db_serialized_rollback")
    if misplaced:
        raise pytest.UsageError(
            "tests that drive Chromium belong in files named test_browser_*.py: " + ", ".join(sorted(misplaced))
        )


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """On SQLite, a test database in a file (on tmpfs when there is one) instead of in memory.

    With an in-memory database the live server's threads and the test thread share one connection object (Django
    cannot open a second connection to it), so a page's request and the test's own queries interleave on it: under
    load SQLite then refuses a commit ("cannot commit transaction - SQL statements in progress") and the next request
    is refused by CSRF. With a file each thread has its own connection, serialised by SQLite's locks (WAL, busy
    timeout), as in production.
    """
    from django.conf import settings

    folder = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
    _remove_databases_of_ended_runs(folder)
    for alias, database in settings.DATABASES.items():
        if database["ENGINE"] == "django.db.backends.sqlite3":
            name = os.path.join(folder, f"civlearn-test-{os.getpid()}-{alias}.sqlite3")
            database.setdefault("TEST", {})["NAME"] = name


def _remove_databases_of_ended_runs(folder: str) -> None:
    """A run that was killed leaves its database file behind, in memory when the folder is tmpfs."""
    for path in glob.glob(os.path.join(folder, "civlearn-test-*-*.sqlite3*")):
        pid = os.path.basename(path).split("-")[2]
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                os.remove(path)
        except (ValueError, PermissionError):
            continue


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.db import connections

    for alias in connections:
        connection = connections[alias]
        contents = getattr(connection, "_test_serialized_contents", None)
        if contents is not None:
            # Django keeps the serialized data on the connection object of the thread that created the test
            # database. Once Playwright's event loop runs in the test thread, asgiref's context-local storage hands
            # out a new connection object without it, and serialized rollback silently restores nothing. The class
            # attribute makes the data visible to every connection object of this backend.
            type(connection)._test_serialized_contents = contents
    yield
    # Threads of live-server and concurrency tests may still hold a connection to the PostgreSQL test database;
    # end them so that the test database can be dropped instead of being left behind.
    with django_db_blocker.unblock():
        for alias in connections:
            connection = connections[alias]
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )


@pytest.fixture(autouse=True)
def _reset_clock_and_cache():
    from django.conf import settings
    from django.core.cache import cache
    from django.utils import translation

    from civlearn.core import clock

    clock.reset()
    cache.clear()
    # A request in English (the test client runs it in this thread) leaves English active after it: LocaleMiddleware
    # activates the request's language and nothing deactivates it. Every test starts in the site's language.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    clock.reset()
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# ---- personas ---------------------------------------------------------------------------------------------

PASSWORD = "Civ!learn2026"


@pytest.fixture
def agency(db):
    from civlearn.registry.models import Agency

    return Agency.objects.create(code="A09600000Q", name="國立臺中科技大學")


@pytest.fixture
def sub_agency(db, agency):
    from civlearn.registry.models import Agency

    return Agency.objects.create(code="A09600001Q", name="國立臺中科技大學附設進修部", parent=agency)


@pytest.fixture
def other_agency(db):
    from civlearn.registry.models import Agency

    return Agency.objects.create(code="379000000A", name="臺北市政府")


def make_person(agency, national_id, name, **extra):
    from civlearn.registry.models import Person

    defaults = {
        "birthday": dt.date(1972, 1, 1),
        "post_start_date": dt.date(2015, 8, 1),
        "personnel_category": "11-一般人員",
        "identity_type": "公務人員",
    }
    defaults.update(extra)
    return Person.objects.create(agency=agency, national_id=national_id, name=name, **defaults)


def make_account(person, *, password=PASSWORD, **extra):
    from civlearn.core import clock
    from civlearn.identity.models import User

    user = User.objects.create_user(None, None, person=person, email=extra.pop("email", person.email), **extra)
    user.set_password(password)
    # A password set long enough ago that the 2-hour minimum age does not get in a test's way.
    user.password_changed_at = clock.now() - dt.timedelta(days=1)
    user.save()
    return user


@pytest.fixture
def learner_person(agency):
    return make_person(agency, "A123456789", "王小明", email="xiaoming@example.tw")


@pytest.fixture
def learner(learner_person):
    return make_account(learner_person)


@pytest.fixture
def hr_officer(agency):
    from civlearn.identity.models import AgencyRole

    # A number with a valid check digit (B220000005 was not), so code that validates IDs treats it as real.
    user = make_account(make_person(agency, "B220000019", "林人事", email="hr@example.tw"))
    AgencyRole.objects.create(user=user, agency=agency, role=AgencyRole.HR_OFFICER)
    return user


@pytest.fixture
def other_hr_officer(other_agency):
    from civlearn.identity.models import AgencyRole

    user = make_account(make_person(other_agency, "F131104093", "陳他機", email="hr2@example.tw"))
    AgencyRole.objects.create(user=user, agency=other_agency, role=AgencyRole.HR_OFFICER)
    return user


@pytest.fixture
def operator(db):
    from civlearn.identity.models import User

    return User.objects.create_superuser("operator", PASSWORD, email="ops@example.tw")


# ---- a real SMTP server on localhost ------------------------------------------------------------------------


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[email.message.EmailMessage]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
        assert len(self.messages) >= count, f"expected {count} message(s), got {len(self.messages)}"
        return self.messages


@pytest.fixture
def smtp_server(settings):
    """An aiosmtpd server on a free port; Django's SMTP backend sends to it for real."""
    from aiosmtpd.controller import Controller

    server = SmtpServer(host="127.0.0.1", port=0)

    class Handler:
        async def handle_DATA(self, _server, _session, envelope):
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            with server._arrived:
                server.messages.append(message)
                server._arrived.notify_all()
            return "250 OK"

    # aiosmtpd's start() connects to the configured port to check the server is up, so port 0 cannot be
    # passed through: ask the OS for a free port first.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=free_port)
    controller.start()
    server.port = free_port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    try:
        yield server
    finally:
        controller.stop()


def message_text(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part else ""


# ---- Chromium through Playwright ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    from civlearn.testing.required import skip_needing

    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        skip_needing("browser", "Chromium is not installed (./test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


@pytest.fixture
def page(request, browser, live_server):
    from civlearn.testing.browser import shoot

    context = browser.new_context(locale="zh-TW", base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    if request.node.stash.get(_CALL_FAILED, False):
        # What the browser showed when the test failed (with TEST_ARTIFACTS set, as ./test does).
        shoot(tab, f"failed-{request.node.nodeid}")
    context.close()


@pytest.fixture
def english_visitor():
    """A second visitor who chose English (their request activates it; override() restores the test's language)."""
    from django.test import Client
    from django.utils import translation

    with translation.override(translation.get_language()):
        visitor = Client()
        visitor.post("/i18n/setlang/", {"language": "en", "next": "/ecpa/signin"})
        yield visitor
