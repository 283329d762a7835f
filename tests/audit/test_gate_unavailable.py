"""A gate that cannot scan does not pass (`allow-unavailable`), vulnerabilities with no fix
(`ignore-unfixed`), and how old the vulnerability data is: the action in-process with the
real scanners and the real advisories of tests/data/osv-pypi."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from shipyard.audit.databases import parse_time
from shipyard.audit.outcome import Audit, Unavailable
from shipyard.audit.scan import collect
from shipyard.findings.tool import ToolRun
from tests.audit.conftest import RunAudit, report_of, sarif_of
from tests.audit.sample import OSV_DB, Sample
from tests.services._common import free_port


def unreachable() -> dict[str, str]:
    """No route to OSV's service: every proxy is a closed local port."""
    proxy = f"http://127.0.0.1:{free_port()}"
    return {"HTTPS_PROXY": proxy, "HTTP_PROXY": proxy, "https_proxy": proxy, "NO_PROXY": ""}


def test_online_dependency_scan_unreachable_fails_the_step(
    sample: Sample, run_audit: RunAudit
) -> None:
    """The bug: pip-audit "gave no report" (no route to OSV), the dependency scan was skipped
    with a warning and the gate passed on the rest. Now: exit 3 naming the scanner."""
    failed = run_audit(
        sample.root, env=unreachable(), scanners="dependencies, code", vulnerability_db=""
    )
    assert failed.code == 3, failed.log[-3000:]
    assert "::error title=Audit incomplete::the audit could not run dependencies" in failed.log
    assert "(1 blocking finding(s) in the rest)" in failed.log  # bandit's B602
    first = failed.summary.splitlines()[0]
    assert first == "## Audit: dependencies did not run; 1 blocking finding(s) in the rest"
    (missing,) = report_of(failed)["did_not_run"]
    assert (missing["scanner"], missing["source"], missing["allowed"]) == (
        "dependencies",
        "pip-audit",
        False,
    )
    assert missing["reason"].startswith("pip-audit gave no report")

    allowed = run_audit(
        sample.root,
        env=unreachable(),
        scanners="dependencies, code",
        vulnerability_db="",
        allow_unavailable="dependencies",
        fail_on_severity="never",
    )
    assert allowed.code == 0, allowed.log[-3000:]
    assert allowed.summary.splitlines()[0] == (
        "## Audit: dependencies did not run; nothing blocks in the rest"
    )
    assert "| dependencies | pip-audit |" in allowed.summary
    assert any(w.startswith("pip-audit gave no report") for w in report_of(allowed)["warnings"])


def test_an_empty_vulnerability_db_is_no_database(
    tmp_path: Path, sample: Sample, run_audit: RunAudit
) -> None:
    empty = tmp_path / "osv-empty"
    empty.mkdir()
    result = run_audit(sample.root, scanners="dependencies", vulnerability_db=str(empty))
    assert result.code == 3, result.log[-2000:]
    (missing,) = report_of(result)["did_not_run"]
    assert missing["source"] == "vulnerability-db" and "no OSV records" in missing["reason"]
    everything = run_audit(
        sample.root, scanners="dependencies", vulnerability_db=str(empty), allow_unavailable="all"
    )
    assert everything.code == 0


def test_allow_unavailable_names_scanners(sample: Sample, run_audit: RunAudit) -> None:
    bad = run_audit(sample.root, allow_unavailable="dependencies, antivirus")
    assert bad.code == 2 and "allow-unavailable" in bad.log and "antivirus" in bad.log
    assert "Traceback" not in bad.log


def test_a_timed_out_or_crashed_tool_means_its_scanners_did_not_run() -> None:
    from shipyard.audit.plan import Request
    from shipyard.audit.scanners import ScanEnv

    request = Request(None, ScanEnv(Path("/r"), Path("/c"), Path("/t"), 5.0))
    audit = Audit(["code", "iac", "secrets"])
    collect(request, audit, ToolRun("bandit-2", "timed-out", -9, 5.2), ("code",))
    collect(request, audit, ToolRun("hadolint", "ok", 0, 0.1), ("iac",))
    assert audit.unavailable == [Unavailable("code", "bandit-2", "bandit-2 timed out after 5s")]
    assert audit.did_not_run() == ["code"]
    assert audit.missing({"code"}) == [] and audit.missing(set()) == audit.unavailable


# ------------------------------------------------------------------------------ ignore-unfixed


def test_ignore_unfixed_reports_but_does_not_gate(sample: Sample, run_audit: RunAudit) -> None:
    """beaker 1.11.0: PYSEC-2020-216 names no fixed version (its range is only `introduced`)."""
    sample.write("requirements.txt", "beaker==1.11.0\n")
    gating = run_audit(sample.root, scanners="dependencies")
    assert gating.code == 1
    assert [f["id"] for f in report_of(gating)["blocking_findings"]] == ["PYSEC-2020-216"]
    assert report_of(gating)["blocking_findings"][0]["fixed"] == []

    reported = run_audit(sample.root, scanners="dependencies", ignore_unfixed="true")
    assert reported.code == 0, reported.log[-2000:]
    report = report_of(reported)
    assert report["findings"] == 1 and report["blocking"] == 0
    assert report["unfixed_not_gating"] == 1
    (result,) = [r for run in sarif_of(reported)["runs"] for r in run["results"]]
    assert result["ruleId"] == "PYSEC-2020-216" and result["properties"]["blocking"] is False
    assert "1 vulnerability(ies) name no fixed version: reported, not gating" in reported.summary

    # A fixable one still gates: requests 2.19.0's advisories name 2.20.0 and 2.31.0.
    sample.write("requirements.txt", "beaker==1.11.0\nrequests==2.19.0\n")
    mixed = run_audit(sample.root, scanners="dependencies", ignore_unfixed="true")
    assert mixed.code == 1
    assert {f["id"] for f in report_of(mixed)["blocking_findings"]} == {
        "PYSEC-2018-28",
        "PYSEC-2023-74",
    }


# ---------------------------------------------------------------------------- database's age


def newest_modified(root: Path) -> dt.datetime:
    """Read independently: every record's `modified`, the newest."""
    import yaml

    times = []
    for path in root.rglob("*.yaml"):
        value = yaml.safe_load(path.read_text())["modified"]
        if isinstance(value, dt.datetime):
            times.append(value.astimezone(dt.timezone.utc))
        else:
            parsed = parse_time(str(value))
            assert parsed is not None
            times.append(parsed)
    return max(times)


def test_the_summary_says_how_old_the_database_is(sample: Sample, run_audit: RunAudit) -> None:
    result = run_audit(sample.root, scanners="dependencies")
    (database,) = report_of(result)["databases"]
    newest = newest_modified(OSV_DB)
    assert database["name"] == "OSV directory"
    assert dt.datetime.fromisoformat(database["updated"]) == newest
    days = (dt.datetime.now(dt.timezone.utc) - newest).days
    assert database["age_days"] in (days, days + 1)
    line = re.search(
        r"Vulnerability data: OSV directory: updated (\S+) \((\d+) day", result.summary
    )
    assert line and line.group(1) == f"{newest:%Y-%m-%d}"


def test_a_directory_without_modified_dates_uses_its_mtime(tmp_path: Path) -> None:
    import os

    from shipyard.audit.databases import osv_directory

    (tmp_path / "X-1.json").write_text('{"id": "X-1", "affected": []}')
    os.utime(tmp_path, (1_700_000_000, 1_700_000_000))
    database, count = osv_directory(tmp_path, "OSV directory")
    assert count == 1 and database.how == "the directory's modification time"
    assert database.updated == dt.datetime.fromtimestamp(1_700_000_000, tz=dt.timezone.utc)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-10-10T17:22:00.587279Z", "2024-10-10T17:22:00.587279+00:00"),
        ("2024-10-10T17:22:00.1Z", "2024-10-10T17:22:00.100000+00:00"),
        ("2024-10-10T17:22:00.123456789Z", "2024-10-10T17:22:00.123456+00:00"),
        ("2024-10-10T19:22:00+02:00", "2024-10-10T17:22:00+00:00"),
        ("yesterday", None),
    ],
)
def test_parse_time(text: str, expected: str | None) -> None:
    parsed = parse_time(text)
    assert (parsed.isoformat() if parsed else None) == expected


def test_trivy_db_age_from_its_metadata(tmp_path: Path) -> None:
    from shipyard.audit.databases import trivy_db

    metadata = tmp_path / "metadata.json"
    metadata.write_text(
        '{"Version": 2, "NextUpdate": "2024-10-11T12:00:00Z", '
        '"UpdatedAt": "2024-10-10T06:15:01.123456789Z", "DownloadedAt": "2024-10-10T08:00:00Z"}'
    )
    database = trivy_db(metadata)
    assert database.updated == dt.datetime(2024, 10, 10, 6, 15, 1, 123456, tzinfo=dt.timezone.utc)
    assert trivy_db(tmp_path / "missing.json").updated is None


def test_database_lines() -> None:
    from shipyard.audit.outcome import Database
    from shipyard.audit.report import database_line

    now = dt.datetime(2024, 10, 20, tzinfo=dt.timezone.utc)
    old = Database("OSV directory", dt.datetime(2024, 10, 10, tzinfo=dt.timezone.utc), "x")
    assert database_line(old, now) == "OSV directory: updated 2024-10-10 (10 day(s) old; x)"
    assert database_line(Database("svc", live=True), now) == "svc: live"
    assert database_line(Database("trivy"), now) == "trivy: age unknown"
