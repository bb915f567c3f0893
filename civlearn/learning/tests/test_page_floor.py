"""What every e等公務園+ page asks for the signed-in learner (member terms, the header's badge, the menu), kept in the
shared cache so that a page reads no more than its own content — and every change still shows on the next page."""

from __future__ import annotations

import pytest

from civlearn.learning.completion import consent as terms
from civlearn.learning.models import MemberConsent


@pytest.fixture
def member(client, consenting_learner):
    client.force_login(consenting_learner)
    return consenting_learner


def consent_statements(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "learning_memberconsent" in q["sql"]]


def test_a_member_s_next_page_does_not_read_the_terms_decision_again(client, member, django_assert_max_num_queries):
    with django_assert_max_num_queries(50) as first:
        assert client.get("/elearn/").status_code == 200
    with django_assert_max_num_queries(50) as again:
        assert client.get("/elearn/").status_code == 200

    assert len(consent_statements(first)) == 1
    assert consent_statements(again) == []


def test_a_learner_who_has_not_decided_is_sent_to_the_terms_every_time(client, learner):
    client.force_login(learner)

    for _ in range(2):
        response = client.get("/elearn/my/")
        assert response.status_code == 302 and "/elearn/terms" in response["Location"]


def test_deleting_a_member_s_decisions_sends_them_to_the_terms_on_the_next_page(client, member):
    assert client.get("/elearn/my/").status_code == 200

    MemberConsent.objects.filter(user=member).delete()  # as the admin's delete does, one signal per row

    response = client.get("/elearn/my/")
    assert response.status_code == 302 and "/elearn/terms" in response["Location"]


def test_new_terms_ask_every_member_again(client, member, monkeypatch):
    assert client.get("/elearn/my/").status_code == 200

    monkeypatch.setattr(terms, "TERMS_VERSION", "2099.1")

    response = client.get("/elearn/my/")
    assert response.status_code == 302 and "/elearn/terms" in response["Location"]
