"""加盟機關: the list and each partner's courses; 加盟機關申請 by an agency's HR officer or provider, reviewed by an
operator (audited); only then may the agency's providers publish."""

from __future__ import annotations

import pytest

from civlearn.core.models import AuditEvent
from civlearn.identity.models import AgencyRole
from civlearn.learning.models import PartnerAgency
from civlearn.learning.partners import services
from civlearn.learning.provide import services as providers
from conftest import make_account, make_person

from .conftest import approved_partner, make_course

APPLICATION = {
    "introduction": "本校提供行政人員與教師課程。",
    "contact_name": "林聯絡",
    "contact_email": "contact@nutc.edu.tw",
    "contact_phone": "04-2219-5678",
}


@pytest.fixture
def provider(agency):
    user = make_account(make_person(agency, "C123456788", "陳教材"))
    AgencyRole.objects.create(user=user, agency=agency, role=AgencyRole.PROVIDER)
    return user


def test_the_list_shows_approved_partners_with_their_published_courses(client, agency, other_agency):
    approved_partner(agency)
    make_course(agency, code="A-1")
    make_course(agency, code="A-2", is_published=False)
    make_course(other_agency, code="B-1")

    page = client.get("/elearn/partners/").content.decode()
    detail = client.get(f"/elearn/partners/{agency.code}/").content.decode()

    assert '<a href="/elearn/partners/A09600000Q/">國立臺中科技大學</a>' in page
    assert '<td class="num">1</td>' in page
    assert "臺北市政府" not in page
    assert 'href="/elearn/courses/A-1/"' in detail and "A-2" not in detail
    assert client.get(f"/elearn/partners/{other_agency.code}/").status_code == 404


def test_an_hr_officer_applies_and_an_operator_approves_then_providers_publish(
    client, hr_officer, provider, operator, agency
):
    course = make_course(agency, code="A-1", is_published=False)
    with pytest.raises(providers.ProviderError) as refused:
        providers.course_publish(actor=provider, course=course, published=True)
    assert str(refused.value) == "「國立臺中科技大學」尚未成為加盟機關，核准後才能上架課程（請先提出加盟機關申請）"

    client.force_login(hr_officer)
    response = client.post("/elearn/partners/apply", {"agency": str(agency.pk), **APPLICATION})
    assert response["Location"] == "/elearn/partners/apply"
    assert "國立臺中科技大學：審核中" in client.get("/elearn/partners/apply").content.decode()
    partner = PartnerAgency.objects.get()
    assert (partner.status, partner.applied_by, partner.contact_email) == ("pending", hr_officer, "contact@nutc.edu.tw")

    client.force_login(operator)
    client.post("/admin/learning/partneragency/", {"action": "approve", "_selected_action": [str(partner.pk)]})
    partner.refresh_from_db()
    assert (partner.status, partner.decided_by) == ("approved", operator)

    providers.course_publish(actor=provider, course=course, published=True)
    course.refresh_from_db()
    assert course.is_published
    assert list(AuditEvent.objects.filter(action__startswith="learning.partner").values_list("action", flat=True)) == [
        "learning.partner_applied",
        "learning.partner_approved",
    ]


def test_a_refused_application_names_the_fields_and_changes_nothing(client, hr_officer, agency):
    client.force_login(hr_officer)

    response = client.post("/elearn/partners/apply", {"agency": str(agency.pk), **APPLICATION, "contact_name": "",
                                                      "contact_email": "not-mail"})  # fmt: skip

    page = response.content.decode()
    assert response.status_code == 400
    assert '<a href="#id_contact_name">聯絡人</a>：請填寫' in page
    assert '<a href="#id_contact_email">聯絡電子郵件</a>：格式不正確，例如 name@agency.gov.tw' in page
    assert 'aria-invalid="true"' in page
    assert PartnerAgency.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="learning.partner").exists()


def test_a_second_application_while_one_waits_is_refused(hr_officer, agency):
    services.partner_apply(actor=hr_officer, agency=agency, **APPLICATION)

    with pytest.raises(services.PartnerError) as refused:
        services.partner_apply(actor=hr_officer, agency=agency, **APPLICATION)

    assert refused.value.errors == {"agency": ["「國立臺中科技大學」的申請審核中，請靜候結果"]}
    assert PartnerAgency.objects.count() == 1


def test_people_without_a_role_cannot_apply_or_decide(client, learner, hr_officer, agency, other_agency):
    client.force_login(learner)
    assert client.get("/elearn/partners/apply").status_code == 403
    with pytest.raises(services.PartnerDenied):
        services.partner_apply(actor=hr_officer, agency=other_agency, **APPLICATION)
    partner = services.partner_apply(actor=hr_officer, agency=agency, **APPLICATION)
    with pytest.raises(services.PartnerDenied):
        services.partner_decide(actor=hr_officer, partner=partner, approve=True)
    partner.refresh_from_db()
    assert partner.status == "pending"


def test_an_hr_officer_cannot_apply_for_an_agency_outside_their_list(client, hr_officer, other_agency):
    client.force_login(hr_officer)

    response = client.post("/elearn/partners/apply", {"agency": str(other_agency.pk), **APPLICATION})

    assert response.status_code == 400
    assert '<a href="#id_agency">申請機關</a>：請從清單中選擇' in response.content.decode()
    assert PartnerAgency.objects.count() == 0
