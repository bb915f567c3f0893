"""Operators' admin for accounts: masked IDs, roles granted with an audit event."""

from civlearn.core.models import AuditEvent
from civlearn.identity.models import AgencyRole


def test_account_list_masks_national_ids_and_finds_by_exact_id(client, operator, learner):
    client.force_login(operator)
    html = client.get("/admin/identity/user/?q=A123456789").content.decode()
    assert "A12345****" in html
    assert "A123456789</td>" not in html
    assert "王小明" in html


def test_granting_a_role_records_an_audit_event(client, operator, learner, agency):
    client.force_login(operator)
    url = f"/admin/identity/user/{learner.pk}/change/"
    assert client.get(url).status_code == 200
    data = {
        "username": "",
        "email": learner.email,
        "phone": "",
        "is_active": "on",
        "agency_roles-TOTAL_FORMS": "1",
        "agency_roles-INITIAL_FORMS": "0",
        "agency_roles-MIN_NUM_FORMS": "0",
        "agency_roles-MAX_NUM_FORMS": "1000",
        "agency_roles-0-agency": str(agency.pk),
        "agency_roles-0-role": "hr",
        "agency_roles-0-include_subagencies": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AgencyRole.objects.get(user=learner).role == "hr"
    event = AuditEvent.objects.get(action="identity.role_granted")
    assert event.changes == {"agency": "A09600000Q", "role": "hr", "include_subagencies": True}
    assert event.actor == operator
