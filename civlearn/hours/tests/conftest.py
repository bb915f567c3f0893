"""Fixtures of the hours tests: a second staff member, course providers of two institutions."""

from __future__ import annotations

import pytest

from civlearn.hours.tests.batch_fixtures import SECOND_ID


@pytest.fixture
def second_person(agency):
    from conftest import make_person

    return make_person(agency, SECOND_ID, "李大華", email="dahua@example.tw")


@pytest.fixture
def provider(agency):
    """A course provider of 國立臺中科技大學: uploads hours as that institution."""
    from civlearn.identity.models import AgencyRole
    from conftest import make_account, make_person

    user = make_account(make_person(agency, "C220000001", "張課程", email="course@example.tw"))
    AgencyRole.objects.create(user=user, agency=agency, role=AgencyRole.PROVIDER)
    return user


@pytest.fixture
def other_provider(other_agency):
    from civlearn.identity.models import AgencyRole
    from conftest import make_account, make_person

    user = make_account(make_person(other_agency, "C123456781", "趙他校", email="other-course@example.tw"))
    AgencyRole.objects.create(user=user, agency=other_agency, role=AgencyRole.PROVIDER)
    return user
