"""Fixtures of the single sign-on tests."""

from __future__ import annotations

import pytest

from civlearn.sso import oidc
from civlearn.sso.tests.sso_support import register_machine


@pytest.fixture
def oidc_keys(monkeypatch):
    """Plain HTTP for oauthlib on the test server, and signing keys read afresh."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    oidc.forget_cached_keys()
    yield
    oidc.forget_cached_keys()


@pytest.fixture
def machine(db):
    return register_machine()
