"""Signing keys: generated on first use, rotated by `manage.py oidc_rotate_key`, published until their tokens expire."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from civlearn.core import clock
from civlearn.core.models import AuditEvent
from civlearn.sso import oidc
from civlearn.sso.models import SigningKey

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_key_cache():
    oidc.forget_cached_keys()
    yield
    oidc.forget_cached_keys()


def test_first_use_creates_one_active_key_once():
    # when the signing key is asked for twice
    first = oidc.signing_key()
    oidc.forget_cached_keys()
    second = oidc.signing_key()

    # then one key exists and both answers are it
    key = SigningKey.objects.get()
    assert key.active is True
    assert first.thumbprint() == second.thumbprint() == key.kid
    assert AuditEvent.objects.filter(action="identity.oidc_key_created").count() == 1


def test_rotation_keeps_the_old_key_published_until_its_tokens_expire(settings):
    # given a key in use
    old = oidc.signing_key().thumbprint()

    # when an operator rotates
    out = io.StringIO()
    call_command("oidc_rotate_key", stdout=out)

    # then a new key signs, the old one is retired but still published for one ID-token lifetime
    new = SigningKey.objects.get(active=True)
    retired = SigningKey.objects.get(kid=old)
    assert oidc.signing_key().thumbprint() == new.kid != old
    assert retired.active is None
    assert retired.publish_until == retired.retired_at + dt.timedelta(seconds=3600)
    assert [k["kid"] for k in oidc.jwks_document()["keys"]] == [new.kid, old]
    assert f"active key {new.kid}" in out.getvalue()
    event = AuditEvent.objects.get(action="identity.oidc_key_rotated")
    assert event.changes == {"kid": new.kid, "retired": [old], "deleted": []}

    # when its ID tokens have all expired and the key is rotated again
    clock.advance(dt.timedelta(seconds=3601))
    oidc.forget_cached_keys()
    assert [k["kid"] for k in oidc.jwks_document()["keys"]] == [new.kid]
    newest = oidc.rotate_key()

    # then the expired key is deleted; the previous one stays published
    assert not SigningKey.objects.filter(kid=old).exists()
    assert [k["kid"] for k in oidc.jwks_document()["keys"]] == [newest.kid, new.kid]


def test_the_private_key_never_reaches_the_jwks():
    oidc.signing_key()
    for key in oidc.jwks_document()["keys"]:
        assert set(key) == {"alg", "use", "kid", "kty", "n", "e"}
