"""`manage.py identity_purge`: expired verifications go, usable ones stay."""

import datetime as dt
from io import StringIO

from django.core.management import call_command

from civlearn.core import clock
from civlearn.identity.models import EmailVerification


def _verification(person, token, expires_at):
    return EmailVerification.objects.create(
        purpose="first_signin",
        person=person,
        email="x@example.tw",
        token_hash=token,
        code_hash="x",
        expires_at=expires_at,
    )


def test_purge_deletes_only_long_expired_verifications(learner_person):
    now = clock.now()
    old = _verification(learner_person, "a" * 64, now - dt.timedelta(days=8))
    recent = _verification(learner_person, "b" * 64, now - dt.timedelta(days=1))
    live = _verification(learner_person, "c" * 64, now + dt.timedelta(minutes=10))
    out = StringIO()
    call_command("identity_purge", stdout=out)
    assert out.getvalue() == (
        "deleted 1 expired e-mail verification(s)\ndeleted 0 ended sign-in counter(s) and lock(s)\n"
    )
    assert set(EmailVerification.objects.values_list("pk", flat=True)) == {recent.pk, live.pk}
    assert not EmailVerification.objects.filter(pk=old.pk).exists()
    call_command("identity_purge", stdout=StringIO())
    assert EmailVerification.objects.count() == 2
