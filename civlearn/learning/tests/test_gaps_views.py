"""The 時數缺口 panel on the dashboard and its own page, in zh-Hant and English."""

from decimal import Decimal

import pytest
from django.urls import reverse

from civlearn.core import clock
from civlearn.hours.tests.factories import record, taipei
from civlearn.learning.tests.conftest import make_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def short_learner(agency, consenting_learner, learner_person):
    clock.travel_to(taipei(2026, 10, 1, 9))
    record(learner_person, code="510", hours="1", end=taipei(2026, 3, 1))
    record(learner_person, code="337", hours="2", end=taipei(2026, 3, 1))
    record(learner_person, code="560", hours="7", end=taipei(2026, 3, 1))
    make_course(
        agency, code="ENV-339", title="環境教育：氣候變遷與調適", category_code="339", certified_hours=Decimal("2")
    )
    return consenting_learner


def test_the_dashboard_shows_the_gap_the_deadline_and_a_one_click_enrolment(client, short_learner):
    client.force_login(short_learner)

    html = client.get(reverse("learning:home")).content.decode()

    assert "採計截止日：115/12/31（年底）" in html
    assert "已完成 2 / 4 小時，尚缺 <strong>2</strong> 小時" in html
    assert f'<form method="post" action="{reverse("learning:enrol", args=["ENV-339"])}" class="inline">' in html


def test_the_gaps_page_in_english(client, short_learner):
    client.force_login(short_learner)

    html = client.get(reverse("learning:gaps"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Cutoff: 115/12/31 (year end)" in html
    assert "2 of 4 hours done, <strong>2</strong> hours missing" in html
    assert 'Enrol<span class="visually-hidden">: 環境教育：氣候變遷與調適</span>' in html
    assert "Turn reminders off" in html


def test_an_account_without_registry_data_is_told_why(client, db):
    from civlearn.identity.models import User
    from civlearn.learning.completion.consent import consent_record

    user = User.objects.create_user(None, None, email="nobody@example.tw")
    consent_record(user=user, share_hours=True)
    client.force_login(user)

    html = client.get(reverse("learning:gaps")).content.decode()

    assert "您的帳號沒有人事資料，無法計算年度學習時數規定。請洽服務機關人事單位。" in html


def test_the_panel_costs_a_fixed_number_of_queries(client, agency, short_learner, django_assert_max_num_queries):
    for number in range(40):
        make_course(agency, code=f"ENV-{number:03d}", category_code="337", certified_hours=Decimal("1"))
    client.force_login(short_learner)

    with django_assert_max_num_queries(20):
        assert client.get(reverse("learning:gaps")).status_code == 200
