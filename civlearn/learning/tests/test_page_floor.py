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


def badge(client) -> str:
    page = client.get("/elearn/my/").content.decode()
    start = page.index("data-badge")
    return page[start : page.index("</span></span>", start)]


def badge_statements(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "learning_memberprofile" in q["sql"]]


@pytest.fixture
def enrolled(member, agency):
    from civlearn.learning.catalogue.services import enrol

    from .conftest import make_course

    return enrol(user=member, course=make_course(agency))


def test_the_badge_is_read_once_and_kept_for_the_next_pages(client, enrolled, django_assert_max_num_queries):
    with django_assert_max_num_queries(50) as first:
        client.get("/elearn/my/")
    with django_assert_max_num_queries(50) as again:
        client.get("/elearn/my/")

    assert len(badge_statements(first)) == 1
    assert badge_statements(again) == []


def test_a_completion_shows_in_the_badge_on_the_next_page(client, enrolled):
    from civlearn.core import clock

    assert "LV.1</span>" in badge(client) and ">0<span" in badge(client)

    enrolled.completed_at = clock.now()
    enrolled.save(update_fields=["completed_at"])

    assert ">20<span" in badge(client)  # POINTS_PER_COMPLETION


def test_a_new_nickname_and_a_new_enrolment_show_in_the_badge_on_the_next_page(client, enrolled, agency):
    from civlearn.learning.catalogue.services import enrol
    from civlearn.learning.home.profile import profile_get_or_create
    from civlearn.learning.models import Enrolment

    from .conftest import make_course

    assert "Hi 小明同學" not in badge(client)
    profile = profile_get_or_create(user=enrolled.user)
    profile.nickname = "小明同學"
    profile.save()
    assert "Hi 小明同學" in badge(client)

    other = enrol(user=enrolled.user, course=make_course(agency, code="EL-ENV-02"))
    Enrolment.objects.filter(pk=other.pk).update(reading_ms=5 * 60_000)  # (as the reading flush writes)
    Enrolment.objects.get(pk=other.pk).save()  # any save of an enrolment forgets the badge
    assert ">5<span" in badge(client)


def test_reading_minutes_flushed_without_a_save_show_once_the_badge_expires(client, enrolled, monkeypatch):
    from civlearn.learning.home import points
    from civlearn.learning.models import Enrolment

    assert ">0<span" in badge(client)
    Enrolment.objects.filter(pk=enrolled.pk).update(reading_ms=3 * 60_000)  # the flush's bulk UPDATE: no signal
    assert ">0<span" in badge(client)  # kept for at most BADGE_SECONDS

    from django.core.cache import cache

    cache.delete(points._badge_key(enrolled.user_id))  # what the cache's expiry does after BADGE_SECONDS
    assert ">3<span" in badge(client)


def menu(client, path: str) -> str:
    page = client.get(path).content.decode()
    return page[page.index('class="main-nav"') : page.index("data-badge") if "data-badge" in page else None]


def test_the_cached_menu_marks_the_page_shown_and_follows_sign_in_and_language(client, member):
    catalogue, mine = menu(client, "/elearn/"), menu(client, "/elearn/my/")
    assert 'href="/elearn/" aria-current="page"' in catalogue and 'href="/elearn/my/" aria-current' not in catalogue
    assert 'href="/elearn/my/" aria-current="page"' in mine and 'href="/elearn/" aria-current' not in mine

    client.cookies["django_language"] = "en"
    english = menu(client, "/elearn/")
    assert "My courses" in english and "我的課程" not in english

    client.logout()  # (and forgets the language cookie)
    anonymous = menu(client, "/elearn/")
    assert "我的課程" not in anonymous and "課程中心" in anonymous


def test_the_release_stamp_changes_with_a_template_a_translation_or_the_code(tmp_path):
    from civlearn.core.release import release_stamp

    (tmp_path / "templates").mkdir()
    (tmp_path / "civlearn" / "tests").mkdir(parents=True)
    (tmp_path / "templates" / "base.html").write_text("<nav>課程中心</nav>")
    (tmp_path / "civlearn" / "views.py").write_text("A = 1\n")
    (tmp_path / "civlearn" / "tests" / "test_views.py").write_text("B = 1\n")
    static = tmp_path / "static"
    static.mkdir()
    stamps = [release_stamp(tmp_path, static)]

    (tmp_path / "civlearn" / "tests" / "test_views.py").write_text("B = 2\n")  # tests render nothing in production
    stamps.append(release_stamp(tmp_path, static))
    (tmp_path / "templates" / "base.html").write_text("<nav>課程中心 · 我的課程</nav>")
    stamps.append(release_stamp(tmp_path, static))
    (tmp_path / "civlearn" / "views.py").write_text("A = 2\n")
    stamps.append(release_stamp(tmp_path, static))
    (static / "staticfiles.json").write_text('{"paths": {"css/site.css": "css/site.1a2b.css"}}')
    stamps.append(release_stamp(tmp_path, static))

    assert stamps[0] == stamps[1]
    assert len(set(stamps[1:])) == 4
