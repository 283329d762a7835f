"""Tests of the act harness itself, with throw-away actions laid out like this repository."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.e2e.act import (
    ActError,
    ActHarness,
    ActionNotFound,
    ActRun,
    ActRunFailed,
    ActTimeout,
    mask,
    mask_values,
    parse_workflow_command,
    unresolvable_uses,
)

HELLO_ACTION = """\
name: hello
description: Greets, writes a summary and annotations, fails on request.
inputs:
  who: {description: whom to greet, default: world}
  fail: {description: exit 3 when true, default: "false"}
  mask: {description: a value to mask, default: ""}
  token: {description: a secret, default: ""}
outputs:
  greeting: {description: the greeting, value: "${{ steps.run.outputs.greeting }}"}
  tool-cache: {description: RUNNER_TOOL_CACHE, value: "${{ steps.run.outputs.tool-cache }}"}
  token-sha: {description: sha256 of the token, value: "${{ steps.run.outputs.token-sha }}"}
runs:
  using: composite
  steps:
    - id: run
      shell: bash
      env:
        HELLO_WHO: ${{ inputs.who }}
        HELLO_FAIL: ${{ inputs.fail }}
        HELLO_MASK: ${{ inputs.mask }}
        HELLO_TOKEN: ${{ inputs.token }}
      run: '"${GITHUB_ACTION_PATH}/../scripts/bootstrap.sh" hello'
"""

BOOTSTRAP = r"""#!/usr/bin/env bash
set -euo pipefail
delim="ghadelimiter_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
{
  echo "greeting<<${delim}"
  echo "Hello, ${HELLO_WHO}!"
  echo "second line"
  echo "${delim}"
  echo "tool-cache=${RUNNER_TOOL_CACHE}"
} >> "$GITHUB_OUTPUT"
{ echo "### hello ${HELLO_WHO} ($1)"; echo; echo "| a | b |"; } >> "$GITHUB_STEP_SUMMARY"
echo "::warning file=a.py,line=3::msg%0Aline2"
echo "::error title=Bad%2C really,file=src/x.py,line=7,col=2::50%25 done"
if [ -n "${HELLO_MASK}" ]; then
  echo "::add-mask::${HELLO_MASK}"
  echo "the value is ${HELLO_MASK}"
fi
if [ -n "${HELLO_TOKEN}" ]; then
  echo "token: ${HELLO_TOKEN}"
  echo "token-sha=$(printf '%s' "${HELLO_TOKEN}" | sha256sum | cut -d' ' -f1)" >> "$GITHUB_OUTPUT"
fi
echo "to stderr" >&2
if [ "${HELLO_FAIL}" = "true" ]; then
  echo "failing as asked"
  # act can lose the plain output lines of a step whose process exits at once (seen in CI:
  # its ::warning/::error commands kept, "failing as asked" missing from act's JSON log)
  sleep 1
  exit 3
fi
"""

MULTI_ACTION = """\
name: multi
description: Two inner steps, each with a summary.
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "part one" >> "$GITHUB_STEP_SUMMARY"
    - shell: bash
      run: echo "part two" >> "$GITHUB_STEP_SUMMARY"
"""

REUSABLE = """\
on:
  workflow_call:
    inputs:
      who: {type: string, required: true}
    outputs:
      greeting: {value: "${{ jobs.r.outputs.greeting }}"}
jobs:
  r:
    runs-on: ubuntu-latest
    outputs:
      greeting: ${{ steps.h.outputs.greeting }}
    steps:
      - id: h
        uses: your-org/actions/hello@v1
        with: {who: "${{ inputs.who }}"}
"""

MAIN_WORKFLOW = """\
on: push
jobs:
  one:
    runs-on: ubuntu-latest
    outputs:
      greeting: ${{ steps.hello.outputs.greeting }}
    steps:
      - uses: actions/checkout@v4
      - id: ctx
        run: |
          {
            echo "repo=$GITHUB_REPOSITORY"
            echo "sha=$GITHUB_SHA"
            echo "ref=$GITHUB_REF"
            echo "workflow-file=$(test -f .github/workflows/workflow.yml && echo present)"
          } >> "$GITHUB_OUTPUT"
      - id: hello
        uses: your-org/actions/hello@v1
        with:
          who: bob
          mask: hide-me-123
          token: ${{ secrets.API_TOKEN }}
      - id: fails
        uses: your-org/actions/hello@v1
        continue-on-error: true
        with: {who: eve, fail: "true"}
      - id: after
        run: |
          echo "outcome=${{ steps.fails.outcome }}" >> "$GITHUB_OUTPUT"
          echo "conclusion=${{ steps.fails.conclusion }}" >> "$GITHUB_OUTPUT"
          echo "key is ${{ secrets.SSH_KEY }}"
      - id: never
        if: ${{ false }}
        run: echo never
  two:
    needs: one
    runs-on: ubuntu-latest
    steps:
      - id: got
        env:
          GREETING: ${{ needs.one.outputs.greeting }}
        run: |
          echo "got: $GREETING"
          { echo "greeting<<EOF"; echo "$GREETING"; echo "EOF"; } >> "$GITHUB_OUTPUT"
"""

API_TOKEN = 'tok "quoted" $HOME #not-a-comment \\back'
SSH_KEY = "-----BEGIN KEY-----\nline-two-abcdef\n-----END KEY-----"


@pytest.fixture(scope="module")
def actions_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder laid out like this repo: <action>/action.yml, scripts/, .github/workflows/."""
    root = tmp_path_factory.mktemp("actions")
    (root / "hello").mkdir()
    (root / "hello" / "action.yml").write_text(HELLO_ACTION)
    (root / "multi").mkdir()
    (root / "multi" / "action.yml").write_text(MULTI_ACTION)
    (root / "scripts").mkdir()
    bootstrap = root / "scripts" / "bootstrap.sh"
    bootstrap.write_text(BOOTSTRAP)
    bootstrap.chmod(0o755)
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "reusable.yml").write_text(REUSABLE)
    return root


@pytest.fixture(scope="module")
def harness(
    act_harness: ActHarness, tmp_path_factory: pytest.TempPathFactory, actions_repo: Path
) -> ActHarness:
    """The session harness, resolving your-org/actions@v1 to the throw-away actions."""
    module_harness = act_harness.with_workdir(tmp_path_factory.mktemp("act-harness"))
    module_harness.actions_repo = actions_repo
    return module_harness


@pytest.fixture(scope="module")
def main_run(harness: ActHarness) -> ActRun:
    return harness(MAIN_WORKFLOW, secrets={"API_TOKEN": API_TOKEN, "SSH_KEY": SSH_KEY})


# ------------------------------------------------------------------------------ one full run


def test_jobs_and_results(main_run: ActRun) -> None:
    assert main_run.ok, main_run.describe()
    assert set(main_run.jobs) == {"one", "two"}
    assert main_run.job("one").result == "success"
    assert main_run.event == "push"


def test_caller_repository_context_and_checkout(main_run: ActRun) -> None:
    ctx = main_run.step("one", "ctx").outputs
    assert ctx["repo"] == "your-org/app"
    assert ctx["sha"] == main_run.sha
    assert ctx["ref"] == "refs/heads/main"
    assert ctx["workflow-file"] == "present"


def test_action_outputs_with_heredoc(main_run: ActRun, harness: ActHarness) -> None:
    hello = main_run.step("one", "hello")
    assert hello.outcome == "success"
    assert hello.conclusion == "success"
    assert hello.outputs["greeting"] == "Hello, bob!\nsecond line"
    assert hello.outputs["tool-cache"] == str(harness.tool_cache)
    inner = main_run.step("one", "hello/run")
    assert inner.parent == "hello"
    assert inner.outputs["greeting"] == "Hello, bob!\nsecond line"
    assert "to stderr" in inner.log
    assert "to stderr" in hello.log  # the action's step shows its inner steps' output


def test_summary_captured(main_run: ActRun) -> None:
    hello = main_run.step("one", "hello")
    assert hello.summary == "### hello bob (hello)\n\n| a | b |\n"
    assert main_run.step("one", "hello/run").summary == hello.summary
    # the failed step's summary is kept too, and the job's summary joins them in order
    assert "### hello eve" in main_run.step("one", "fails").summary
    assert main_run.job("one").summary == hello.summary + main_run.step("one", "fails").summary


def test_annotations_parsed_and_unescaped(main_run: ActRun) -> None:
    annotations = main_run.step("one", "hello/run").annotations
    warning, error = annotations
    assert (warning.level, warning.file, warning.line) == ("warning", "a.py", 3)
    assert warning.message == "msg\nline2"
    assert warning.raw == "::warning file=a.py,line=3::msg%0Aline2"
    assert (error.level, error.title, error.file, error.line, error.col) == (
        "error",
        "Bad, really",
        "src/x.py",
        7,
        2,
    )
    assert error.message == "50% done"
    assert main_run.step("one", "hello").annotations == annotations
    assert {a.step for a in main_run.job("one").annotations} == {"hello/run", "fails/run"}
    # annotations are not echoed as log lines
    assert not any(line.startswith("::") for line in main_run.step("one", "hello/run").log)


def test_add_mask(main_run: ActRun) -> None:
    assert "hide-me-123" in main_run.masks
    assert main_run.step("one", "hello/run").masks == ["hide-me-123"]
    assert "the value is ***" in main_run.step("one", "hello/run").log
    assert "hide-me-123" not in main_run.text


def test_secrets_passed_and_masked(main_run: ActRun) -> None:
    expected = hashlib.sha256(API_TOKEN.encode()).hexdigest()
    assert main_run.step("one", "hello").outputs["token-sha"] == expected
    assert "token: ***" in main_run.step("one", "hello/run").log
    # multi-line secrets: act masks none of it, the harness masks every line like GitHub
    assert "key is ***" in main_run.step("one", "after").log
    for value in (API_TOKEN, "line-two-abcdef", "-----BEGIN KEY-----"):
        assert value not in main_run.text
    assert not any(API_TOKEN in arg or "line-two" in arg for arg in main_run.argv)
    secret_file = next(Path(a) for a in main_run.argv if a.endswith("/secret"))
    assert secret_file.stat().st_mode & 0o777 == 0o600


def test_continue_on_error(main_run: ActRun) -> None:
    fails = main_run.step("one", "fails")
    assert (fails.outcome, fails.conclusion) == ("failure", "success")
    assert fails.continue_on_error
    assert main_run.step("one", "fails/run").outcome == "failure"
    assert "failing as asked" in main_run.step("one", "fails/run").log
    assert main_run.step("one", "after").outputs == {"outcome": "failure", "conclusion": "success"}


def test_skipped_step(main_run: ActRun) -> None:
    assert main_run.step("one", "never").outcome == "skipped"


def test_job_uses_needs_outputs(main_run: ActRun) -> None:
    got = main_run.step("two", "got")
    assert got.outputs["greeting"] == "Hello, bob!\nsecond line"
    assert "got: Hello, bob!" in main_run.job("two").text


# ------------------------------------------------------------------------------ other runs


def test_composite_summary_matrix_and_reusable_workflow(harness: ActHarness) -> None:
    run = harness(
        """\
name: Mixed
on: push
jobs:
  multi:
    runs-on: ubuntu-latest
    steps:
      - id: m
        uses: your-org/actions/multi@v1
      - run: echo "plain" >> "$GITHUB_STEP_SUMMARY"
  mx:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        py: ["3.10", "3.12"]
    steps:
      - run: echo "py ${{ matrix.py }}"
  call:
    uses: your-org/actions/.github/workflows/reusable.yml@v1
    with: {who: carol}
  named:
    name: Greet dave
    uses: your-org/actions/.github/workflows/reusable.yml@v1
    with: {who: dave}
""",
        check=True,
    )
    assert run.step("multi", "m").summary == "part one\npart two\n"
    assert run.job("multi").summary == "part one\npart two\nplain\n"
    assert run.job("mx (3.10)").matrix == {"py": "3.10"}
    assert "py 3.12" in run.job("mx (3.12)").text
    assert run.step("call/r", "h").outputs["greeting"] == "Hello, carol!\nsecond line"
    assert run.job("call").result == "success"
    # act names the jobs of a called workflow after the caller job's name, when it has one
    assert run.step("Greet dave/r", "h").outputs["greeting"].startswith("Hello, dave!")
    assert run.job("named").result == "success"


def test_failure_is_reported(harness: ActHarness) -> None:
    workflow = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - id: boom
        uses: your-org/actions/hello@v1
        with: {fail: "true"}
      - id: later
        run: echo later
      - id: cleanup
        if: always()
        run: echo "status=${{ job.status }}"
  deploy:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: echo deploy
"""
    run = harness(workflow)
    assert not run.ok
    assert run.returncode != 0
    assert run.job("build").result == "failure"
    assert run.job("deploy").result == "skipped"
    assert run.step("build", "boom").outcome == "failure"
    assert run.step("build", "later").outcome == "skipped"
    assert "status=failure" in run.step("build", "cleanup").log
    assert "### hello world" in run.step("build", "boom").summary  # summaries on failure too
    with pytest.raises(ActRunFailed, match="failing as asked"):
        run.raise_for_failure()
    with pytest.raises(ActRunFailed, match="step boom"):
        harness(workflow, check=True, job="build")


def test_workflow_dispatch_inputs_vars_env_and_tag(harness: ActHarness) -> None:
    run = harness(
        """\
on:
  workflow_dispatch:
    inputs:
      name: {type: string, required: true}
      flag: {type: boolean, default: false}
jobs:
  show:
    runs-on: ubuntu-latest
    steps:
      - id: s
        env:
          NAME: ${{ inputs.name }}
        run: |
          {
            echo "name=$NAME"
            echo "flag=${{ inputs.flag }}"
            echo "var=${{ vars.REGION }}"
            echo "env=$GLOBAL"
            echo "ref=$GITHUB_REF"
            echo "event-ref=${{ github.event.ref }}"
            echo "actor=$GITHUB_ACTOR"
            echo "event=$GITHUB_EVENT_NAME"
          } >> "$GITHUB_OUTPUT"
  other:
    runs-on: ubuntu-latest
    steps:
      - run: echo other
""",
        event="workflow_dispatch",
        inputs={"name": "a b $c", "flag": True},
        vars={"REGION": "eu-west"},
        env={"GLOBAL": "from env"},
        ref="refs/tags/v1.2.3",
        job="show",
        check=True,
    )
    assert set(run.jobs) == {"show"}
    assert run.step("show", "s").outputs == {
        "name": "a b $c",
        "flag": "true",
        "var": "eu-west",
        "env": "from env",
        "ref": "refs/tags/v1.2.3",
        "event-ref": "refs/tags/v1.2.3",
        "actor": "octocat",
        "event": "workflow_dispatch",
    }


def test_workflow_call_inputs(harness: ActHarness) -> None:
    run = harness(
        """\
on:
  workflow_call:
    inputs:
      who: {type: string, required: true}
      count: {type: number, default: 1}
      loud: {type: boolean, default: true}
jobs:
  r:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ inputs.who }} ${{ inputs.count }} ${{ inputs.loud }} ${{ !inputs.loud }}"
""",
        inputs={"who": "dave", "count": 3, "loud": False},
        check=True,
    )
    assert run.event == "workflow_call"
    assert run.job("r").text == "dave 3 false true"


def test_tool_cache_is_shared_between_runs(harness: ActHarness) -> None:
    write = harness(
        "on: push\njobs:\n  w:\n    runs-on: ubuntu-latest\n    steps:\n"
        '      - run: echo "$GITHUB_SHA" > "$RUNNER_TOOL_CACHE/harness-marker"\n',
        check=True,
    )
    read = harness(
        "on: push\njobs:\n  r:\n    runs-on: ubuntu-latest\n    steps:\n"
        '      - run: cat "$RUNNER_TOOL_CACHE/harness-marker"\n',
        check=True,
    )
    assert read.job("r").text == write.sha
    assert (harness.tool_cache / "harness-marker").exists()
    leftovers = [p.name for p in harness.cache_dir.iterdir() if p.name != "tool_cache"]
    assert leftovers == []


def test_remote_action_is_refused_before_running(harness: ActHarness) -> None:
    with pytest.raises(ActionNotFound, match="some-org/missing@v1"):
        harness(
            "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: some-org/missing@v1\n"
        )


def test_missing_local_action_is_a_clear_error(harness: ActHarness) -> None:
    with pytest.raises(ActionNotFound, match="nope"):
        harness(
            "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: your-org/actions/nope@v1\n"
        )


@pytest.mark.parametrize(
    ("runs_on", "step", "match"),
    [
        ("ubuntu-latest", "run: echo ${{ nope( }}", "workflow is not valid"),
        ("windows-latest", "run: echo hi", "runs-on has no host label"),
    ],
)
def test_act_errors_raise(harness: ActHarness, runs_on: str, step: str, match: str) -> None:
    with pytest.raises(ActError, match=match):
        harness(f"on: push\njobs:\n  a:\n    runs-on: {runs_on}\n    steps:\n      - {step}\n")


def _processes_running(marker: str) -> list[int]:
    """Pids whose command line holds ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_timeout_kills_act(harness: ActHarness) -> None:
    marker = "120.25"  # a sleep no other test starts: its process must be gone afterwards
    with pytest.raises(ActTimeout, match="did not finish"):
        harness(
            "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
            f"      - run: echo started; sleep {marker}\n",
            timeout=2,
        )
    # act and the step it ran were stopped (the whole process group), not left running
    assert _processes_running(f"sleep {marker}") == []


# ------------------------------------------------------------------------------ no act needed


@pytest.mark.parametrize(
    ("line", "command", "properties", "data"),
    [
        (
            "::warning file=a.py,line=3::msg%0Aline2",
            "warning",
            {"file": "a.py", "line": "3"},
            "msg\nline2",
        ),
        (
            "::warning file=a%2Cb.py,title=x%3Ay%25z::d%25a%0Db::c\n",
            "warning",
            {"file": "a,b.py", "title": "x:y%z"},
            "d%a\rb::c",
        ),
        ("::notice title=::data", "notice", {}, "data"),
        ("::error::", "error", {}, ""),
        ("  ::debug::indented", "debug", {}, "indented"),
        ("::add-mask::s3cret", "add-mask", {}, "s3cret"),
    ],
)
def test_parse_workflow_command(
    line: str, command: str, properties: dict[str, str], data: str
) -> None:
    parsed = parse_workflow_command(line)
    assert parsed is not None
    assert (parsed.command, dict(parsed.properties), parsed.data) == (command, properties, data)


@pytest.mark.parametrize("line", ["plain text", "x ::notice::not first", "::no-end", ":: ::x"])
def test_not_a_workflow_command(line: str) -> None:
    assert parse_workflow_command(line) is None


def test_mask_values_and_mask() -> None:
    values = mask_values(["one\r\ntwo\n", "", "whole"])
    assert values == {"one\r\ntwo\n", "one", "two", "whole"}
    assert mask("one whole two x", values) == "*** *** *** x"


def test_unresolvable_uses() -> None:
    doc = {
        "jobs": {
            "a": {
                "steps": [
                    {"uses": "actions/checkout@v4"},
                    {"uses": "actions/checkout@v4", "with": {"repository": "other/repo"}},
                    {"uses": "your-org/actions/notify@v1"},
                    {"uses": "./local"},
                    {"id": "py", "uses": "actions/setup-python@v5"},
                ]
            },
            "b": {"uses": "your-org/actions/.github/workflows/x.yml@v1"},
        }
    }
    problems = unresolvable_uses(doc, ["your-org/actions@v1"], "your-org/app")
    assert len(problems) == 2
    assert "another repository" in problems[0]
    assert "actions/setup-python@v5" in problems[1]
