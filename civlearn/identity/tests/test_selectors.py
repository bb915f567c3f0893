"""Who manages which agencies: what the hours portal and the learning platform ask identity."""

from civlearn.identity.models import AgencyRole
from civlearn.identity.selectors import agencies_managed_by, signin_info, user_has_role
from civlearn.registry.models import Agency


def test_hr_officer_manages_the_agency_and_all_its_descendants(hr_officer, agency, sub_agency, other_agency):
    grandchild = Agency.objects.create(code="A09600011Q", name="進修部教務組", parent=sub_agency)
    managed = set(agencies_managed_by(hr_officer, AgencyRole.HR_OFFICER))
    assert managed == {agency, sub_agency, grandchild}
    assert user_has_role(hr_officer, grandchild, AgencyRole.HR_OFFICER)
    assert user_has_role(hr_officer, agency, AgencyRole.HR_OFFICER)
    assert not user_has_role(hr_officer, other_agency, AgencyRole.HR_OFFICER)
    assert not user_has_role(hr_officer, agency, AgencyRole.PROVIDER)


def test_a_role_without_subagencies_covers_only_its_agency(hr_officer, agency, sub_agency):
    AgencyRole.objects.filter(user=hr_officer).update(include_subagencies=False)
    assert set(agencies_managed_by(hr_officer, AgencyRole.HR_OFFICER)) == {agency}
    assert not user_has_role(hr_officer, sub_agency, AgencyRole.HR_OFFICER)


def test_a_role_on_a_subagency_does_not_reach_up(learner, agency, sub_agency):
    AgencyRole.objects.create(user=learner, agency=sub_agency, role=AgencyRole.PROVIDER)
    assert set(agencies_managed_by(learner, AgencyRole.PROVIDER)) == {sub_agency}
    assert not user_has_role(learner, agency, AgencyRole.PROVIDER)
    assert user_has_role(learner, sub_agency, AgencyRole.PROVIDER)


def test_learner_and_inactive_accounts_manage_nothing(learner, hr_officer, agency):
    assert list(agencies_managed_by(learner, AgencyRole.HR_OFFICER)) == []
    assert not user_has_role(learner, agency, AgencyRole.HR_OFFICER)
    hr_officer.is_active = False
    assert list(agencies_managed_by(hr_officer, AgencyRole.HR_OFFICER)) == []
    assert not user_has_role(hr_officer, agency, AgencyRole.HR_OFFICER)


def test_other_agencys_officer_does_not_see_ours(other_hr_officer, agency, other_agency):
    assert set(agencies_managed_by(other_hr_officer, AgencyRole.HR_OFFICER)) == {other_agency}
    assert not user_has_role(other_hr_officer, agency, AgencyRole.HR_OFFICER)


def test_managed_agencies_take_one_query_per_tree_level(hr_officer, agency, sub_agency, django_assert_max_num_queries):
    # roles, level 1 children, level 2 (none), then the final agency query
    with django_assert_max_num_queries(4):
        list(agencies_managed_by(hr_officer, AgencyRole.HR_OFFICER))


def test_signin_info_shows_the_sign_in_before_this_one(learner):
    from civlearn.identity import services
    from conftest import PASSWORD

    assert signin_info(learner).count == 0
    services.signin_attempt(login="A123456789", password=PASSWORD, ip_address="192.0.2.1")
    services.signin_attempt(login="A123456789", password=PASSWORD, ip_address="192.0.2.2")
    learner.refresh_from_db()
    info = signin_info(learner)
    assert info.count == 2
    assert info.previous_ip == "192.0.2.1"


def test_on_the_very_first_sign_in_there_is_no_previous_one(learner):
    from civlearn.identity import services
    from conftest import PASSWORD

    services.signin_attempt(login="A123456789", password=PASSWORD, ip_address="192.0.2.1")
    learner.refresh_from_db()
    info = signin_info(learner)
    # 「這是您第1次登入」 with 上次登入時間 （無紀錄）, not this sign-in's own time
    assert (info.count, info.previous_at, info.previous_ip) == (1, None, None)
