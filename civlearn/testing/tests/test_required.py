"""The required-skips plugin, run on a small suite of its own in a separate pytest process."""

from __future__ import annotations

from pathlib import Path

import pytest

from civlearn.testing.required import required_needs

ROOT = Path(__file__).resolve().parents[3]

SUITE = """
import pytest
from civlearn.testing.required import skip_needing

@pytest.mark.browser
def test_in_chromium():
    pytest.skip("Chromium is not installed")

def test_with_node():
    skip_needing("node", "node/npm are not installed")

@pytest.mark.scorm_samples
@pytest.mark.skipif(True, reason="../shared/scorm/ is not present")
def test_with_samples():
    pass

def test_on_a_date():
    pytest.skip("the real date is already past the cut-off")

def test_plain():
    assert 1 + 1 == 2
"""


@pytest.fixture
def run(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("CIVLEARN_REQUIRE", raising=False)
    pytester.makepyfile(test_suite=SUITE)

    def run(**environ):
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        return pytester.runpytest_subprocess(
            "-p", "no:django", "-p", "no:randomly", "-p", "no:cacheprovider", "-p", "civlearn.testing.required", "-rs"
        )

    return run


def test_without_requirements_every_skip_is_a_skip(run):
    result = run()
    result.assert_outcomes(passed=1, skipped=4)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["civlearn: skips that fail this run: none (CIVLEARN_REQUIRE)"])
    result.stdout.fnmatch_lines(["SKIPPED*test_suite.py:9: needs node: node/npm are not installed"])


def test_a_required_need_turns_its_skips_into_failures_and_leaves_the_others(run):
    result = run(CIVLEARN_REQUIRE="browser,node,scorm_samples")
    # A skip in a fixture or a skipif mark happens at setup, so its failure is reported as an error.
    result.assert_outcomes(passed=1, skipped=1, failed=2, errors=1)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*skipped, but this run requires scorm_samples (CIVLEARN_REQUIRE=browser,node,scorm_samples):"
            " ../shared/scorm/ is not present",
            "*skipped, but this run requires browser (CIVLEARN_REQUIRE=browser,node,scorm_samples):"
            " Chromium is not installed",
            "*skipped, but this run requires node (CIVLEARN_REQUIRE=browser,node,scorm_samples):"
            " needs node: node/npm are not installed",
        ]
    )
    result.stdout.fnmatch_lines(["SKIPPED*test_suite.py:17: the real date is already past the cut-off"])


def test_a_need_not_required_still_skips(run):
    result = run(CIVLEARN_REQUIRE="node")
    result.assert_outcomes(passed=1, skipped=3, failed=1)
    result.stdout.fnmatch_lines(["*skipped, but this run requires node (CIVLEARN_REQUIRE=node): needs node: *"])


def test_ci_requires_the_browser_and_node_by_default():
    assert required_needs({"CI": "true"}) == {"browser", "node"}
    assert required_needs({"CI": "true", "CIVLEARN_REQUIRE": ""}) == frozenset()
    assert required_needs({}) == frozenset()


def test_an_unknown_need_is_refused_by_name():
    with pytest.raises(pytest.UsageError) as caught:
        required_needs({"CIVLEARN_REQUIRE": "browser,chromium"})
    assert str(caught.value) == (
        "CIVLEARN_REQUIRE names chromium; known needs are browser, node, postgresql, scorm_samples"
    )
