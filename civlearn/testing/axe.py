"""axe-core in the browser tests: `axe(page)` runs the WCAG 2.0/2.1 A and AA rules on the page as it is now and
returns the violations; `assert_no_axe_violations(page, where)` fails with a readable list of them.

axe-core is an npm package locked in `tools/axe/` (package.json + package-lock.json); it is installed there with
`npm ci` on first use, and its `axe.min.js` is evaluated in the page through Playwright (not as a script tag,
which the Content-Security-Policy blocks). A machine without Node/npm
skips through `skip_needing("node", ...)`, which fails where CIVLEARN_REQUIRE says Node is present.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

from civlearn.testing.required import skip_needing

AXE_DIR = Path(__file__).resolve().parents[2] / "tools" / "axe"
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
# The rule sets the audit of issue #17 ran: WCAG 2.0 and 2.1, levels A and AA.
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

_install_lock = threading.Lock()


def axe_script() -> Path:
    """The path of axe.min.js, installing the locked axe-core with `npm ci` when it is missing."""
    with _install_lock:
        if not AXE_SCRIPT.exists():
            if not shutil.which("npm"):
                skip_needing("node", "npm is not installed: the accessibility checks need axe-core from npm")
            result = subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"], cwd=AXE_DIR, capture_output=True, text=True, timeout=300
            )
            if result.returncode != 0 or not AXE_SCRIPT.exists():
                skip_needing("node", f"npm ci failed in tools/axe: {result.stderr[-500:]}")
    return AXE_SCRIPT


def _axe_source() -> str:
    return axe_script().read_text(encoding="utf-8")


def axe(page, *, tags: tuple[str, ...] = WCAG_TAGS) -> list[dict[str, Any]]:
    """The axe-core violations of `page`'s document for the rule `tags` (WCAG 2.0/2.1 A and AA by default).

    Each violation is axe's own dict: `id`, `impact`, `help`, `helpUrl`, `nodes` (each with `target` and `html`).
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Not page.add_script_tag: that inserts an inline <script>, which the site's Content-Security-Policy
        # (script-src 'self') rightly blocks. Code evaluated through the DevTools protocol is not subject to it,
        # and axe-core itself needs no eval.
        page.evaluate("() => {\n" + _axe_source() + "\n}")
    return page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations",
        list(tags),
    )


def describe(violations: list[dict[str, Any]]) -> str:
    """One line per violated rule and one indented line per offending element, for an assertion message."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation.get('impact')}): {violation['help']}")
        for node in violation["nodes"][:10]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['html'][:160]}")
    return "\n".join(lines)


def assert_no_axe_violations(page, where: str, *, tags: tuple[str, ...] = WCAG_TAGS) -> None:
    """Fail when axe-core finds any WCAG A/AA violation on `page`; `where` names the page state in the message."""
    __tracebackhide__ = True
    violations = axe(page, tags=tags)
    assert not violations, f"axe-core: {len(violations)} rule(s) violated on {where}:\n{describe(violations)}"
