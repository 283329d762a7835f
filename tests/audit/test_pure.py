"""The pure parts: severity bands, the gate, merging, manifests, the ignore file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from shipyard.audit.gate import evaluate
from shipyard.audit.ignore import IgnoreResult, apply_ignores, parse_ignore
from shipyard.audit.manifests import inventory
from shipyard.audit.merge import merge
from shipyard.audit.severity import blocks
from shipyard.findings.model import Finding, level_of
from shipyard.findings.severity import band, base_score, from_osv
from shipyard.runtime import ConfigError


@pytest.mark.parametrize(
    ("vector", "score", "severity"),
    [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "critical"),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5, "high"),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", 5.3, "medium"),
        ("CVSS:3.1/AV:L/AC:L/PR:L/UI:R/S:U/C:L/I:N/A:N", 2.8, "low"),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3, "critical"),
    ],
)
def test_cvss_base_score_bands(vector: str, score: float, severity: str) -> None:
    assert base_score(vector) == score
    assert band(score) == severity
    assert from_osv([{"type": "CVSS_V3", "score": vector}]) == (severity, vector)


def test_no_or_bad_vector_is_unknown() -> None:
    assert from_osv([]) == ("unknown", None)
    assert from_osv([{"type": "CVSS_V3", "score": "CVSS:3.1/garbage"}]) == ("unknown", None)


@pytest.mark.parametrize(
    ("threshold", "unknown", "expected"),
    [
        ("critical", "high", {"critical"}),
        ("high", "high", {"critical", "high", "unknown"}),
        ("high", "medium", {"critical", "high"}),
        ("medium", "medium", {"critical", "high", "medium", "unknown"}),
        ("low", "ignore", {"critical", "high", "medium", "low"}),
        ("never", "high", set()),
    ],
)
def test_gate(threshold: str, unknown: str, expected: set[str]) -> None:
    severities = ["critical", "high", "medium", "low", "unknown"]
    assert {s for s in severities if blocks(s, threshold, unknown)} == expected  # type: ignore[arg-type]


def finding(**kw: object) -> Finding:
    base: dict[str, object] = {
        "tool": "osv",
        "rule": "PYSEC-1",
        "severity": "unknown",
        "message": "m",
        "fingerprint": "f1",
        "package": "requests",
        "installed": "2.19.0",
    }
    base.update(kw)
    base["level"] = level_of(base["severity"])  # type: ignore[arg-type]
    return Finding(**base)  # type: ignore[arg-type]


def test_same_advisory_from_two_scanners_is_one_finding() -> None:
    osv = finding(aliases=("CVE-1", "GHSA-1"), fixed=("2.20.0",), file="requirements.txt", line=1)
    trivy = finding(
        tool="trivy",
        rule="CVE-1",
        aliases=(),
        severity="high",
        fingerprint="f2",
        fixed=("2.20.0", "2.31.0"),
    )
    other = finding(rule="PYSEC-2", fingerprint="f3", aliases=("CVE-2",))
    merged = merge([osv, trivy, other])
    assert len(merged) == 2
    one = merged[0]
    assert one.rule == "PYSEC-1" and one.tools == ("osv", "trivy")
    assert one.severity == "high" and one.fixed == ("2.20.0", "2.31.0")
    assert set(one.aliases) == {"CVE-1", "GHSA-1"} and one.file == "requirements.txt"


TODAY = dt.date(2026, 1, 1)


def test_ignore_file_expired_stale_and_suppressed() -> None:
    text = """
ignore:
  - id: CVE-1            # an alias
    reason: not reachable
    expires: 2026-06-01
  - id: PYSEC-2
    reason: was fine until
    expires: 2025-01-01
  - fingerprint: nothing-has-this
    reason: old
    expires: 2026-02-01
"""
    entries = parse_ignore(text, ".shipyard/audit-ignore.yml", TODAY, 365)
    findings = [
        finding(aliases=("CVE-1",)),
        finding(rule="PYSEC-2", fingerprint="f2", severity="high"),
    ]
    result = apply_ignores(findings, entries, TODAY)
    assert result.suppressed == {"f1": "not reachable"}
    assert [(e.key, [f.rule for f in hits]) for e, hits in result.expired] == [
        ("PYSEC-2", ["PYSEC-2"])
    ]
    assert [e.key for e in result.stale] == ["nothing-has-this"]
    verdict = evaluate(findings, result, "high", "high")
    assert [f.rule for f in verdict.blocking] == ["PYSEC-2"]
    assert len(verdict.findings) == 2 and verdict.counts()["unknown"] == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ignore: [{reason: x, expires: 2026-02-01}]", "entry 1 has neither"),
        ("ignore: [{id: X, expires: 2026-02-01}]", r"entry 1 \(id X\) has no `reason`"),
        ("ignore: [{id: X, reason: y, expires: soon}]", r"entry 1 \(id X\): `expires` is not"),
        ("ignore: {id: X}", "expected a mapping"),
        ("ignore: [: bad", r"not valid YAML \(line 1, column 10\)"),
    ],
)
def test_bad_ignore_file_is_a_config_error(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_ignore(text, ".shipyard/audit-ignore.yml", TODAY, 365)


def test_manifests(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "# pinned\nrequests==2.19.0 \\\n    --hash=sha256:abc\n-r more/requirements-dev.txt\n"
        "flask>=2\n"
    )
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "requirements-dev.txt").write_text("PyYAML==5.3 ; python_version>'3'\n")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["jinja2==2.10", "click"]\n'
        '[tool.poetry.dependencies]\npython = "^3.10"\nurllib3 = "1.24.1"\n'
    )
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "uv.lock").write_text(
        'version = 1\n[[package]]\nname = "x"\nversion = "0.1"\nsource = { editable = "." }\n'
        '[[package]]\nname = "django"\nversion = "3.2.0"\n'
    )
    (tmp_path / "sub" / "poetry.lock").write_text(
        '[[package]]\nname = "pillow"\nversion = "8.0.0"\n'
    )
    (tmp_path / "Pipfile.lock").write_text(
        json.dumps(
            {
                "default": {"requests": {"version": "==2.19.0"}, "idna": {"version": "*"}},
                "develop": {"pytest": {"version": "==6.0.0"}},
            },
            indent=4,
        )
    )
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "requirements.txt").write_text("evil==1.0\n")
    inv = inventory(tmp_path)
    pins = {(d.name, d.version, d.file, d.line, d.kind) for d in inv.dependencies}
    assert pins == {
        ("requests", "2.19.0", "Pipfile.lock", 3, "Pipfile.lock"),
        ("pytest", "6.0.0", "Pipfile.lock", 11, "Pipfile.lock"),
        ("django", "3.2.0", "sub/uv.lock", 7, "uv.lock"),
        ("pillow", "8.0.0", "sub/poetry.lock", 2, "poetry.lock"),
        ("pyyaml", "5.3", "more/requirements-dev.txt", 1, "requirements"),
        ("jinja2", "2.10", "pyproject.toml", 3, "pyproject"),
        ("urllib3", "1.24.1", "pyproject.toml", 6, "pyproject"),
    }
    assert sorted(inv.unpinned) == [
        "Pipfile.lock: idna",
        "pyproject.toml: click",
        "requirements.txt: flask",
    ]
    assert inv.errors == []
    assert IgnoreResult().stale == []
