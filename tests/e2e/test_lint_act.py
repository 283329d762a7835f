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


# Hardening #17 item 5: pylint runs the repository's init-hook; that code (like any process of
# the step) must not find the job's token in its ancestors' initial environments under act,
# which passes inputs as INPUT_* too.
TOKEN = "tok-lint-act-6b1f0e93d2"
HOOK = f"""\
import os
pid, ancestors, leaks = os.getpid(), 0, 0
while pid > 1:
    try:
        with open(f"/proc/{{pid}}/environ", "rb") as handle:
            leaks += {TOKEN!r}.encode() in handle.read()
        with open(f"/proc/{{pid}}/stat") as handle:
            pid = int(handle.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        break
    ancestors += 1
with open("hook-result.txt", "w") as handle:
    handle.write(f"leaks={{leaks}} ancestors={{ancestors}}")
"""
HOOK_WORKFLOW = """
name: hooked
on: [push, pull_request_target]
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
          linters: pylint
          fail-on: never
          github-token: ${{ secrets.LINT_TOKEN }}
      - id: after
        if: always()
        run: cat hook-result.txt
"""


def test_repository_code_run_by_a_linter_finds_no_secret_in_its_ancestors(
    act: ActHarness,
) -> None:
    files = {
        ".pylintrc": "[MAIN]\ninit-hook=exec(open('.lint_hook.py').read())\n",
        ".lint_hook.py": HOOK,
        "app.py": '"""A module."""\n\nVALUE = 1\n',
    }
    run = act(HOOK_WORKFLOW, files=files, secrets={"LINT_TOKEN": TOKEN}, host_env=CERTS)
    assert run.step("lint", "lint").outcome == "success", run.describe()
    result = run.step("lint", "after").text
    assert "leaks=0 ancestors=" in result, result
    assert int(result.split("ancestors=")[1].split()[0]) >= 3  # pylint, the action, act...

    refused = act(HOOK_WORKFLOW, files=files, event="pull_request_target", host_env=CERTS)
    step = refused.step("lint", "lint")
    assert step.outcome == "failure", refused.describe()
    assert any("allow-pull-request-target" in a.message for a in refused.annotations)
    assert refused.step("lint", "after").outcome == "failure"  # pylint never ran: no result
