"""Fingerprints are the keys of users' ignore files and allow-lists (audit) and of code
scanning's alerts (both): moving the parsers into the shared package kept every value. The
pins were computed by the code before it (base commit f23a348) from the same outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shipyard.audit.manifests import Dependency
from shipyard.audit.places import display
from shipyard.audit.scanners import ScanEnv, bandit, hadolint, pip_audit, trivy
from shipyard.findings.files import SourceLines
from shipyard.findings.model import Finding, LineText, fingerprint_of, message_fingerprint
from shipyard.findings.parsers import hadolint as hadolint_parser
from shipyard.findings.parsers import mypy, ruff
from shipyard.findings.tool import Output
from tests.findings import outputs


@pytest.fixture
def root(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    outputs.write(repo)
    return repo


def pins(findings: list[Finding]) -> list[tuple[str, str | None, int | None, str]]:
    return [(f.rule, f.file, f.line, f.fingerprint) for f in findings]


def lines(root: Path) -> LineText:
    return SourceLines(root).text


def test_audit_fingerprints_are_the_old_ones(root: Path) -> None:
    env = ScanEnv(root, root / "cache", root / "temp", 60.0)
    found = bandit.job(env, lines).parse(Output(1, outputs.bandit(root))).findings
    assert pins(list(found)) == [("B602", "app.py", 2, "5c252399b20ce100fd0f427c")]
    job = hadolint.job(env, lines, ["Dockerfile"])
    found = job.parse(Output(0, outputs.hadolint(root))).findings
    assert pins(list(found)) == [("DL3008", "Dockerfile", 2, "370725b88d08f748dfd81bae")]
    report = Output(0, json.dumps(outputs.TRIVY))
    found = trivy.parse(report, lambda p: (p, root), lines=lines).findings
    assert pins(list(found)) == [
        ("CVE-2018-18074", "requirements.txt", None, "91ed18a5d8411eb8bea7146c"),
        ("DS-0002", "Dockerfile", None, "fb01ba96c12467241027af10"),
        ("secret:aws-access-key-id", "config/aws.ini", 2, "98e906fa4c47412b35e0498e"),
    ]
    shown = display("old/aws.ini", "0123456789abcdef0123456789abcdef01234567")
    history = trivy.parse(
        Output(0, json.dumps(outputs.TRIVY_HISTORY)),
        lambda p: ({"history/aws.ini": shown}[p], None),
        lines=lines,
        lines_root=root,
        tree=root,
    ).findings
    assert pins(list(history)) == [
        ("secret:aws-access-key-id", shown, 2, "0096fa2e46e820021fafb74f")
    ]
    deps = [Dependency("requests", "2.19.0", "requirements.txt", 1, "requirements")]
    job = pip_audit.job(env, deps, root / "pins.txt")
    found = job.parse(Output(0, json.dumps(outputs.PIP_AUDIT))).findings
    assert pins(list(found)) == [
        ("PYSEC-2018-28", "requirements.txt", 1, "0706b47523d8fd3599bae44f")
    ]


def test_linter_fingerprints_are_the_old_ones(root: Path) -> None:
    assert pins(ruff.parse(json.dumps(outputs.RUFF), "/r")) == [
        ("F401", "app/x.py", 1, "5ae2bf10e743f5c4def70679bb941400")
    ]
    (typed,) = mypy.parse(outputs.MYPY, "/r")  # the note folded into the error's message
    assert typed.message == "Incompatible types\nSee the docs"
    assert typed.fingerprint == "e30ea235a88d6c696cd0ed7deea54855"
    assert pins(hadolint_parser.parse(outputs.hadolint(root), str(root))) == [
        ("DL3008", "Dockerfile", 2, "8e33bb2705ee55ce7d6a110050b39b50")
    ]


def test_the_two_schemes() -> None:
    """Audit's: the identifying parts joined by U+001F, 24 hex digits. The linters':
    tool, rule, file and message joined by NUL, 32 hex digits, a finding's default."""
    assert fingerprint_of("dependency", "requests", "PYSEC-2018-28") == "0706b47523d8fd3599bae44f"
    finding = Finding("ruff", "F401", "error", "`os` imported but unused", file="app/x.py")
    assert finding.fingerprint == message_fingerprint("ruff", "F401", "app/x.py", finding.message)
    assert finding.fingerprint == "5ae2bf10e743f5c4def70679bb941400"
    assert Finding("t", "r", "note", "m", fingerprint="given").fingerprint == "given"
