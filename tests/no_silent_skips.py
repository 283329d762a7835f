"""Under CI (``CI=true``) no test is skipped: a skip, whatever raised it (``pytest.skip``, a
``skip``/``skipif`` mark, ``importorskip``, a fixture), is reported as a failure with its
reason. Elsewhere skips stay skips, so a developer without the test bed can run the rest.

``tests/services/_require.py`` fails a test whose service is missing directly; this plugin is
the net under everything else, so a skip added later cannot pass CI unnoticed.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from tests.services._require import in_ci


def _reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true (a test never skips in CI): {_reason(report)}"
