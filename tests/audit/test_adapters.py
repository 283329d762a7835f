"""Adapters: pip-audit's own JSON (from the real pip-audit, against the local OSV API), trivy's
vulnerability report merged with the offline OSV result, and `auto` scanner detection."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from shipyard.audit.dependencies import scan
from shipyard.audit.manifests import inventory
from shipyard.audit.merge import merge
from shipyard.audit.osv import OsvDatabase
from shipyard.audit.outcome import Audit
from shipyard.audit.plan import Request
from shipyard.audit.scan import collect
from shipyard.audit.scanners import ScanEnv, pip_audit, trivy
from shipyard.findings import files
from shipyard.findings.files import SourceLines
from shipyard.findings.tool import Output, judge
from tests.audit.conftest import RunAudit, report_of, sarif_of
from tests.audit.osv_server import osv_server
from tests.audit.sample import OSV_DB, Sample


def env_for(root: Path, tmp_path: Path) -> ScanEnv:
    (tmp_path / "temp").mkdir(exist_ok=True)
    return ScanEnv(root, tmp_path / "cache", tmp_path / "temp", 300.0)


def test_pip_audit_adapter_names_like_the_offline_matcher(sample: Sample, tmp_path: Path) -> None:
    deps = inventory(sample.root).dependencies
    (tmp_path / "pinned.txt").write_text(pip_audit.pins(deps))
    job = pip_audit.job(env_for(sample.root, tmp_path), deps, tmp_path / "pinned.txt")
    with osv_server(OSV_DB) as url:
        done = subprocess.run(
            [*job.argv, "--osv-url", url],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert job.report is not None
    online = job.parse(Output(done.returncode, job.report.read_text(), done.stderr)).findings
    offline = scan(OsvDatabase(OSV_DB), deps)
    assert {(f.rule, f.aliases, f.fixed, f.file, f.line) for f in online} == {
        (f.rule, f.aliases, f.fixed, f.file, f.line) for f in offline
    }
    assert merge([*offline, *online]) == [
        f.__class__(**{**f.__dict__, "tools": ("osv", "pip-audit")}) for f in offline
    ]


def test_trivy_vulnerability_merges_with_the_osv_finding(sample: Sample) -> None:
    report = {
        "Results": [
            {
                "Target": "requirements.txt",
                "Class": "lang-pkgs",
                "Vulnerabilities": [
                    {
                        "VulnerabilityID": "CVE-2018-18074",
                        "VendorIDs": ["GHSA-x84v-xcm2-53pg"],
                        "PkgName": "requests",
                        "InstalledVersion": "2.19.0",
                        "FixedVersion": "2.20.0",
                        "Severity": "HIGH",
                        "Title": "python-requests: HTTPS to HTTP redirect keeps Authorization",
                        "CVSS": {
                            "nvd": {
                                "V3Vector": "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
                                "V3Score": 7.5,
                            }
                        },
                    }
                ],
            }
        ]
    }
    read = Output(0, json.dumps(report))
    out = trivy.parse(read, lambda p: (p, sample.root), lines=lambda root: SourceLines(root).text)
    (from_trivy,) = out.findings
    assert from_trivy.severity == "high"  # from the vector: 7.5
    offline = scan(OsvDatabase(OSV_DB), inventory(sample.root).dependencies)
    merged = merge([*offline, from_trivy])
    assert len(merged) == len(offline)
    (one,) = [f for f in merged if f.rule == "PYSEC-2018-28"]
    assert one.tools == ("osv", "trivy") and one.severity == "high"
    assert one.fixed == ("2.20.0",) and one.line == 1


def test_trivy_without_a_report_is_a_warning_and_its_scanners_did_not_run() -> None:
    from shipyard.audit.outcome import Unavailable
    from shipyard.audit.plan import scanners_of

    env = ScanEnv(Path("/repo"), Path("/cache"), Path("/temp"), 300.0)
    tool = trivy.fs_job(
        env, lambda root: SourceLines(root).text, ["secret", "misconfig"], vuln_db=False
    )
    run = judge(tool, exit_code=1, timed_out=False, seconds=1.0, log="FATAL no space left")
    assert run.findings == () and run.status == "crashed"
    audit = Audit(["secrets", "iac"])
    collect(Request(None, env), audit, run, scanners_of(run.name, ["secret", "misconfig"]))
    reason = "trivy gave no report: FATAL no space left"
    assert audit.findings == [] and audit.warnings == [reason]
    assert audit.unavailable == [
        Unavailable("secrets", "trivy", reason),
        Unavailable("iac", "trivy", reason),
    ]
    assert audit.did_not_run() == ["secrets", "iac"]


def test_auto_picks_what_the_repository_has(sample: Sample, run_audit: RunAudit) -> None:
    result = run_audit(sample.root)
    assert report_of(result)["scanners"] == ["dependencies", "code", "secrets", "iac"]
    (sample.root / "Dockerfile").unlink()
    (sample.root / "app.py").unlink()
    result = run_audit(sample.root)
    assert report_of(result)["scanners"] == ["dependencies", "secrets"]


def test_container_image_archive_offline(sample: Sample, run_audit: RunAudit) -> None:
    """`image-archive`: trivy scans the archive's layers for secrets; without its vulnerability DB
    the container scanner did not run: exit 3 naming it (the rest still ran and is reported),
    unless allow-unavailable lists it, then a warning with the reason."""
    from tests.audit.sample import aws_key_id, image_archive

    image_archive(sample.root / "image.tar", {"app/creds.ini": f"key = {aws_key_id(9)}\n"})
    strict = run_audit(sample.root, scanners="container, code", image_archive="image.tar")
    assert strict.code == 3, strict.log[-2000:]
    assert "title=Audit incomplete::the audit could not run container" in strict.log
    assert strict.summary.startswith(
        "## Audit: container did not run; 2 blocking finding(s) in the rest"
    ), strict.summary[:300]
    (missing,) = report_of(strict)["did_not_run"]
    assert missing["scanner"] == "container" and missing["allowed"] is False
    assert missing["source"] == "trivy vulnerability DB"

    result = run_audit(
        sample.root,
        scanners="container, code",
        image_archive="image.tar",
        allow_unavailable="container",
    )
    assert result.code == 1
    assert report_of(result)["did_not_run"][0]["allowed"] is True
    report = report_of(result)
    ids = {(f["id"], f["file"]) for f in report["blocking_findings"]}
    assert ("secret:aws-access-key-id", "image.tar:/app/creds.ini") in ids
    assert ("B602", "app.py") in ids
    (warning,) = report["warnings"]
    assert warning.startswith("trivy vulnerability DB unavailable, vulnerability scanning skipped")
    assert "::warning::trivy vulnerability DB unavailable" in result.log


def test_bandit_splits_a_large_tree_by_size(tmp_path: Path) -> None:
    from shipyard.audit.scanners import bandit

    sizes = {f"pkg/big/m{i}.py": 1000 for i in range(150)}
    sizes |= {f"pkg/mid/m{i}.py": 900 for i in range(100)}
    sizes |= {f"tests/m{i}.py": 100 for i in range(50)}
    sizes |= {"setup.py": 100}
    assert bandit.split(sizes, 2) == [
        ["pkg/big"],
        ["pkg/mid", "setup.py", "tests/m0.py", *sorted(f"tests/m{i}.py" for i in range(1, 50))],
    ]
    assert bandit.split(sizes, 1) == []
    assert bandit.split(dict(list(sizes.items())[:100]), 4) == []
    for rel in sizes:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x = 1\n" * (sizes[rel] // 6))
    env = env_for(tmp_path, tmp_path)
    lines = lambda root: SourceLines(root).text  # noqa: E731
    one, two = bandit.jobs(env, lines, files.sizes(tmp_path, list(sizes)), 2)
    assert (one.name, two.name) == ("bandit-1", "bandit-2")
    assert str(tmp_path / "pkg" / "big") in one.argv and str(tmp_path / "pkg" / "mid") in two.argv
    few = files.sizes(tmp_path, list(sizes)[:10])
    assert [j.name for j in bandit.jobs(env, lines, few, 2)] == ["bandit"]


def test_containerfiles_are_dockerfiles_as_lint_says(tmp_path: Path, run_audit: RunAudit) -> None:
    """One Dockerfile detector for both actions. On f23a348 audit's own patterns missed
    `Containerfile.*` and `*.containerfile` (lint linted them): `auto` found nothing to scan
    for `iac`, and hadolint never saw them."""
    from shipyard.findings.kinds import dockerfile
    from shipyard.lint import config, detect
    from shipyard.lint.tools import LINTERS

    root = tmp_path / "repo"
    root.mkdir()
    names = ["Containerfile.dev", "web.containerfile"]
    for name in names:
        (root / name).write_text("FROM debian\nRUN apt-get install -y curl\nUSER app\n")
    assert all(dockerfile(name) and LINTERS["hadolint"].accepts(name) for name in names)
    assert "hadolint" in detect.detect(names, config.load(names, lambda _p: None)).linters
    result = run_audit(root, fail_on_severity="never")
    assert "iac" in report_of(result)["scanners"]
    found = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
        for run in sarif_of(result)["runs"]  # type: ignore[attr-defined]
        for r in run["results"]
    }
    assert {("DL3008", name) for name in names} <= found, found
