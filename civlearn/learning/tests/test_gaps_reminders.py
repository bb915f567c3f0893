"""Gap reminder e-mails: N days before the deadline, with suggestions, at most one a week, and the way out."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from civlearn.core import clock
from civlearn.core.models import AuditEvent
from civlearn.hours.models import AgencyCutoff, AgencyGapPolicy, ReminderRecord
from civlearn.hours.tests.factories import record, taipei
from civlearn.learning.gaps import services
from civlearn.learning.models import GapReminder, GapReminderPreference
from civlearn.learning.tests.conftest import make_course
from conftest import message_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def short_learner(agency, consenting_learner, learner_person):
    """Short of 2 hours of 環境教育; the agency counts hours to 11/30 and reminds 30 days before."""
    AgencyCutoff.objects.create(agency=agency, year=2026, staff_kind="all", cutoff=dt.date(2026, 11, 30))
    record(learner_person, code="510", hours="1", end=taipei(2026, 3, 1))
    record(learner_person, code="337", hours="2", end=taipei(2026, 3, 1))
    record(learner_person, code="560", hours="7", end=taipei(2026, 3, 1))
    make_course(
        agency, code="ENV-339", title="環境教育：氣候變遷與調適", category_code="339", certified_hours=Decimal("2")
    )
    return consenting_learner


def test_no_reminder_before_the_window_then_one_with_the_suggestions(short_learner, smtp_server):
    clock.travel_to(taipei(2026, 10, 30, 9))  # 31 days before 11/30
    assert services.gap_reminders_send() == 0

    clock.travel_to(taipei(2026, 10, 31, 9))  # 30 days before
    assert services.gap_reminders_send() == 1

    message = smtp_server.wait_for(1)[0]
    assert message["To"] == "xiaoming@example.tw"
    assert message["Subject"].strip() == "【e等公務園+】115年度學習時數尚有缺口，採計截止日 115/11/30"
    body = message_text(message)
    assert "■ 環境教育(4小時)：已完成 2 / 4 小時，尚缺 2 小時" in body
    site = settings.SITE_URL
    assert f"・環境教育：氣候變遷與調適（2 小時，需閱讀 10 分鐘） {site}/elearn/courses/ENV-339/" in body
    prefix = f"不想再收到時數缺口提醒信，請按此取消：{site}/elearn/gaps/unsubscribe/"
    last = body.rstrip().splitlines()[-1]
    assert last.startswith(prefix)
    unsubscribe = last.removeprefix("不想再收到時數缺口提醒信，請按此取消：")
    assert services.user_for_token(unsubscribe.removeprefix(prefix.split("：")[1]).rstrip("/")) == short_learner
    assert message["List-Unsubscribe"].strip() == f"<{unsubscribe}>"
    assert message["List-Unsubscribe-Post"].strip() == "List-Unsubscribe=One-Click"
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'<a href="{unsubscribe}">取消時數缺口提醒信</a>' in html
    assert f'<a href="{site}/elearn/courses/ENV-339/">環境教育：氣候變遷與調適</a>' in html
    assert "A123456789" not in body and "A123456789" not in unsubscribe
    assert list(GapReminder.objects.values_list("deadline", "gaps")) == [
        (
            dt.date(2026, 11, 30),
            [{"key": "environment", "label": "環境教育(4小時)", "missing": "2", "courses": ["ENV-339"]}],
        )
    ]


def test_at_most_one_a_week(short_learner, smtp_server):
    clock.travel_to(taipei(2026, 11, 1, 9))
    assert services.gap_reminders_send() == 1
    clock.travel_to(taipei(2026, 11, 7, 9))
    assert services.gap_reminders_send() == 0
    clock.travel_to(taipei(2026, 11, 8, 10))
    assert services.gap_reminders_send() == 1
    assert GapReminder.objects.count() == 2


def test_an_hr_reminder_of_the_past_week_counts(agency, short_learner, hr_officer, smtp_server):
    clock.travel_to(taipei(2026, 11, 1, 9))
    ReminderRecord.objects.create(
        person=short_learner.person, agency=agency, sent_by=hr_officer, year=2026, email="x@example.tw",
        sent_at=clock.now() - dt.timedelta(days=2),
    )  # fmt: skip
    services.gap_reminders_send()
    # The HR officer (short of every hour) is reminded; the learner they reminded two days ago is not.
    assert list(GapReminder.objects.values_list("user", flat=True)) == [hr_officer.pk]


def test_the_agency_sets_how_many_days_before(agency, short_learner, smtp_server):
    AgencyGapPolicy.objects.create(agency=agency, reminder_days=7)
    clock.travel_to(taipei(2026, 11, 1, 9))
    assert services.gap_reminders_send() == 0
    clock.travel_to(taipei(2026, 11, 23, 9))
    assert services.gap_reminders_send() == 1


def test_no_reminder_once_the_gap_is_closed_or_the_deadline_passed(learner_person, short_learner, smtp_server):
    clock.travel_to(taipei(2026, 12, 1, 9))
    assert services.gap_reminders_send() == 0  # past 11/30
    clock.travel_to(taipei(2026, 11, 1, 9))
    record(learner_person, code="337", hours="2", end=taipei(2026, 10, 1))
    assert services.gap_reminders_send() == 0


def test_the_learner_turns_reminders_off_and_on(client, short_learner, smtp_server):
    client.force_login(short_learner)
    response = client.post(reverse("learning:gaps_reminders"), {"enabled": "0"})
    assert response.status_code == 302
    clock.travel_to(taipei(2026, 11, 1, 9))
    assert services.gap_reminders_send() == 0
    assert GapReminderPreference.objects.get(user=short_learner).enabled is False
    assert AuditEvent.objects.filter(action="learning.gap_reminders_set").count() == 1

    client.post(reverse("learning:gaps_reminders"), {"enabled": "1"})
    assert services.gap_reminders_send() == 1


def test_the_unsubscribe_link_asks_then_turns_reminders_off(client, short_learner):
    url = reverse("learning:gaps_unsubscribe", args=[services.unsubscribe_token(user=short_learner)])

    page = client.get(url)
    assert page.status_code == 200
    assert "確定不再收到時數缺口提醒信嗎？" in page.content.decode()
    assert not GapReminderPreference.objects.exists()  # a mail scanner's GET changes nothing

    done = client.post(url)
    assert done.status_code == 200
    assert "已取消：不會再寄送時數缺口提醒信。" in done.content.decode()
    assert GapReminderPreference.objects.get(user=short_learner).enabled is False


def test_a_forged_unsubscribe_link_changes_nothing(client, short_learner):
    response = client.post(reverse("learning:gaps_unsubscribe", args=["forged.token"]))

    assert response.status_code == 404
    assert "此取消連結無效" in response.content.decode()
    assert not GapReminderPreference.objects.exists()
