"""The 時數缺口 panel on the dashboard and its own page, in zh-Hant and English."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from civlearn.core import clock
from civlearn.hours.tests.factories import record, taipei
from civlearn.learning.models import Course, Enrolment
from civlearn.learning.tests.conftest import make_course
from conftest import make_account, make_person

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
    enrol_url = reverse("learning:enrol", args=["ENV-339"])
    assert f'<button type="submit" form="gap-enrol" formaction="{enrol_url}" class="small">' in html
    assert '<form id="gap-enrol" method="post" hidden><input type="hidden" name="csrfmiddlewaretoken"' in html


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


# The lists of suggested courses are cached fragments shared between learners (keyed by what they show); the
# 報名 buttons post one form outside them, which carries the reader's own CSRF token.


def _colleague_short_of_environment(agency):
    from civlearn.learning.completion.consent import consent_record

    person = make_person(agency, "A100000001", "王同事")
    record(person, code="510", hours="1", end=taipei(2026, 3, 1))
    record(person, code="337", hours="2", end=taipei(2026, 3, 1))
    record(person, code="560", hours="7", end=taipei(2026, 3, 1))
    colleague = make_account(person)
    consent_record(user=colleague, share_hours=True)
    return colleague


def test_a_colleague_enrols_with_the_token_of_their_own_session_from_the_shared_list(agency, short_learner):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(short_learner)
    first_html = first.get(reverse("learning:home")).content.decode()
    colleague = _colleague_short_of_environment(agency)
    second.force_login(colleague)

    html = second.get(reverse("learning:home")).content.decode()

    suggestions = re.findall(r'<ul class="suggestions".*?</ul>', html, re.S)
    assert suggestions == re.findall(r'<ul class="suggestions".*?</ul>', first_html, re.S)  # the shared fragment
    assert not [ul for ul in suggestions if "csrfmiddlewaretoken" in ul]
    token = re.search(r'<form id="gap-enrol" method="post" hidden><input type="hidden" name="csrfmiddlewaretoken" '
                      r'value="([^"]+)"', html).group(1)  # fmt: skip
    response = second.post(reverse("learning:enrol", args=["ENV-339"]), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Enrolment.objects.filter(user=colleague, course__code="ENV-339").exists()


def test_reading_in_a_suggested_course_shows_on_the_next_dashboard(client, short_learner):
    client.force_login(short_learner)
    assert "需閱讀 10 分鐘" in client.get(reverse("learning:home")).content.decode()

    Enrolment.objects.create(
        user=short_learner, course=Course.objects.get(code="ENV-339"), year=2026, reading_ms=4 * 60_000
    )

    html = client.get(reverse("learning:home")).content.decode()
    assert "需閱讀 6 分鐘" in html
    assert f'href="{reverse("learning:learn", args=["ENV-339"])}">繼續上課' in html


def test_a_suggested_course_renamed_shows_on_the_next_dashboard(client, short_learner):
    client.force_login(short_learner)
    assert "環境教育：氣候變遷與調適" in client.get(reverse("learning:home")).content.decode()

    course = Course.objects.get(code="ENV-339")
    course.title = "環境教育：淨零轉型"
    course.save()

    html = client.get(reverse("learning:home")).content.decode()
    assert "環境教育：淨零轉型" in html
    assert "氣候變遷與調適" not in html
