"""Sign-in throttling (issue 13 §2): device cookies keep a real person in while a guesser behind the same address
is slowed down and locked; counters and locks live in the database; addresses come from trusted proxies only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache

from civlearn.core import clock
from civlearn.identity import services
from civlearn.identity.models import SigninRecord, ThrottleLock
from civlearn.identity.sessions import DEVICE_COOKIE
from conftest import PASSWORD

NAT = "198.51.100.7"  # an agency's shared address


@pytest.fixture
def limits(settings):
    settings.SIGNIN_MAX_FAILURES = 5
    settings.SIGNIN_MAX_PER_ADDRESS = 10
    settings.SIGNIN_LOCK_MINUTES = 15
    settings.SIGNIN_ADDRESS_SLOWDOWN_MINUTES = 15
    return settings


def _attempt(login, password, *, ip=NAT, cookie=None):
    return services.signin_attempt(login=login, password=password, ip_address=ip, device_cookie=cookie)


def test_spraying_from_one_address_does_not_stop_a_person_with_a_device_cookie(limits, learner, hr_officer):
    # given 王小明 signed in from his browser before (it carries a device cookie for his account)
    clock.travel_to(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC))
    cookie = _attempt("A123456789", PASSWORD).device_cookie
    assert cookie

    # when a guesser behind the same address sprays wrong passwords over many names, and then at his account
    for n in range(10):
        _attempt(f"guess{n}", "Password1!")
    for _ in range(6):
        guessed = _attempt("A123456789", "Wrong-guess-1")

    # then the guesser gets nowhere: locked, even with a right password (林人事's) from an untrusted browser
    assert guessed.user is None and guessed.locked_until is not None
    assert _attempt("B220000019", PASSWORD).user is None
    assert _attempt("A123456789", PASSWORD).user is None

    # but 王小明's browser, same address, signs in at once
    clock.advance(dt.timedelta(minutes=1))
    mine = _attempt("A123456789", PASSWORD, cookie=cookie)
    assert mine.user == learner
    assert mine.error == ""
    record = SigninRecord.objects.filter(user=learner, success=True).latest("at")
    assert record.ip_address == NAT


def test_a_device_cookie_counts_for_its_own_account_only(limits, learner, hr_officer):
    cookie = _attempt("A123456789", PASSWORD).device_cookie
    for n in range(10):
        _attempt(f"guess{n}", "Password1!")

    # 林人事 has no device cookie in this browser: the address's slow-down applies to her
    refused = _attempt("B220000019", PASSWORD, cookie=cookie)
    assert refused.user is None
    assert refused.error.startswith("登入失敗次數過多，已暫時鎖定，請於 ")


def test_a_forged_device_cookie_is_not_trusted(limits, learner):
    cookie = _attempt("A123456789", PASSWORD).device_cookie
    forged = cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")
    for n in range(10):
        _attempt(f"guess{n}", "Password1!")

    assert _attempt("A123456789", PASSWORD, cookie=forged).user is None
    assert _attempt("A123456789", PASSWORD, cookie="junk").user is None
    assert _attempt("A123456789", PASSWORD, cookie=cookie).user == learner


def test_a_stolen_device_cookie_is_locked_after_its_own_failures(limits, learner):
    # given a device cookie in a guesser's hands
    clock.travel_to(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC))
    cookie = _attempt("A123456789", PASSWORD).device_cookie

    # when it is used to guess
    start = clock.now()
    results = [_attempt("A123456789", f"Wrong-{n}", ip="203.0.113.50", cookie=cookie) for n in range(5)]

    # then that device is locked like an account (the right password is refused from it) until the lock ends
    assert start + dt.timedelta(minutes=15) <= results[-1].locked_until <= clock.now() + dt.timedelta(minutes=15)
    assert [r.locked_until is None for r in results] == [True, True, True, True, False]
    assert _attempt("A123456789", PASSWORD, ip="203.0.113.50", cookie=cookie).user is None
    clock.advance(dt.timedelta(minutes=16))
    assert _attempt("A123456789", PASSWORD, ip="203.0.113.50", cookie=cookie).user == learner


def test_the_account_lock_still_holds_for_untrusted_browsers(limits, learner):
    clock.travel_to(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC))
    start = clock.now()
    for n in range(5):
        last = _attempt("A123456789", f"Wrong-{n}", ip=f"203.0.113.{n}")
    assert start + dt.timedelta(minutes=15) <= last.locked_until <= clock.now() + dt.timedelta(minutes=15)
    assert _attempt("A123456789", PASSWORD, ip="203.0.113.99").user is None
    clock.advance(dt.timedelta(minutes=16))
    assert _attempt("A123456789", PASSWORD, ip="203.0.113.99").user == learner


def test_counters_and_locks_survive_a_cache_clear(limits, learner):
    # given four failures, then a cache restart
    clock.travel_to(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC))
    for n in range(4):
        _attempt("A123456789", f"Wrong-{n}")
    cache.clear()

    # when the fifth comes
    fifth = _attempt("A123456789", "Wrong-5")

    # then the account locks, and the lock outlives another cache clear
    assert fifth.locked_until is not None
    cache.clear()
    assert _attempt("A123456789", PASSWORD).user is None
    assert ThrottleLock.objects.filter(until__gt=clock.now()).exists()


def test_a_lock_stores_no_national_id(limits, learner):
    for n in range(5):
        _attempt("A123456789", f"Wrong-{n}")
    keys = list(ThrottleLock.objects.values_list("key", flat=True))
    assert keys and not any("A123456789" in key or NAT in key for key in keys)


# ---- over HTTP: the cookie, and the address behind a trusted proxy ---------------------------------------------


def _post_signin(client, login, password, **extra):
    return client.post("/ecpa/signin", {"login": login, "password": password}, **extra)


def test_the_signin_page_sets_the_device_cookie(client, learner, settings):
    response = _post_signin(client, "A123456789", PASSWORD)
    assert response.status_code == 302
    morsel = response.cookies[DEVICE_COOKIE]
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    assert morsel["max-age"] == settings.SIGNIN_DEVICE_COOKIE_DAYS * 86400
    assert "A123456789" not in morsel.value


def test_behind_a_trusted_proxy_each_client_is_limited_by_its_own_address(client, limits, agency, learner):
    # given the site behind a TLS proxy at 10.0.0.1
    limits.TRUSTED_PROXIES = ["10.0.0.1"]
    via_proxy = {"REMOTE_ADDR": "10.0.0.1"}

    # when one client behind it guesses until its address is slowed down
    for n in range(10):
        _post_signin(client, f"guess{n}", "Password1!", HTTP_X_FORWARDED_FOR="203.0.113.66", **via_proxy)
    blocked = _post_signin(client, "A123456789", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.66", **via_proxy)

    # then that client is refused, while another client behind the same proxy signs in, with its own address on
    # record (not the proxy's)
    assert blocked.status_code == 200
    assert "登入失敗次數過多，已暫時鎖定" in blocked.content.decode()
    other = _post_signin(client, "A123456789", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.20", **via_proxy)
    assert other.status_code == 302
    assert SigninRecord.objects.get(user=learner, success=True).ip_address == "198.51.100.20"
    learner.refresh_from_db()
    assert learner.last_signin_ip == "198.51.100.20"


def test_a_forwarded_header_from_an_untrusted_address_changes_nothing(client, limits, learner):
    limits.TRUSTED_PROXIES = ["10.0.0.1"]
    for n in range(10):
        _post_signin(client, f"guess{n}", "Password1!", REMOTE_ADDR="203.0.113.66", HTTP_X_FORWARDED_FOR=f"1.1.1.{n}")

    # the guesser cannot rotate addresses by writing the header: all ten counted against 203.0.113.66
    refused = _post_signin(client, "A123456789", PASSWORD, REMOTE_ADDR="203.0.113.66", HTTP_X_FORWARDED_FOR="9.9.9.9")
    assert refused.status_code == 200
    assert "登入失敗次數過多，已暫時鎖定" in refused.content.decode()
    assert not SigninRecord.objects.filter(user=learner, success=True).exists()


def test_purge_deletes_ended_counters_and_locks(limits, learner):
    from django.core.management import call_command

    from civlearn.identity.models import ThrottleCounter

    clock.travel_to(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC))
    for n in range(5):
        _attempt("A123456789", f"Wrong-{n}")
    _attempt("someone", "Wrong")
    assert ThrottleLock.objects.exists() and ThrottleCounter.objects.exists()
    clock.advance(dt.timedelta(days=1))
    call_command("identity_purge")
    assert (ThrottleLock.objects.count(), ThrottleCounter.objects.count()) == (0, 0)


def test_success_from_a_trusted_device_clears_that_devices_failures(limits, learner):
    # given a trusted browser with four failures behind it
    clock.travel_to(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC))
    cookie = _attempt("A123456789", PASSWORD).device_cookie
    for n in range(4):
        assert _attempt("A123456789", f"Wrong-{n}", cookie=cookie).locked_until is None

    # when the person then signs in from it
    assert _attempt("A123456789", PASSWORD, cookie=cookie).user == learner

    # then that device's count starts again (the same cookie: a success also issues a new one): four more failures
    # lock nothing
    for n in range(4):
        assert _attempt("A123456789", f"Wrong-{n}", cookie=cookie).locked_until is None
