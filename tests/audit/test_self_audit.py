"""The audit used on itself: `python -m shipyard.audit` with its defaults, as a new user would
run it, at the root of a clean copy of this repository (`git archive HEAD`), with the offline
OSV data of tests/data and no package index reachable. Its verdict must be the project's: no
blocking finding (the findings accepted in .shipyard/audit-ignore.yml are the seeded problems
of test samples, each with its reason), every scanner ran, no accepted entry is stale."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

from tests.audit.conftest import RunAudit, report_of
from tests.services._common import REPO_ROOT, free_port


def clean_copy(dest: Path) -> Path:
    archive = dest.parent / "repo.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(REPO_ROOT), "archive", "HEAD"], stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    return dest


def test_the_audit_passes_on_this_repository(tmp_path: Path, run_audit: RunAudit) -> None:
    root = clean_copy(tmp_path / "shipyard")
    closed = f"http://127.0.0.1:{free_port()}/simple"
    result = run_audit(root, env={"UV_INDEX_URL": closed})  # defaults; OSV data of tests/data
    report = report_of(result)
    blocking = [(f["id"], f["file"], f["line"]) for f in report["blocking_findings"]]
    assert result.code == 0, (blocking, report["warnings"], result.log[-3000:])
    assert report["scanners"] == ["dependencies", "code", "secrets", "iac"]
    assert report["did_not_run"] == []
    assert report["stale_ignores"] == [] and report["expired_ignores"] == []
    assert report["ignored"] == 3  # the seeded lint sample (2) and the test bed's image
    assert result.summary.splitlines()[0] == "## Audit: nothing blocks"
    # With no index, pyproject.toml's ranges are not resolved: said, not silent.
    assert any(
        w.startswith("pyproject.toml: its ranges could not be resolved") for w in report["warnings"]
    )
