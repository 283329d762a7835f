"""audit end to end: `uses: your-org/actions/audit@v1` under act on the sample repository,
offline (the OSV copy of tests/data inside the repository as `vulnerability-db`, a range
resolved against a local package index of real wheels)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.audit.sample import OSV_DB, make_sample
from tests.e2e.act import ActHarness
from tests.services._common import ServiceUnavailable
from tests.services._require import unavailable
from tests.services.package_index import package_index, wheels

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "audit.yml"

WORKFLOW = """
name: audit
on: push
permissions: {}
jobs:
  audit:
    runs-on: ubuntu-latest
    env:
      # pip's name for the index: the audit's resolution reads it; the bootstrap, which
      # installs the action's own locked dependencies with uv here, does not (UV_INDEX_URL
      # would send it to this small index too).
      PIP_INDEX_URL: __INDEX__
    steps:
      - uses: actions/checkout@v4
      - id: audit
        continue-on-error: true
        uses: your-org/actions/audit@v1
        with:
          vulnerability-db: osv
          exclude: osv
          scanners: dependencies, code, secrets, iac
          sbom-file: sbom.cdx.json
          ignore-unfixed: true
          allow-unavailable: container
"""


def test_audit_on_the_sample_repository(act: ActHarness, tmp_path: Path) -> None:
    sample = make_sample(tmp_path / "sample", git=False)
    shutil.copytree(OSV_DB, sample.root / "osv")
    sample.write("requirements-web.txt", "requests>=2.18,<2.20\n")
    try:
        wheels()
    except ServiceUnavailable as exc:
        unavailable("package index", exc.reason)
    with package_index(tmp_path / "index") as served:
        run = act(WORKFLOW.replace("__INDEX__", served.url), repo_template=sample.root)
    step = run.step("audit", "audit")
    assert step.outcome == "failure", run.describe()
    assert run.job("audit").result == "success"  # continue-on-error
    outputs = step.outputs
    assert outputs.get("report"), run.describe()[-6000:]
    report = json.loads(outputs["report"])
    ids = {f["id"] for f in report["blocking_findings"]}
    assert {"PYSEC-2018-28", "PYSEC-2023-74", "B602", "DS-0002"} <= ids
    assert {"secret:aws-access-key-id", "secret:private-key"} <= ids
    assert int(outputs["blocking"]) == report["blocking"] > 0
    assert int(outputs["findings"]) > int(outputs["blocking"])
    assert outputs["sarif-file"].endswith(".sarif")
    assert "Audit: " in run.summary and "pin `requests==2.20.0`" in run.summary
    assert sample.aws_key not in run.text + run.summary
    # The range resolved (requests 2.19.1 and its dependencies), in the SBOM too.
    resolved = {(p["package"], p["version"], p["file"]) for p in report["resolved"]}
    assert ("requests", "2.19.1", "requirements-web.txt") in resolved
    assert ("urllib3", "1.23", "requirements-web.txt") in resolved
    assert outputs["sbom-file"].endswith("sbom.cdx.json")
    assert report["did_not_run"] == [] and report["databases"][0]["name"] == "OSV directory"


def test_example_workflow_online_dependencies_unreachable(act: ActHarness, tmp_path: Path) -> None:
    """examples/audit.yml as written (dependencies through pip-audit's online service): with no
    route to OSV the dependency scanner did not run, which fails the step (exit 3, naming it);
    every other scanner still ran and reports its findings."""
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
    assert [(m["scanner"], m["allowed"]) for m in report["did_not_run"]] == [
        ("dependencies", False)
    ]
    assert any(a.title == "Audit incomplete" for a in step.annotations), step.annotations
    assert any("exit status 3" in m for m in step.messages), step.messages
