"""Ignore entries expire, within `ignore-max-days`, and a rule id is never a wildcard: the
parser on its own (pure), and the action with the real scanners on the sample."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from shipyard.audit import ignore
from shipyard.findings.model import Finding
from shipyard.runtime import ConfigError
from tests.audit.conftest import RunAudit, report_of
from tests.audit.sample import Sample

TODAY = dt.date(2026, 3, 1)
SOURCE = ".shipyard/audit-ignore.yml"


def parse(body: str, max_days: int = 365) -> Any:
    return ignore.parse_ignore("ignore:\n" + body, SOURCE, TODAY, max_days)


def placed(rule: str, file: str, fingerprint: str = "f") -> Finding:
    return Finding(
        "bandit", rule, "error", "m", severity="high", fingerprint=fingerprint, file=file, line=1
    )


def test_expires_is_required_and_capped() -> None:
    with pytest.raises(ConfigError, match=r"entry 2 \(id PYSEC-2\) has no `expires` date"):
        parse("  - {id: PYSEC-1, reason: r, expires: 2026-04-01}\n  - {id: PYSEC-2, reason: r}\n")
    with pytest.raises(ConfigError, match=r"entry 1 \(fingerprint abc\) has no `expires`"):
        parse("  - {fingerprint: abc, reason: r}\n")
    with pytest.raises(
        ConfigError, match=r"entry 1 \(id PYSEC-1\) expires on 2027-03-02, more than 365 days"
    ):
        parse("  - {id: PYSEC-1, reason: r, expires: 2027-03-02}\n")
    assert parse("  - {id: PYSEC-1, reason: r, expires: 2027-03-01}\n")[0].expires == dt.date(
        2027, 3, 1
    )
    assert parse("  - {id: PYSEC-1, reason: r, expires: '2030-01-01'}\n", max_days=3000)


@pytest.mark.parametrize(
    "rule", ["secret:aws-access-key-id", "B105", "DS-0002", "AVD-DS-0002", "DS002", "DL3008"]
)
def test_a_rule_id_needs_paths_or_a_fingerprint(rule: str) -> None:
    with pytest.raises(ConfigError, match=rf"entry 1 \(id {rule}\) names a rule") as caught:
        parse(f"  - {{id: '{rule}', reason: r, expires: 2026-06-01}}\n")
    assert "paths" in (caught.value.hint or "")
    (entry,) = parse(f"  - {{id: '{rule}', paths: ['tests/**'], reason: r, expires: 2026-06-01}}\n")
    assert entry.paths == ("tests/**",)


def test_paths_narrow_a_rule_to_those_files() -> None:
    (entry,) = parse(
        "  - {id: B105, paths: ['tests/**', '*.cfg'], reason: r, expires: 2026-06-01}\n"
    )
    findings = [
        placed("B105", "tests/unit/test_x.py", "a"),
        placed("B105", "app.cfg", "b"),
        placed("B105", "src/app.py", "c"),
        placed("B105", "src/app.cfg", "d"),
        placed("B105", "tests/old.py (commit abcdef123456)", "e"),
    ]
    result = ignore.apply_ignores(findings, [entry], TODAY)
    assert sorted(result.suppressed) == ["a", "b", "e"]


def test_a_rule_of_unknown_shape_is_no_wildcard_either() -> None:
    """An id the parser does not know as a rule that matches findings at places in the code
    (not a package's advisory) is refused when applied."""
    (entry,) = parse("  - {id: custom-rule, reason: r, expires: 2026-06-01}\n")
    with pytest.raises(ConfigError, match=r"entry 1 \(id custom-rule\) names a rule of bandit"):
        ignore.apply_ignores([placed("custom-rule", "a.py")], [entry], TODAY)
    advisory = Finding(
        "osv",
        "PYSEC-1",
        "error",
        "m",
        severity="high",
        fingerprint="f",
        package="requests",
        installed="1",
    )
    (entry,) = parse("  - {id: PYSEC-1, reason: r, expires: 2026-06-01}\n")
    assert ignore.apply_ignores([advisory], [entry], TODAY).suppressed == {"f": "r"}


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("tests/**", "tests/a/b.py", True),
        ("tests/*", "tests/a/b.py", False),
        ("**/fixtures/*.ini", "fixtures/aws.ini", True),
        ("**/fixtures/*.ini", "a/b/fixtures/aws.ini", True),
        ("*.ini", "config/aws.ini", False),
        ("config/aws.in?", "config/aws.ini", True),
        ("./config/aws.ini", "config/aws.ini", True),
    ],
)
def test_globs(pattern: str, path: str, matches: bool) -> None:
    assert ignore.glob_match(pattern, path) is matches


def test_the_action_refuses_a_rule_wide_secret_entry(sample: Sample, run_audit: RunAudit) -> None:
    """`id: secret:aws-access-key-id` ignored the rule in every file, present and future."""
    ahead = dt.date.today() + dt.timedelta(days=30)
    sample.write(
        SOURCE,
        f"ignore:\n  - id: secret:aws-access-key-id\n    reason: test keys\n    expires: {ahead}\n",
    )
    result = run_audit(sample.root, scanners="secrets")
    assert result.code == 2
    assert "entry 1 (id secret:aws-access-key-id) names a rule" in result.log
    sample.write(
        SOURCE,
        "ignore:\n  - id: secret:aws-access-key-id\n    paths: [fixtures/*.ini]\n"
        f"    reason: test keys\n    expires: {ahead}\n",
    )
    result = run_audit(sample.root, scanners="secrets")
    assert result.code == 1
    blocking = {(f["id"], f["file"]) for f in report_of(result)["blocking_findings"]}
    assert ("secret:aws-access-key-id", "config/aws.ini") in blocking
    assert ("secret:aws-access-key-id", "fixtures/aws.ini") not in blocking
    assert report_of(result)["ignored"] == 1


def test_the_action_caps_expiry_with_ignore_max_days(sample: Sample, run_audit: RunAudit) -> None:
    far = dt.date.today() + dt.timedelta(days=400)
    sample.write(SOURCE, f"ignore:\n  - id: PYSEC-2018-28\n    reason: later\n    expires: {far}\n")
    result = run_audit(sample.root, scanners="dependencies")
    assert result.code == 2 and "more than 365 days ahead" in result.log
    result = run_audit(sample.root, scanners="dependencies", ignore_max_days="500")
    assert result.code == 1 and report_of(result)["ignored"] == 1
    sample.write(SOURCE, "ignore:\n  - id: PYSEC-2018-28\n    reason: forever\n")
    result = run_audit(sample.root, scanners="dependencies")
    assert result.code == 2 and "entry 1 (id PYSEC-2018-28) has no `expires` date" in result.log
    bad = run_audit(sample.root, scanners="dependencies", ignore_max_days="0")
    assert bad.code == 2 and "ignore-max-days" in bad.log
