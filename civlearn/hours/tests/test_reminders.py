"""Reminder e-mails to staff short of a requirement: preview, send through a real SMTP server, throttle, records."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from civlearn.core import clock
from civlearn.core.models import AuditEvent
from civlearn.hours import reminders
from civlearn.hours.models import ReminderRecord
from civlearn.hours.tests.factories import record
from conftest import make_person, message_text

URL = "/lifelong/manage/reminders"


@pytest.fixture
def short_person(sub_agency):
    person = make_person(sub_agency, "B220000000", "李大華", email="dahua@example.tw")
    record(person, hours="1", code="510")
    record(person, hours="2", code="339")
    record(person, hours="6", code="550")
    return person


@pytest.fixture
def met_person(learner_person):
    record(learner_person, hours="1", code="510")
    record(learner_person, hours="4", code="339")
    record(learner_person, hours="5", code="550")
    return learner_person


@pytest.fixture
def no_mail_person(agency):
    person = make_person(agency, "C220000001", "無信箱", email="")
    record(person, hours="1", code="339")
    return person


@pytest.fixture(autouse=True)
def _in_2024():
    clock.reset()
    clock.advance(dt.datetime(2024, 11, 1, 9, tzinfo=dt.UTC) - clock.now())
    yield
    clock.reset()


def test_preview_lists_who_gets_mail_and_shows_the_message(client, hr_officer, short_person, met_person,
                                                           no_mail_person, smtp_server):  # fmt: skip
    client.force_login(hr_officer)

    page = client.get(URL, {"year": 113}).content.decode()

    assert "李大華" in page and "王小明" not in page
    assert "環境教育(4小時)：尚差 2 小時" in page
    assert "無信箱" in page and "人事資料無電子郵件" in page
    assert "【終身學習入口網站】113年度學習時數提醒" in page
    assert f'name="person" value="{short_person.pk}"' in page
    assert f'name="person" value="{no_mail_person.pk}"' not in page
    assert smtp_server.messages == []
    assert ReminderRecord.objects.count() == 0


def test_sending_mails_records_and_throttles(client, hr_officer, agency, short_person, met_person, smtp_server):
    client.force_login(hr_officer)

    response = client.post(URL + "?year=113", {"person": [short_person.pk, met_person.pk]}, follow=True)

    (message,) = smtp_server.wait_for(1)
    assert message["To"] == "dahua@example.tw"
    assert message["Subject"].strip() == "【終身學習入口網站】113年度學習時數提醒"
    body = message_text(message)
    assert "・環境教育(4小時)：已完成 2 小時，尚差 2 小時" in body
    assert "・每年必須完成之課程總學習時數(10小時)：已完成 9 小時，尚差 1 小時" in body
    assert "/lifelong/folder/hours/" in body
    assert "國立臺中科技大學 人事室 敬上" in body
    assert "B220000000" not in body
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "<li>環境教育(4小時)：已完成 2 小時，尚差 2 小時</li>" in html
    assert 'href="http://' in html and "/lifelong/folder/hours/" in html
    assert "國立臺中科技大學 人事室 敬上" in html
    assert "已寄出 1 封提醒信；1 人未寄送。" in response.content.decode()
    reminder = ReminderRecord.objects.get()
    assert (reminder.person, reminder.agency, reminder.sent_by, reminder.year) == (
        short_person,
        agency,
        hr_officer,
        2024,
    )
    assert [item["key"] for item in reminder.shortfalls] == ["required-total", "environment"]
    assert AuditEvent.objects.filter(action="hours.reminder_send", subject_id=str(reminder.pk)).count() == 1

    # a second press within 7 days sends nothing
    client.post(URL + "?year=113", {"person": [short_person.pk]})
    assert len(smtp_server.messages) == 1
    assert ReminderRecord.objects.count() == 1
    assert "已提醒（7 天內不重複寄送）" in client.get(URL, {"year": 113}).content.decode()

    # after the window it may be sent again
    clock.advance(dt.timedelta(days=8))
    client.post(URL + "?year=113", {"person": [short_person.pk]})
    smtp_server.wait_for(2)
    assert ReminderRecord.objects.count() == 2


def test_a_person_out_of_reach_is_refused_and_nothing_is_sent(hr_officer, other_agency, short_person, smtp_server):
    outsider = make_person(other_agency, "C123456781", "趙他機關", email="x@example.tw")
    record(outsider, hours="1", code="339")

    with pytest.raises(PermissionDenied, match="名單中有您無權提醒的人員"):
        reminders.reminders_send(user=hr_officer, year=2024, person_ids={short_person.pk, outsider.pk})

    assert smtp_server.messages == []
    assert ReminderRecord.objects.count() == 0


def test_a_failed_send_leaves_no_record(hr_officer, short_person, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens there

    with pytest.raises(OSError):
        reminders.reminders_send(user=hr_officer, year=2024, person_ids={short_person.pk})

    assert ReminderRecord.objects.count() == 0
    assert AuditEvent.objects.filter(action="hours.reminder_send").count() == 0


def test_posting_with_no_one_checked_says_so(client, hr_officer, short_person, smtp_server):
    client.force_login(hr_officer)

    response = client.post(URL + "?year=113", {}, follow=True)

    assert "請勾選要提醒的人員" in response.content.decode()
    assert smtp_server.messages == []
