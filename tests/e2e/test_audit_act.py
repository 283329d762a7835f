"""audit end to end: `uses: your-org/actions/audit@v1` under act on the sample repository,
offline (the OSV copy of tests/data inside the repository as `vulnerability-db`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.audit.sample import OSV_DB, make_sample
from tests.e2e.act import ActHarness

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "audit.yml"

WORKFLOW = """
name: audit
on: push
permissions: {}
jobs:
  audit:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: audit
        continue-on-error: true
        uses: your-org/actions/audit@v1
        with:
          vulnerability-db: osv
          exclude: osv
          scanners: dependencies, code, secrets, iac
"""


def test_audit_on_the_sample_repository(act: ActHarness, tmp_path: Path) -> None:
    sample = make_sample(tmp_path / "sample", git=False)
    shutil.copytree(OSV_DB, sample.root / "osv")
    run = act(WORKFLOW, repo_template=sample.root)
    step = run.step("audit", "audit")
    assert step.outcome == "failure", run.describe()
    assert run.job("audit").result == "success"  # continue-on-error
    outputs = step.outputs
    report = json.loads(outputs["report"])
    ids = {f["id"] for f in report["blocking_findings"]}
    assert {"PYSEC-2018-28", "PYSEC-2023-74", "B602", "DS-0002"} <= ids
    assert {"secret:aws-access-key-id", "secret:private-key"} <= ids
    assert int(outputs["blocking"]) == report["blocking"] > 0
    assert int(outputs["findings"]) > int(outputs["blocking"])
    assert outputs["sarif-file"].endswith(".sarif")
    assert "Audit: " in run.summary and "pin `requests==2.20.0`" in run.summary
    assert sample.aws_key not in run.text + run.summary


def test_example_workflow_online_dependencies_unreachable(act: ActHarness, tmp_path: Path) -> None:
    """examples/audit.yml as written (dependencies through pip-audit's online service): with no
    internet that scanner's failure is a warning and every other scanner still gates."""
    sample = make_sample(tmp_path / "sample", git=False)
    run = act(EXAMPLE, event="workflow_dispatch", repo_template=sample.root)
    assert run.jobs["daily"].result == "skipped"  # the issue-writing job runs on schedule only
    step = run.step("gate", "audit")
    assert step.outcome == "failure", run.describe()
    report = json.loads(step.outputs["report"])
    ids = {f["id"] for f in report["blocking_findings"]}
    assert {"B602", "DS-0002", "secret:aws-access-key-id", "secret:private-key"} <= ids
    assert any(w.startswith("pip-audit gave no report") for w in report["warnings"])
    assert report["scanners"] == ["dependencies", "code", "secrets", "iac"]
