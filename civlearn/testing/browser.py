"""Helpers for the browser tests (Chromium through Playwright): screenshots, a signed-in page, CSP violations.

Browser tests live in files named `test_browser_*.py` and carry the `browser` marker (the root conftest adds it to
every test in such a file), so `pytest -m browser` and `pytest -m "not browser"` split the suite.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def artifacts_dir() -> Path | None:
    """Where screenshots go: $TEST_ARTIFACTS (./test sets test-artifacts/), or nowhere when it is unset."""
    folder = os.environ.get("TEST_ARTIFACTS")
    if not folder:
        return None
    path = Path(folder) if os.path.isabs(folder) else ROOT / folder
    path.mkdir(parents=True, exist_ok=True)
    return path


def shoot(page, name: str) -> Path | None:
    """A full-page screenshot named `name` (".png" added when missing), for people to look at; never compared."""
    folder = artifacts_dir()
    if folder is None:
        return None
    safe = re.sub(r"[^\w.-]+", "-", name)
    path = folder / (safe if safe.endswith(".png") else f"{safe}.png")
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, user, base_url: str) -> None:
    """Give the page's browser context a session of `user` for `base_url` (no sign-in form: that has its own tests)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    page.context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": base_url}])


# Reports every Content-Security-Policy violation of every frame to the test (through an exposed binding, which
# reaches cross-origin frames too).
_WATCH = """
document.addEventListener("securitypolicyviolation", function (e) {
  var where = e.sourceFile + ":" + e.lineNumber;
  window.__cspViolation([location.href, e.effectiveDirective, e.blockedURI, where].join(" "));
});
"""


@dataclass
class CspWatch:
    violations: list[str] = field(default_factory=list)

    def console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.violations.append(f"console: {message.text}")


def watch_csp(page) -> CspWatch:
    """Collect the page's CSP violations (the securitypolicyviolation event in every frame, and console errors)."""
    watch = CspWatch()
    page.context.expose_binding("__cspViolation", lambda _source, text: watch.violations.append(text))
    page.context.add_init_script(_WATCH)
    page.on("console", watch.console)
    return watch
