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
