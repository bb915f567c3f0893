"""The course and unit pages' cached fragments (facts, summary, unit list, conditions, the unit page's outline):
the same for every learner of a course, rendered once per generation of the catalogue's stamp, and a change to the
course, its units or its allowed agencies shows on the next request (the stamp lives in the shared cache, so
every process sees the change at once)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.conf import settings

from civlearn.learning.catalogue.services import enrol
from civlearn.learning.models import Course, Unit
from civlearn.registry.models import Agency

from .conftest import make_course

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def member(client, consenting_learner):
    client.force_login(consenting_learner)
    return consenting_learner


@pytest.fixture
def env_course(agency):
    return make_course(agency)


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return CSRF.sub("", response.content.decode())


def test_a_repeated_course_page_reads_neither_the_allowed_agencies_nor_renders_the_facts_again(
    client, member, env_course, django_assert_max_num_queries
):
    first = page(client, f"/elearn/courses/{env_course.code}/")

    with django_assert_max_num_queries(12) as queries:
        again = page(client, f"/elearn/courses/{env_course.code}/")

    assert again == first
    assert not [q for q in queries.captured_queries if "allowed_agencies" in q["sql"]]
    assert not [q for q in queries.captured_queries if "learning_scormpackage" in q["sql"]]
    assert "認識氣候變遷的成因、衝擊與調適策略。" in again and "第一章" in again


def test_a_course_saved_shows_its_new_facts_and_summary_on_the_next_course_page(client, member, env_course):
    assert "2 小時" in page(client, f"/elearn/courses/{env_course.code}/")

    course = Course.objects.get(pk=env_course.pk)
    course.summary = "新的課程簡介。"
    course.certified_hours = Decimal("3.5")
    course.required_reading_minutes = 25
    course.save()

    after = page(client, f"/elearn/courses/{env_course.code}/")
    assert "新的課程簡介。" in after and "認識氣候變遷的成因" not in after
    assert "3.5 小時" in after
    assert "25 分鐘" in after


def test_a_unit_added_or_renamed_shows_on_the_next_course_and_unit_pages(client, member, env_course):
    enrol(user=member, course=env_course)
    unit = env_course.units.get()
    assert "第一章" in page(client, f"/elearn/courses/{env_course.code}/")
    assert "第一章" in page(client, f"/elearn/courses/{env_course.code}/learn/{unit.pk}/")

    unit.title = "第一章：成因"
    unit.save()
    Unit.objects.create(course=env_course, order=2, kind=Unit.PAGE, title="第二章：調適", body="調適……")

    course_page = page(client, f"/elearn/courses/{env_course.code}/")
    unit_page = page(client, f"/elearn/courses/{env_course.code}/learn/{unit.pk}/")
    for text in (course_page, unit_page):
        assert "第一章：成因" in text and "第二章：調適" in text


def test_the_unit_pages_outline_marks_the_unit_shown_each_time(client, member, env_course):
    enrol(user=member, course=env_course)
    second = Unit.objects.create(course=env_course, order=2, kind=Unit.PAGE, title="第二章", body="……")
    first = env_course.units.get(order=1)

    for shown in (first, second, first):
        text = page(client, f"/elearn/courses/{env_course.code}/learn/{shown.pk}/")
        current = re.findall(r'<a href="[^"]+/learn/(\d+)/" aria-current="page">', text)
        assert current == [str(shown.pk)]


def test_allowed_agencies_changed_show_on_the_next_course_page(client, member, env_course):
    course = Course.objects.get(pk=env_course.pk)
    course.open_to_all = False
    course.save()
    assert "限下列機關" in page(client, f"/elearn/courses/{env_course.code}/")

    course.allowed_agencies.add(Agency.objects.create(code="A99999999", name="臺南市政府"))

    assert "臺南市政府" in page(client, f"/elearn/courses/{env_course.code}/")


def test_the_cached_course_page_is_kept_per_language(client, member, env_course):
    chinese = page(client, f"/elearn/courses/{env_course.code}/")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = page(client, f"/elearn/courses/{env_course.code}/")

    assert "課程代碼" in chinese
    assert "課程代碼" not in english


# ---- 個人專區: the packages a learner sees, cached per agency and 身份別 ----------------------------------------


def test_a_package_saved_or_changed_shows_on_the_next_dashboard(client, member, agency, operator):
    from civlearn.learning.home.packages import package_save

    make_course(agency, code="P-1", title="當前重大政策")
    make_course(agency, code="P-2", title="性別主流化")
    make_course(agency, code="P-3", title="人權教育")
    assert "目前沒有適用於您的套裝課程。" in page(client, "/elearn/home/")

    package = package_save(actor=operator, agency=None, title="公務人員套裝課程", course_codes=["P-1"])
    text = page(client, "/elearn/home/")
    assert "公務人員套裝課程" in text and "課程「當前重大政策」" in text

    package_save(actor=operator, agency=None, title="公務人員套裝課程", course_codes=["P-2"], package=package)
    text = page(client, "/elearn/home/")
    assert "課程「性別主流化」" in text and "課程「當前重大政策」" not in text

    package.courses.add(Course.objects.get(code="P-3"))  # as the admin's form does
    assert "課程「人權教育」" in page(client, "/elearn/home/")

    course = Course.objects.get(code="P-2")
    course.title = "性別主流化進階"
    course.save()
    assert "課程「性別主流化進階」" in page(client, "/elearn/home/")

    package.delete()
    assert "目前沒有適用於您的套裝課程。" in page(client, "/elearn/home/")


def test_a_repeated_dashboard_reads_no_package_and_no_badge_again(
    client, member, agency, operator, django_assert_max_num_queries
):
    from civlearn.learning.home.packages import package_save

    make_course(agency, code="P-1", title="當前重大政策")
    package_save(actor=operator, agency=None, title="公務人員套裝課程", course_codes=["P-1"])
    first = page(client, "/elearn/home/")

    with django_assert_max_num_queries(30) as queries:
        again = page(client, "/elearn/home/")

    assert again == first
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [q for q in sql if "learning_coursepackage" in q]
    # the header's badge uses the standing the dashboard computed (no second sum over the enrolments)
    assert not [q for q in sql if "SUM(" in q and "reading_ms" in q]
    assert 'class="learner-badge"' in again
