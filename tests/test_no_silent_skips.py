"""tests/no_silent_skips.py: every kind of skip fails under CI=true, and stays a skip elsewhere."""

from __future__ import annotations

import pytest

SKIPPING = """
import pytest

@pytest.fixture
def service():
    pytest.skip("no service here")

def test_skip_call():
    pytest.skip("not today")

@pytest.mark.skip(reason="marked")
def test_mark():
    pass

@pytest.mark.skipif(True, reason="condition")
def test_skipif():
    pass

def test_importorskip():
    pytest.importorskip("no_such_module_anywhere")

def test_fixture(service):
    pass

@pytest.mark.xfail(reason="known")
def test_xfail():
    assert False

def test_passes():
    pass
"""


def run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str | None
) -> pytest.RunResult:
    pytester.makepyfile(test_sample=SKIPPING)
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    return pytester.runpytest("-p", "tests.no_silent_skips", "-p", "no:cacheprovider", "-rfs")


@pytest.mark.parametrize("ci", ["true", "1", "yes"])
def test_under_ci_every_skip_is_a_failure_with_its_reason(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    result = run(pytester, monkeypatch, ci)
    # a skip while setting up (marks, fixtures) fails as an error, one in the test as a failure
    result.assert_outcomes(failed=2, errors=3, passed=1, xfailed=1)
    text = result.stdout.str()
    for reason in ("not today", "marked", "condition", "no_such_module_anywhere", "no service"):
        assert reason in text, reason
    assert "skipped under CI=true" in text


@pytest.mark.parametrize("ci", [None, "false", ""])
def test_elsewhere_a_skip_stays_a_skip(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str | None
) -> None:
    run(pytester, monkeypatch, ci).assert_outcomes(skipped=5, passed=1, xfailed=1)
