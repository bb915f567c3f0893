"""A person signed in stays signed in when Redis restarts and loses every key (sessions: cached_db)."""

from __future__ import annotations

import re

import pytest
import redis
import requests

from civlearn.core.tests.processes import RedisServer, site

PASSWORD = "Correct-Horse-9-Battery"
MAKE_ACCOUNT = f"""
import datetime as dt
from civlearn.core import clock
from civlearn.identity.models import User
from civlearn.registry.models import Agency, Person
agency = Agency.objects.create(code="A01000000A", name="測試機關")
person = Person.objects.create(agency=agency, national_id="A123456789", name="王小明", birthday=dt.date(1972, 1, 1),
                               post_start_date=dt.date(2015, 8, 1))
user = User.objects.create_user(None, None, person=person, email="learner@example.test")
user.set_password("{PASSWORD}")
user.password_changed_at = clock.now() - dt.timedelta(days=1)
user.save()
"""


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def _sign_in(url: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(url + "/ecpa/signin", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = browser.post(
        url + "/ecpa/signin",
        data={"csrfmiddlewaretoken": token, "login": "A123456789", "password": PASSWORD},
        headers={"Referer": url + "/ecpa/signin"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text[:2000]
    return browser


def test_a_signed_in_person_stays_signed_in_across_a_redis_restart(tmp_path, redis_server):
    with site(tmp_path / "site", extra_env={"REDIS_URL": redis_server.url}) as made:
        made.shell(MAKE_ACCOUNT)
        _process, url = made.granian()
        browser = _sign_in(url)
        my_area = browser.get(url + "/ecpa/my", allow_redirects=False, timeout=10)
        assert my_area.status_code == 200
        assert "王小明" in my_area.text
        store = redis.Redis.from_url(redis_server.url)
        assert any(key.startswith(b":1:django.contrib.sessions.cached_db") for key in store.scan_iter())

        # when Redis restarts without its data
        redis_server.restart()
        assert redis.Redis.from_url(redis_server.url).dbsize() == 0

        # then the same cookie still opens My Area: the session is read from its database row
        again = browser.get(url + "/ecpa/my", allow_redirects=False, timeout=10)
        assert again.status_code == 200
        assert "王小明" in again.text
