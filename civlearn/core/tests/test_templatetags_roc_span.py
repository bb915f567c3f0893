"""roc_time_span: a session's start and end as people read them, to the minute, in local time."""

import datetime as dt
from zoneinfo import ZoneInfo

from civlearn.core.templatetags.civlearn import roc_time_span

TAIPEI = ZoneInfo("Asia/Taipei")


def test_a_session_within_one_day_shows_the_date_once_and_no_seconds():
    start = dt.datetime(2026, 12, 15, 1, 0, tzinfo=dt.UTC)  # 09:00 in Taipei
    assert roc_time_span(start, start + dt.timedelta(hours=3)) == "115/12/15 09:00–12:00"


def test_a_session_past_midnight_shows_both_dates():
    start = dt.datetime(2026, 12, 15, 22, 0, tzinfo=TAIPEI)
    assert roc_time_span(start, start + dt.timedelta(hours=8)) == "115/12/15 22:00–115/12/16 06:00"


def test_no_start_is_empty_and_no_end_is_the_start_alone():
    assert roc_time_span(None, None) == ""
    assert roc_time_span(dt.datetime(2026, 1, 2, 8, 30, tzinfo=TAIPEI), None) == "115/01/02 08:30"
