"""lint end to end: `uses: your-org/actions/lint@v1` under act on the sample repository, with
every detected linter installed into the tool cache (uv, our hashed locks), then run again warm."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.e2e.act import ActHarness

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "data" / "lint-sample"
WORKFLOW = """
name: lint
on: push
permissions: {}
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - id: lint
        uses: your-org/actions/lint@v1
        with:
          informational: black, isort
      - id: after
        if: always()
        env:
          RUN: ${{ steps.lint.outputs.linters-run }}
          FINDINGS: ${{ steps.lint.outputs.findings }}
        run: |
          echo "findings=$FINDINGS"
          echo "$RUN" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)), "linters")'
"""
ALL = [
    "black",
    "flake8",
    "hadolint",
    "isort",
    "mypy",
    "pylint",
    "ruff",
    "shellcheck",
    "yamllint",
    "zizmor",
]
CERTS = {k: os.environ[k] for k in ("SSL_CERT_FILE", "SSL_CERT_DIR") if k in os.environ}


def test_lint_action_on_the_sample_repository(act: ActHarness) -> None:
    run = act(WORKFLOW, repo_template=SAMPLE, host_env=CERTS)
    step = run.step("lint", "lint")
    assert step.outcome == "failure", run.describe()
    runs = {entry["tool"]: entry for entry in json.loads(step.outputs["linters-run"])}
    assert sorted(runs) == ALL
    assert all(entry["status"] == "ok" for entry in runs.values()), runs
    assert runs["ruff"]["source"] == "ours (locks/tools/lint)"
    assert int(step.outputs["findings"]) > 20
    assert step.outputs["sarif-file"].endswith("lint.sarif")
    annotations = [a for a in run.annotations if a.title and a.title.startswith(("flake8", "mypy"))]
    assert any(
        a.file == "app/formatting.py" and a.line == 6 and a.title == "flake8 E201"
        for a in annotations
    )
    assert any(a.file == "app/typed.py" and a.line == 2 for a in annotations)
    assert "## Lint:" in step.summary and "pyproject.toml [tool.black]" in step.summary
    after = run.step("lint", "after").text
    assert f"findings={step.outputs['findings']}" in after and "10 linters" in after

    warm = act(WORKFLOW, repo_template=SAMPLE, host_env=CERTS)
    assert "install ruff" not in warm.step("lint", "lint").text
    assert warm.step("lint", "lint").outputs["findings"] == step.outputs["findings"]
