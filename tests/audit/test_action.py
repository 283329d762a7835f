"""The audit action in-process on the sample repository, with the real scanners."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.audit.conftest import RunAudit, report_of, sarif_of
from tests.audit.osv_server import load_records
from tests.audit.sample import OSV_DB, PINS, Sample

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
ALL = "dependencies,code,secrets,container,iac"


def results(sarif: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for run in sarif["runs"] for r in run["results"]]


def by_rule(sarif: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [r for r in results(sarif) if r["ruleId"] == rule]


def location(result: dict[str, Any]) -> tuple[str, int | None]:
    physical = result["locations"][0]["physicalLocation"]
    return physical["artifactLocation"]["uri"], physical.get("region", {}).get("startLine")


def expected_advisories() -> dict[tuple[str, str], tuple[set[str], list[str]]]:
    """From the mirror's records, read independently: every record that lists the pinned
    version among its affected `versions`, named as pip-audit names it."""
    from packaging.version import Version

    found = {}
    for name, version in PINS.items():
        for record in load_records(OSV_DB / "vulns" / name):
            for affected in record["affected"]:
                if Version(version) not in [Version(str(v)) for v in affected.get("versions", [])]:
                    continue
                names = [record["id"], *record.get("aliases", [])]
                fixed = sorted(
                    (
                        e["fixed"]
                        for r in affected["ranges"]
                        if r["type"] == "ECOSYSTEM"
                        for e in r["events"]
                        if "fixed" in e
                    ),
                    key=Version,
                )
                primary = next(n for n in names if n.startswith("PYSEC"))
                found[(name, primary)] = (set(names) - {primary}, fixed)
    return found


def test_everything_found_on_the_sample(sample: Sample, run_audit: RunAudit) -> None:
    result = run_audit(
        sample.root, scanners=ALL, secrets_history="true", allow_unavailable="container"
    )
    assert result.code == 1, result.log
    sarif = sarif_of(result)
    jsonschema.validate(sarif, SCHEMA)

    # Dependencies: exactly the mirror's advisories, ids, aliases and fixed versions.
    deps = {
        (r["properties"]["package"], r["ruleId"]): (
            set(r["properties"]["aliases"]),
            r["properties"]["fixed"],
        )
        for r in results(sarif)
        if r["properties"]["package"]
    }
    expected = expected_advisories()
    assert deps == expected
    assert deps[("requests", "PYSEC-2018-28")] == (
        {"CVE-2018-18074", "GHSA-x84v-xcm2-53pg"},
        ["2.20.0"],
    )
    (requests_finding,) = by_rule(sarif, "PYSEC-2018-28")
    assert location(requests_finding) == ("requirements.txt", 1)

    # Code: bandit's shell=True finding, at its line.
    (shell,) = by_rule(sarif, "B602")
    assert location(shell) == ("app.py", 6) and shell["level"] == "error"

    # Secrets: the AWS key id and the private key in the tree; the key removed from the tree
    # is found in the history, at its commit.
    aws = sorted(location(r) for r in by_rule(sarif, "secret:aws-access-key-id"))
    assert aws[:2] == [("config/aws.ini", 2), ("fixtures/aws.ini", 2)]
    assert aws[2][0].startswith("old/creds.ini (commit ")
    assert [location(r) for r in by_rule(sarif, "secret:private-key")] == [("deploy/id_rsa", 2)]
    assert sample.aws_key not in json.dumps(sarif) + result.visible

    # IaC: trivy's Dockerfile check (no USER: runs as root), hadolint too.
    (root_user,) = by_rule(sarif, "DS-0002")
    assert location(root_user)[0] == "Dockerfile"
    assert by_rule(sarif, "DL3042")

    # Container: the vulnerability DB cannot be downloaded here: the container scanner did
    # not run (allowed here: a warning), the rest ran; the first line of the summary says so.
    report = report_of(result)
    assert any("trivy vulnerability DB unavailable" in w for w in report["warnings"])
    assert [(m["scanner"], m["allowed"]) for m in report["did_not_run"]] == [("container", True)]
    assert result.summary.splitlines()[0].startswith("## Audit: container did not run;")

    # Every finding is in the SARIF; the gate counted the blocking ones only.
    assert len(results(sarif)) == int(result.outputs["findings"])
    blocking = [r for r in results(sarif) if r["properties"]["blocking"]]
    assert len(blocking) == int(result.outputs["blocking"]) == report["blocking"]
    assert 0 < len(blocking) < len(results(sarif))
    low = [r for r in results(sarif) if r["properties"]["severity"] == "low"]
    assert low and not any(r["properties"]["blocking"] for r in low)
    assert result.outputs["critical"] == str(report["counts"]["critical"]) != "0"
    # Unknown severities (the advisories have no CVSS vector) are counted and gate as high.
    assert report["counts"]["unknown"] == len(expected)
    assert f"{len(expected)} finding(s) have no severity" in result.summary
    assert "pin `requests==2.20.0` in requirements.txt" in result.summary
    assert "file=app.py,line=6::subprocess call with shell=True" in result.log


def test_allow_listed_secret_is_not_reported(sample: Sample, run_audit: RunAudit) -> None:
    first = run_audit(sample.root, scanners="secrets")
    found = {location(r): r for r in by_rule(sarif_of(first), "secret:aws-access-key-id")}
    fingerprint = found[("fixtures/aws.ini", 2)]["partialFingerprints"]
    (value,) = fingerprint.values()
    again = run_audit(sample.root, scanners="secrets", secrets_allowlist=value)
    locations = [location(r) for r in by_rule(sarif_of(again), "secret:aws-access-key-id")]
    assert locations == [("config/aws.ini", 2)]
    assert [location(r) for r in by_rule(sarif_of(again), "secret:private-key")]
    assert "1 allow-listed secret(s) not reported." in again.summary


LOW_ONLY = "import subprocess  # bandit B404: low\n"


@pytest.mark.parametrize(
    ("scanners", "threshold", "unknown", "low_only", "code"),
    [
        (ALL, "never", "high", False, 0),
        ("secrets", "critical", "high", False, 1),  # the AWS key id is critical
        ("code", "critical", "high", False, 0),  # bandit's worst is high
        ("code", "high", "high", False, 1),
        ("code", "medium", "high", True, 0),
        ("code", "low", "high", True, 1),
        ("dependencies", "high", "high", False, 1),  # unknown gates as high
        ("dependencies", "high", "medium", False, 0),
        ("dependencies", "medium", "medium", False, 1),
        ("dependencies", "low", "ignore", False, 0),
    ],
)
def test_fail_on_severity_exit_codes(
    tmp_path: Path,
    run_audit: RunAudit,
    scanners: str,
    threshold: str,
    unknown: str,
    low_only: bool,
    code: int,
) -> None:
    from tests.audit.sample import make_sample

    sample = make_sample(tmp_path / "repo", git=False)
    if low_only:
        sample.write("app.py", LOW_ONLY)
    result = run_audit(
        sample.root,
        scanners=scanners,
        fail_on_severity=threshold,
        unknown_severity=unknown,
        allow_unavailable="container",  # no trivy vulnerability DB here
    )
    assert result.code == code, result.log[-3000:]
    assert (result.outputs["blocking"] != "0") == bool(code)
    assert int(result.outputs["findings"]) > 0


def test_bad_inputs_exit_2(sample: Sample, run_audit: RunAudit) -> None:
    bad = run_audit(sample.root, fail_on_severity="severe")
    assert bad.code == 2 and "fail-on-severity" in bad.log
    bad = run_audit(sample.root, scanners="code, viruses")
    assert bad.code == 2 and "viruses" in bad.log
    sample.write(".shipyard/audit-ignore.yml", "ignore:\n  - id: PYSEC-2018-28\n")
    bad = run_audit(sample.root, scanners="dependencies")
    assert bad.code == 2 and "reason" in bad.log
    assert "Traceback" not in bad.log


def test_ignore_file_suppresses_expires_and_reports_stale(
    sample: Sample, run_audit: RunAudit
) -> None:
    ahead = dt.date.today() + dt.timedelta(days=300)
    sample.write(
        ".shipyard/audit-ignore.yml",
        f"""ignore:
  - id: CVE-2023-32681            # an alias of PYSEC-2023-74
    reason: not reachable, we never follow redirects
    expires: {ahead}
  - id: PYSEC-2018-28
    reason: accepted last year
    expires: 2020-01-31
  - fingerprint: 0123456789abcdef
    reason: gone long ago
    expires: {ahead}
""",
    )
    result = run_audit(sample.root, scanners="dependencies", fail_on_severity="high")
    sarif = sarif_of(result)
    jsonschema.validate(sarif, SCHEMA)
    (ignored,) = by_rule(sarif, "PYSEC-2023-74")
    assert ignored["suppressions"][0]["kind"] == "external"
    assert ignored["suppressions"][0]["justification"] == "not reachable, we never follow redirects"
    assert not ignored["properties"]["blocking"]
    (expired,) = by_rule(sarif, "PYSEC-2018-28")
    assert "suppressions" not in expired and expired["properties"]["blocking"]
    report = report_of(result)
    assert report["expired_ignores"] == [
        "Entry 2 (id PYSEC-2018-28) expired on 2020-01-31: 1 finding(s) are no longer ignored."
    ]
    assert report["stale_ignores"] == [
        "Entry 3 (fingerprint 0123456789abcdef) matches no finding: stale, remove it."
    ]
    assert "expired on 2020-01-31" in result.log  # as a warning annotation
    assert report["ignored"] == 1
    assert int(result.outputs["blocking"]) == int(result.outputs["findings"]) - 1
