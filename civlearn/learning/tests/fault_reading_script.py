"""Run inside `manage.py shell` by test_fault_reading_flusher.py, against the test's own PostgreSQL and Redis:
`FAULT_ACTION=seed` creates a learner enrolled in a course and prints the enrolment id; `FAULT_ACTION=open`
opens a reading stream `FAULT_OFFSET_H` hours ahead on the app clock and prints its token; `FAULT_ACTION=beats`
sends `FAULT_BEATS` beats a minute apart on that stream (`FAULT_TOKEN`, same offset) or on a new one, printing the
reading time acknowledged to the learner (what the beats credited)."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal


def main() -> None:
    action = os.environ["FAULT_ACTION"]
    if action == "seed":
        from civlearn.identity.models import User
        from civlearn.learning.models import Course, Enrolment
        from civlearn.registry.models import Agency

        agency = Agency.objects.create(code="A09600000Q", name="國立臺中科技大學")
        course = Course.objects.create(
            code="EL-FAULT-01",
            title="閱讀計時故障測試",
            category_code="339",
            certified_hours=Decimal("1.0"),
            production_year=2025,
            provider_agency=agency,
            required_reading_minutes=600,
        )
        user = User.objects.create_user("fault-learner", "Fault!Learner2026")
        print(Enrolment.objects.create(user=user, course=course, year=2026).pk)
        return
    from civlearn.core import clock
    from civlearn.learning.models import Enrolment
    from civlearn.learning.reading.services import ReadingUnavailable, heartbeat_credit, reading_stream_open

    clock.advance(dt.timedelta(hours=int(os.environ["FAULT_OFFSET_H"])))
    token = os.environ.get("FAULT_TOKEN", "")
    if not token:
        # Opening a stream reads the enrolment from the database; beats on an open stream need only Redis.
        token = reading_stream_open(enrolment=Enrolment.objects.get(pk=int(os.environ["FAULT_ENROLMENT"])))
    if action == "open":
        print(token)
        return
    acknowledged = 0
    for _ in range(int(os.environ["FAULT_BEATS"])):
        clock.advance(dt.timedelta(seconds=60))
        try:
            beat = heartbeat_credit(token=token)
        except ReadingUnavailable:
            continue  # the learner is told time is not being counted; nothing is acknowledged
        acknowledged += beat.credited_ms
        token = beat.token
    print(acknowledged)
