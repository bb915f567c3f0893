"""SCORM figures, in process (no web server): package import time and runtime commit handling.

Run from the repository root (PostgreSQL, a throw-away test database named after this process):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres CIVLEARN_TESTING=1 .venv/bin/python bench/scorm.py

Prints: the time to check and unpack the golf SCORM 1.2 package (if ../shared/scorm exists) and a generated
package of 2,000 files; commits per second through the full Django stack (the commit view with a 3 KB
suspend_data, Django's test client, one learner after another); and SCORM 2004 sequencing-state saves per second
(the state view with the engine's real serialized state of the four-activity pre-test course, made by the
vendored scorm-again under Node, ≈ 46 KB; every 2004 commit also saves this state). Nothing is asserted.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civlearn.settings")
os.environ.setdefault("CIVLEARN_TESTING", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402


def main() -> None:
    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    settings.SCORM_ROOT = Path(tempfile.mkdtemp(prefix="scorm-bench-"))
    settings.SCORM_CONTENT_ORIGIN = "http://127.0.0.1"
    try:
        run()
    finally:
        teardown_databases(old, verbosity=0)


def run() -> None:
    from civlearn.identity.models import AgencyRole, User
    from civlearn.learning.catalogue.services import enrol
    from civlearn.learning.completion.consent import consent_record
    from civlearn.learning.models import Course
    from civlearn.learning.scorm.services import package_publish, package_upload
    from civlearn.learning.scorm.tracking import launch_token, session_open
    from civlearn.learning.tests import scorm_packages as testing
    from civlearn.registry.models import Agency

    agency = Agency.objects.create(code="A09600000Q", name="國立臺中科技大學")
    provider = User.objects.create_user("bench-provider", "Bench!2026x", email="p@example.tw")
    AgencyRole.objects.create(user=provider, agency=agency, role=AgencyRole.PROVIDER)
    course = Course.objects.create(
        code="BENCH-SCORM",
        title="bench",
        category_code="339",
        certified_hours=Decimal("1.0"),
        production_year=2025,
        provider_agency=agency,
        required_reading_minutes=600,
    )

    def timed_import(data: bytes, label: str):
        started = time.perf_counter()
        package = package_upload(actor=provider, course=course, upload=io.BytesIO(data), original_name=label)
        elapsed = time.perf_counter() - started
        print(
            f"import {label}: {package.file_count} files, {package.size_bytes / 1e6:.1f} MB → {elapsed * 1000:.0f} ms"
        )
        return package

    golf = ROOT.parent / "shared" / "scorm" / "singlescobasic.zip"
    if golf.exists():
        timed_import(golf.read_bytes(), "singlescobasic.zip")
    files = {"imsmanifest.xml": testing.manifest_12(), "sco1/index.html": "x"}
    files.update({f"assets/page{n:04d}.html": "<p>" + "內容" * 200 + "</p>" for n in range(1998)})
    package = timed_import(testing.package_with(files), "generated-2000-files.zip")
    package = package_publish(actor=provider, package=package)
    sco = package.scos.get()

    learners = []
    for n in range(50):
        user = User.objects.create_user(f"bench{n}", "Bench!2026x", email=f"b{n}@example.tw")
        consent_record(user=user, share_hours=False)
        enrolment = enrol(user=user, course=course)
        session = session_open(launch=launch_token(sco=sco, user=user, enrolment=enrolment, parent_origin="x"))
        learners.append(session.token)

    client = Client()
    suspend = "x" * 3000
    rounds = int(os.environ.get("BENCH_ROUNDS", "20"))
    started = time.perf_counter()
    for seq in range(1, rounds + 1):
        for token in learners:
            body = {
                "seq": seq,
                "data": {
                    "cmi": {
                        "core": {
                            "lesson_status": "incomplete",
                            "lesson_location": str(seq),
                            "session_time": f"00:00:{seq:02d}",
                        },
                        "suspend_data": suspend,
                    }
                },
            }
            response = client.post(
                f"/elearn/scorm-content/commit/{token}",
                json.dumps(body),
                content_type="text/plain",
                HTTP_HOST="127.0.0.1",
            )
            assert response.status_code == 200, response.content
    elapsed = time.perf_counter() - started
    commits = rounds * len(learners)
    print(
        f"commits: {commits} in {elapsed:.2f} s → {commits / elapsed:.0f} commits/s "
        f"({elapsed / commits * 1000:.1f} ms each, one process, {settings.DATABASES['default']['ENGINE']})"
    )

    sequencing_saves(provider=provider, course=course)


def sequencing_saves(*, provider, course) -> None:
    import shutil
    import subprocess

    from civlearn.identity.models import User
    from civlearn.learning.catalogue.services import enrol
    from civlearn.learning.completion.consent import consent_record
    from civlearn.learning.scorm.course_attempt import course_launch_token, course_session_open
    from civlearn.learning.scorm.manifest import manifest_parse
    from civlearn.learning.scorm.services import package_publish, package_upload
    from civlearn.learning.tests import scorm_packages as testing

    node = shutil.which("node")
    if node is None:
        print("sequencing state saves: skipped (no Node to make a real engine state)")
        return
    manifest = manifest_parse(testing.manifest_2004_pretest().encode())
    request = {
        "runtime": str(ROOT / "static" / "vendor" / "scorm-again" / "scorm2004.min.js"),
        "tree": manifest.activity_tree(),
        "collections": manifest.collections,
        "state": "",
        "steps": [["request", "start"], ["sco", [["cmi.completion_status", "completed"]], "continue"]],
    }
    harness = ROOT / "civlearn" / "learning" / "tests" / "scorm_engine.js"
    played = subprocess.run([node, str(harness)], input=json.dumps(request), capture_output=True, text=True, check=True)
    state = json.loads(played.stdout)["state"]
    package = package_upload(
        actor=provider, course=course, upload=io.BytesIO(testing.package_2004_pretest()), original_name="pretest.zip"
    )
    package = package_publish(actor=provider, package=package)
    tokens = []
    for n in range(50):
        user = User.objects.create_user(f"bench-seq{n}", "Bench!2026x", email=f"s{n}@example.tw")
        consent_record(user=user, share_hours=False)
        enrolment = enrol(user=user, course=course)
        launch = course_launch_token(package=package, user=user, enrolment=enrolment, parent_origin="x")
        tokens.append(course_session_open(launch=launch).token)
    client = Client()
    rounds = int(os.environ.get("BENCH_ROUNDS", "20"))
    started = time.perf_counter()
    for seq in range(1, rounds + 1):
        for token in tokens:
            body = {
                "seq": seq,
                "state": state,
                "root": {"completion": "incomplete"},
                "suspended": False,
                "ended": False,
            }
            response = client.post(
                f"/elearn/scorm-content/sequencing/{token}",
                json.dumps(body),
                content_type="text/plain",
                HTTP_HOST="127.0.0.1",
            )
            assert response.status_code == 200, response.content
    elapsed = time.perf_counter() - started
    saves = rounds * len(tokens)
    print(
        f"sequencing state saves ({len(state) / 1000:.1f} KB state): {saves} in {elapsed:.2f} s → "
        f"{saves / elapsed:.0f} saves/s ({elapsed / saves * 1000:.1f} ms each, one process, "
        f"{settings.DATABASES['default']['ENGINE']})"
    )


if __name__ == "__main__":
    main()
