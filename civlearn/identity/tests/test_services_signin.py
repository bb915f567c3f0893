"""Sign-in by national ID or 自訂帳號 (manual step 九): records, throttling, locks, and no hint of existence."""

import datetime as dt

import pytest

from civlearn.core import clock
from civlearn.core.models import AuditEvent
from civlearn.identity import services
from civlearn.identity.models import SigninRecord
from civlearn.identity.tests.hashers import CountingHasher
from conftest import PASSWORD

FAILED = "帳號或密碼錯誤，請重新輸入"


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = ["civlearn.identity.tests.hashers.CountingHasher"]
    CountingHasher.calls = 0
    return CountingHasher


def _attempt(login, password, ip="192.0.2.10"):
    return services.signin_attempt(login=login, password=password, ip_address=ip)


def test_signin_with_national_id_updates_the_signin_information(learner):
    # When the learner signs in with the national ID typed in lower case
    result = _attempt("a123456789", PASSWORD)
    # Then the account is returned, counted, and the attempt recorded
    assert result.user == learner
    assert result.error == ""
    learner.refresh_from_db()
    assert learner.signin_count == 1
    assert learner.last_signin_ip == "192.0.2.10"
    assert learner.last_login is not None
    record = SigninRecord.objects.get(user=learner)
    assert (record.method, record.success, record.ip_address) == ("pwd", True, "192.0.2.10")
    event = AuditEvent.objects.get(action="identity.signed_in")
    assert event.changes == {"method": "pwd"}
    assert "A123456789" not in str(event.changes)


def test_signin_with_custom_account_ignores_case(learner):
    learner.username = "Wang2024"
    learner.save()
    assert _attempt("wang2024", PASSWORD).user == learner


def test_wrong_password_and_unknown_account_get_the_same_message_and_the_same_work(learner, counting_hasher):
    wrong = _attempt("A123456789", "Wrong#pw1")
    work_for_known = counting_hasher.calls
    counting_hasher.calls = 0
    unknown = _attempt("B123456780", "Wrong#pw1")
    assert (wrong.user, wrong.error) == (None, FAILED)
    assert (unknown.user, unknown.error) == (None, FAILED)
    assert work_for_known == counting_hasher.calls == 1
    learner.refresh_from_db()
    assert learner.signin_count == 0
    assert SigninRecord.objects.get(user=learner).success is False


def test_inactive_account_with_the_right_password_is_refused_with_the_same_message(learner):
    learner.is_active = False
    learner.save()
    assert _attempt("A123456789", PASSWORD).error == FAILED


def test_five_failures_lock_the_account_and_a_locked_attempt_computes_no_hash(learner, counting_hasher):
    for _ in range(4):
        assert _attempt("A123456789", "Wrong#pw1").error == FAILED
    fifth = _attempt("A123456789", "Wrong#pw1")
    assert fifth.locked_until is not None
    assert fifth.error.startswith("登入失敗次數過多，已暫時鎖定，請於 ")
    assert fifth.error.endswith(" 後再試")
    locked_event = AuditEvent.objects.get(action="identity.account_locked")
    assert locked_event.subject_id == str(learner.pk)
    # When the right password comes while locked
    counting_hasher.calls = 0
    records_before = SigninRecord.objects.count()
    locked = _attempt("A123456789", PASSWORD)
    # Then it is refused before any hash or record, telling when to retry
    assert locked.user is None
    assert locked.error == fifth.error
    assert counting_hasher.calls == 0
    assert SigninRecord.objects.count() == records_before
    learner.refresh_from_db()
    assert learner.signin_count == 0
    # And after the lock the right password works
    clock.advance(dt.timedelta(minutes=15, seconds=1))
    assert _attempt("A123456789", PASSWORD).user == learner


def test_unknown_accounts_lock_exactly_like_known_ones(db, counting_hasher):
    results = [_attempt("B123456780", "Wrong#pw1") for _ in range(5)]
    assert results[-1].locked_until is not None
    counting_hasher.calls = 0
    assert _attempt("B123456780", "Wrong#pw1").error == results[-1].error
    assert counting_hasher.calls == 0


def test_failures_from_one_address_lock_that_address_for_every_account(learner, settings, counting_hasher):
    settings.SIGNIN_MAX_PER_ADDRESS = 3
    for n in range(3):
        _attempt(f"user{n}x", "Wrong#pw1", ip="198.51.100.7")
    counting_hasher.calls = 0
    blocked = _attempt("A123456789", PASSWORD, ip="198.51.100.7")
    assert blocked.user is None
    assert blocked.error.startswith("登入失敗次數過多")
    assert counting_hasher.calls == 0
    # Another address is not affected
    assert _attempt("A123456789", PASSWORD, ip="198.51.100.8").user == learner


def test_success_clears_earlier_failures(learner):
    for _ in range(4):
        _attempt("A123456789", "Wrong#pw1")
    assert _attempt("A123456789", PASSWORD).user == learner
    for _ in range(4):
        assert _attempt("A123456789", "Wrong#pw1").locked_until is None


def test_expired_password_is_flagged_on_signin(learner):
    learner.password_changed_at = clock.now() - dt.timedelta(days=181)
    learner.save()
    result = _attempt("A123456789", PASSWORD)
    assert result.user == learner
    assert result.password_expired is True


def test_the_lock_covers_every_name_of_the_account(learner, counting_hasher):
    # Given failures spread over the national ID and the custom account name
    learner.username = "Wang2024"
    learner.save()
    for login in ["A123456789", "wang2024", "A123456789", "WANG2024"]:
        assert _attempt(login, "Wrong#pw1").error == FAILED
    fifth = _attempt("a123456789", "Wrong#pw1")
    assert fifth.locked_until is not None
    # When the right password comes under the other name
    counting_hasher.calls = 0
    result = _attempt("Wang2024", PASSWORD)
    # Then the account is locked all the same, and no hash was computed
    assert result.user is None
    assert result.error == fifth.error
    assert counting_hasher.calls == 0


def test_a_sign_in_writes_last_login_once_with_its_record_and_returns_the_new_count(learner):
    # When the learner signs in twice
    _attempt("A123456789", PASSWORD)
    result = _attempt("A123456789", PASSWORD)

    # Then the returned account holds what the row holds: the new count, and last_login = the record's time
    record = SigninRecord.objects.filter(user=learner).latest("id")
    assert (result.user.signin_count, result.user.last_login, result.user.last_signin_ip) == (
        2,
        record.at,
        "192.0.2.10",
    )
    learner.refresh_from_db()
    assert (learner.signin_count, learner.last_login) == (2, record.at)


def test_the_counters_are_cleared_only_with_the_sign_in_recorded(learner, monkeypatch):
    # Given four failures
    for _ in range(4):
        _attempt("A123456789", "Wrong#pw1")

    # When recording the sign-in fails (its audit event cannot be written)
    def refuse(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "audit_record", refuse)
    with pytest.raises(RuntimeError):
        _attempt("A123456789", PASSWORD)
    monkeypatch.undo()

    # Then nothing of the sign-in stayed, and the failures still count: the fifth locks
    learner.refresh_from_db()
    assert learner.signin_count == 0
    assert not SigninRecord.objects.filter(user=learner, success=True).exists()
    assert _attempt("A123456789", "Wrong#pw1").locked_until is not None
