from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from civlearn.core.models import AuditEvent
from civlearn.hours.models import RequirementRule
from civlearn.hours.selectors import year_summary
from civlearn.hours.services import agency_rule_create
from civlearn.hours.tests.factories import record

pytestmark = pytest.mark.django_db

URL = "/lifelong/manage/rules/"


def form(agency, **changes):
    data = {"agency": agency.pk, "label": "本校每年學習時數(50小時)", "minimum_hours": "50", "year_from": "113",
            "year_to": "", "mode": "", "codes": "", "parent": ""}  # fmt: skip
    data.update(changes)
    return data


def agency_rules():
    return list(RequirementRule.objects.filter(agency__isnull=False).values_list("label", "minimum_hours", "scope"))


def test_hr_officer_adds_a_total_and_a_digital_part_and_staff_see_both(
    client, hr_officer, agency, learner_person, django_capture_on_commit_callbacks
):
    client.force_login(hr_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, form(agency))
    assert response.status_code == 302
    total = RequirementRule.objects.get(agency=agency)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, form(agency, label="其中數位學習(10小時)", minimum_hours="10", mode="1", parent=total.pk))
    record(learner_person, hours="12", mode=1)
    record(learner_person, hours="8", mode=2)

    rows = year_summary(person=learner_person, year=2024).requirements[4:]

    assert [(r.label, r.hours, r.met, r.missing, r.depth) for r in rows] == [
        ("本校每年學習時數(50小時)", Decimal("20.0"), False, Decimal("30.0"), 0),
        ("其中數位學習(10小時)", Decimal("12.0"), True, Decimal("0.0"), 1),
    ]
    page = client.get(URL).content.decode()
    assert "其中數位學習(10小時)" in page and "（限數位）" in page
    event = AuditEvent.objects.filter(action="hours.agency_rule_create").first()
    assert event.actor == hr_officer and event.changes["minimum_hours"] == [None, "50.0"]


def test_a_rule_on_codes_counts_their_subtrees(hr_officer, agency, learner_person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        agency_rule_create(actor=hr_officer, agency=agency, label="資通安全(3小時)", minimum_hours=Decimal("3"),
                           year_from=2024, codes=["520"])  # fmt: skip
    record(learner_person, code="522", hours="2")
    record(learner_person, code="337", hours="5")

    row = year_summary(person=learner_person, year=2024).requirements[-1]

    assert (row.label, row.hours, row.missing) == ("資通安全(3小時)", Decimal("2.0"), Decimal("1.0"))


def test_bad_input_is_named_and_nothing_is_added(client, hr_officer, agency):
    client.force_login(hr_officer)

    response = client.post(URL, form(agency, codes="337, 999", year_from="113", year_to="112", minimum_hours="abc"))

    assert response.status_code == 400
    page = response.content.decode()
    assert "最低時數請輸入數字，例如：50" in page
    assert agency_rules() == []
    response = client.post(URL, form(agency, codes="337, 999", year_to="112"))
    page = response.content.decode()
    assert "適用結束年度不可早於起始年度" in page
    assert "代碼表 2024 沒有代碼：999" in page
    assert agency_rules() == []


def test_learner_and_other_agencies_are_refused_and_nothing_changes(
    client, learner, hr_officer, other_hr_officer, agency, other_agency
):
    rule = agency_rule_create(actor=hr_officer, agency=agency, label="本校(50小時)", minimum_hours=Decimal("50"),
                              year_from=2024)  # fmt: skip

    client.force_login(learner)
    assert client.get(URL).status_code == 403
    assert client.post(URL, form(agency)).status_code == 403
    client.force_login(other_hr_officer)
    assert client.post(URL, form(agency)).status_code == 400  # the agency is not among the choices
    assert client.post(f"{URL}{rule.pk}/delete").status_code == 404
    with pytest.raises(PermissionDenied):
        agency_rule_create(actor=other_hr_officer, agency=agency, label="越權", minimum_hours=Decimal("1"),
                           year_from=2024)  # fmt: skip

    assert agency_rules() == [("本校(50小時)", Decimal("50.0"), "all")]
    assert AuditEvent.objects.filter(action__startswith="hours.agency_rule").count() == 1


def test_hr_officer_deletes_a_rule_with_its_parts(client, hr_officer, agency):
    total = agency_rule_create(actor=hr_officer, agency=agency, label="本校(50小時)", minimum_hours=Decimal("50"),
                               year_from=2024)  # fmt: skip
    agency_rule_create(actor=hr_officer, agency=agency, label="數位(10小時)", minimum_hours=Decimal("10"),
                       year_from=2024, mode=1, parent=total)  # fmt: skip
    client.force_login(hr_officer)

    response = client.post(f"{URL}{total.pk}/delete")

    assert response.status_code == 302
    assert agency_rules() == []
    event = AuditEvent.objects.get(action="hours.agency_rule_delete")
    assert event.changes["labels"] == [["本校(50小時)", "數位(10小時)"], None]


def test_rules_link_shows_for_hr_officers_only(client, learner, hr_officer):
    client.force_login(learner)
    assert "本機關時數規定" not in client.get("/lifelong/folder/").content.decode()
    client.force_login(hr_officer)
    assert f'<a href="{URL}">本機關時數規定</a>' in client.get("/lifelong/folder/").content.decode()


def test_a_rule_added_after_a_removal_gets_a_fresh_key(hr_officer, agency):
    first = agency_rule_create(actor=hr_officer, agency=agency, label="一", minimum_hours=Decimal("1"), year_from=2024)
    agency_rule_create(actor=hr_officer, agency=agency, label="二", minimum_hours=Decimal("2"), year_from=2024)
    first.delete()

    third = agency_rule_create(actor=hr_officer, agency=agency, label="三", minimum_hours=Decimal("3"), year_from=2024)

    assert sorted(RequirementRule.objects.filter(agency=agency).values_list("key", flat=True)) == [
        "agency-a09600000q-2",
        "agency-a09600000q-3",
    ]
    assert third.key == "agency-a09600000q-3"
