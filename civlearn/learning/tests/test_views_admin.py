"""Operators author courses in Django admin: the course page carries its units inline, a unit its questions,
a question its choices."""

from __future__ import annotations

from civlearn.learning.models import Unit


def test_operator_sees_course_unit_and_question_forms_with_their_inlines(client, operator, full_course):
    client.force_login(operator)
    course_page = client.get(f"/admin/learning/course/{full_course.pk}/change/")
    assert course_page.status_code == 200
    assert "課程單元" in course_page.content.decode()
    test = full_course.units.get(kind=Unit.TEST)
    unit_page = client.get(f"/admin/learning/unit/{test.pk}/change/")
    assert unit_page.status_code == 200 and "題目" in unit_page.content.decode()
    question = test.questions.first()
    question_page = client.get(f"/admin/learning/question/{question.pk}/change/")
    assert question_page.status_code == 200 and "正確答案" in question_page.content.decode()
    assert client.get("/admin/learning/course/add/").status_code == 200


def test_consent_history_cannot_be_edited_in_admin(client, operator, consenting_learner):
    from civlearn.learning.models import MemberConsent

    client.force_login(operator)
    decision = MemberConsent.objects.get(user=consenting_learner)
    response = client.post(f"/admin/learning/memberconsent/{decision.pk}/change/", {"share_hours": ""})
    assert response.status_code == 403
    decision.refresh_from_db()
    assert decision.share_hours is True
