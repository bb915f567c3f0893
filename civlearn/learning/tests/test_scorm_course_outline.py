"""A SCORM unit shows its SCOs in the course outline and on its unit page, with the learner's status."""

from __future__ import annotations

import pytest

from civlearn.learning.tests import scorm_packages as testing

pytestmark = pytest.mark.django_db

provider = testing.provider
scorm_course = testing.scorm_course
scorm_dir = testing.scorm_dir
enrolled = testing.enrolled


@pytest.fixture
def package(provider, scorm_course, scorm_dir):
    scorm_course.is_published = True
    scorm_course.save()
    return testing.upload(actor=provider, course=scorm_course, data=testing.package_12(scos=2))


def test_the_course_page_lists_the_scos_of_a_scorm_unit(client, package, learner, enrolled):
    client.force_login(learner)

    html = client.get(f"/elearn/courses/{package.unit.course.code}/").content.decode()

    assert '<ol class="scorm-outline">' in html
    assert "第 1 課" in html and "第 2 課" in html
    assert html.count("未開始") == 2


def test_the_unit_page_links_each_sco_and_the_player(client, package, learner, enrolled):
    client.force_login(learner)

    html = client.get(f"/elearn/courses/{package.unit.course.code}/learn/{package.unit_id}/").content.decode()

    play_url = f"/elearn/scorm/{package.unit_id}/"
    assert f'href="{play_url}"' in html
    first_sco = package.scos.exclude(launch="").order_by("order").first()
    assert f'href="{play_url}?sco={first_sco.pk}"' in html


def test_before_enrolment_the_pass_conditions_name_the_scorm_material(client, package, learner):
    client.force_login(learner)

    html = client.get(f"/elearn/courses/{package.unit.course.code}/").content.decode()

    conditions = html.split('<ul class="conditions">')[1].split("</ul>")[0]
    assert "SCORM 教材 依教材規則完成每個項目" in conditions
    assert "閱讀時數" in conditions


def test_a_draft_package_is_neither_outlined_nor_a_condition(client, provider, scorm_course, scorm_dir, learner):
    scorm_course.is_published = True
    scorm_course.save()
    testing.upload(actor=provider, course=scorm_course, data=testing.package_12(scos=2), publish=False)
    client.force_login(learner)

    html = client.get(f"/elearn/courses/{scorm_course.code}/").content.decode()

    conditions = html.split('<ul class="conditions">')[1].split("</ul>")[0]
    assert '<ol class="scorm-outline">' not in html and "SCORM 教材" not in conditions


def test_a_sco_opened_but_never_initialised_is_still_not_started(client, package, learner, enrolled):
    from civlearn.learning.scorm.tracking import launch_token, session_open

    first = package.scos.exclude(launch="").order_by("order").first()
    # the player opened (a session exists) but the SCO never called LMSInitialize, so nothing was committed
    session_open(launch=launch_token(sco=first, user=learner, enrolment=enrolled, parent_origin="http://x"))
    client.force_login(learner)

    html = client.get(f"/elearn/courses/{package.unit.course.code}/").content.decode()

    assert html.count("未開始") == 2 and "學習中" not in html
