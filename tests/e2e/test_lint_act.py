"""lint end to end: `uses: your-org/actions/lint@v1` under act on the sample repository, with
every detected linter installed into the tool cache (uv, our hashed locks), then run again warm."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.e2e.act import ActHarness
from tests.services.github_emulator import GitHubEmulator

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


# Lint 2, items 1 and 2: on a pull request, only the lines it adds fail the step, and one
# review with a comment per new finding appears. The caller repository has one commit (a
# shallow checkout, as actions/checkout makes on pull_request): the changed lines come from
# the PR files API's patches, served by the emulator, which also takes the review.
PR_WORKFLOW = """
name: lint-pr
on: pull_request
permissions:
  contents: read
  pull-requests: write
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
          linters: ruff, ruff-format
          changed-lines-only: true
          review: suggestions
          github-token: ${{ secrets.LINT_TOKEN }}
"""
PR_TOKEN = "ghp_lint_act_review"
APP_OLD = "import os\n\n\ndef old() -> int:\n    return 1\n"  # ruff F401 on line 1
PATCH = (
    "@@ -2,4 +2,8 @@\n \n \n def old() -> int:\n     return 1\n"
    "+\n+\n+def new() -> int:\n+    return {body}"
)


def _pull_request(gh: GitHubEmulator, number: int, body: str) -> dict[str, object]:
    """PR ``number`` adds a function returning ``body`` to app.py; its event payload."""
    patch = PATCH.format(body=body)
    gh.set_pull_files("your-org/app", number, [{"filename": "app.py", "patch": patch}])
    sides = {"base": {"sha": "1" * 40, "ref": "main"}, "head": {"sha": "2" * 40, "ref": "f"}}
    return {"number": number, "pull_request": {"number": number, **sides}}


def test_pull_request_fails_on_its_new_lines_only_and_gets_a_review(
    act: ActHarness, github_emulator: GitHubEmulator
) -> None:
    gh = github_emulator
    gh.add_user("lint-bot", token=PR_TOKEN)
    gh.add_repo("your-org/app", collaborators={"lint-bot": "write"})
    env = {"GITHUB_API_URL": gh.api_v3_url}
    secrets = {"LINT_TOKEN": PR_TOKEN}

    bad = "undefined+1"  # ruff F821, and ruff format's spaces
    files = {"app.py": APP_OLD + f"\n\ndef new() -> int:\n    return {bad}\n"}
    run = act(
        PR_WORKFLOW,
        event="pull_request",
        payload=_pull_request(gh, 7, bad),
        files=files,
        secrets=secrets,
        env=env,
        host_env=CERTS,
    )
    step = run.step("lint", "lint")
    assert step.outcome == "failure", run.describe()
    assert step.outputs["findings"] == "2"
    placed = {(a.file, a.line, a.title) for a in run.annotations if a.file}
    assert ("app.py", 9, "ruff F821") in placed
    assert not any(line == 1 for _file, line, _title in placed)  # F401 is the codebase's
    assert "1 existing findings elsewhere" in step.summary
    [made] = gh.reviews("your-org/app", 7)
    assert made["user"]["login"] == "lint-bot" and made["commit_id"] == "2" * 40
    comments = gh.review_comments("your-org/app", 7)
    assert sorted(c["line"] for c in comments) == [9, 9]
    [formatted] = [c for c in comments if "ruff-format" in c["body"]]
    assert "```suggestion\n    return undefined + 1\n```" in formatted["body"]

    clean = "2"
    files = {"app.py": APP_OLD + f"\n\ndef new() -> int:\n    return {clean}\n"}
    run = act(
        PR_WORKFLOW,
        event="pull_request",
        payload=_pull_request(gh, 8, clean),
        files=files,
        secrets=secrets,
        env=env,
        host_env=CERTS,
    )
    step = run.step("lint", "lint")
    assert step.outcome == "success", run.describe()  # the old F401 does not fail it
    assert step.outputs["findings"] == "0" and "1 existing findings" in step.summary
    assert gh.reviews("your-org/app", 8) == []  # nothing to say: no review
