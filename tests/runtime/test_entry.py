"""The entry point: flags and env, masking first, exceptions -> exit codes in one place."""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

from shipyard.runtime import (
    ActionContext,
    ActionSpec,
    Duration,
    ExitCode,
    ExternalError,
    InputError,
    Outcome,
    Output,
    Runner,
    Secret,
    VerdictFailure,
    run_action,
    setting,
)

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    mode: Literal["ok", "verdict", "external", "bug"] = setting("what to do", default="ok")
    count: int = setting("how many", default="2", minimum=1)
    wait: Duration = setting("how long", default="1m")
    items: list[str] = setting("things")
    strict: bool = setting("be strict", default="false")
    token: Secret = setting("a secret")
    needed: str = setting("must be there", required=True)


SPEC = ActionSpec(
    name="demo",
    title="demo action",
    description="for tests",
    settings=Settings,
    outputs=(Output("echo", "what was seen"),),
)


def action(ctx: ActionContext[Settings]) -> None:
    settings = ctx.settings
    ctx.runner.info(f"token={settings.token}")
    ctx.set_output(
        "echo",
        {
            "count": settings.count,
            "wait": settings.wait,
            "items": settings.items,
            "strict": settings.strict,
        },
    )
    ctx.summary.heading("Demo ran")
    if settings.mode == "verdict":
        raise VerdictFailure("the answer is no", title="Denied")
    if settings.mode == "external":
        raise ExternalError("registry down", hint="Try again later.")
    if settings.mode == "bug":
        raise ZeroDivisionError("oops")


def run(tmp_path: Path, argv: list[str], **env: str) -> tuple[int, str, Path]:
    out = io.StringIO()
    full_env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        **env,
    }
    code = run_action(SPEC, action, argv, env=full_env, runner=Runner(env=full_env, stream=out))
    return code, out.getvalue(), tmp_path / "summary.md"


def test_ok_with_flags_and_env(tmp_path: Path) -> None:
    code, log, summary = run(
        tmp_path,
        ["--needed", "x", "--items", "a, b\nc", "--wait", "90s"],
        SHIPYARD_INPUT_STRICT="True",
        SHIPYARD_INPUT_TOKEN="s3cr3t-value",
        SHIPYARD_INPUT_MODE="OK",
    )
    assert code == ExitCode.OK
    assert log.splitlines()[0] == "::add-mask::s3cr3t-value"
    assert "token=***" in log and "s3cr3t-value" not in log.split("\n", 1)[1]
    output = (tmp_path / "out").read_text()
    assert '{"count":2,"wait":90.0,"items":["a","b","c"],"strict":true}' in output
    assert "## Demo ran" in summary.read_text()


@pytest.mark.parametrize(
    ("argv", "env", "needle"),
    [
        ([], {}, "Input 'needed': is required but was not supplied"),
        (["--needed", "x", "--count", "0"], {}, "Input 'count': 0 is too small"),
        (["--needed", "x", "--strict", "yes"], {}, "Input 'strict': 'yes' is not a boolean"),
        (["--needed", "x", "--mode", "maybe"], {}, "Input 'mode': 'maybe' is not allowed"),
        (["--needed", "x"], {"SHIPYARD_INPUT_WAIT": "forever"}, "Input 'wait': 'forever'"),
    ],
)
def test_bad_input_exits_2_with_named_error(
    tmp_path: Path, argv: list[str], env: dict[str, str], needle: str
) -> None:
    code, log, summary = run(tmp_path, argv, **env)
    assert code == ExitCode.BAD_INPUT == 2
    error_line = next(line for line in log.splitlines() if line.startswith("::error"))
    assert error_line.startswith("::error title=Invalid input::")
    assert needle in error_line
    assert "Traceback" not in log
    assert "Invalid input" in summary.read_text()


def test_secret_on_the_command_line_is_refused(tmp_path: Path) -> None:
    code, log, _ = run(tmp_path, ["--needed", "x", "--token", "abc"])
    assert code == 2
    assert "Input 'token': is a secret and cannot be given on the command line" in log


def test_verdict_and_external_failures_map_to_1_and_3(tmp_path: Path) -> None:
    code, log, summary = run(tmp_path, ["--needed", "x", "--mode", "verdict"])
    assert code == ExitCode.FAILURE == 1
    assert "::error title=Denied::the answer is no" in log
    code, log, summary = run(tmp_path, ["--needed", "x", "--mode", "external"])
    assert code == ExitCode.EXTERNAL == 3
    text = summary.read_text()
    assert "registry down" in text and "**What to do:** Try again later." in text
    # what the action summarised before failing is kept
    assert "## Demo ran" in text


def test_a_bug_is_reported_as_internal_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, log, _ = run(tmp_path, ["--needed", "x", "--mode", "bug"])
    assert code == 1
    assert "::error title=Internal error::Unexpected ZeroDivisionError: oops" in log
    assert "Traceback" in capsys.readouterr().err


def test_help_lists_every_input_with_its_action_yml_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_action(SPEC, action, ["--help"], env={}) == 0
    text = capsys.readouterr().out
    for item in SPEC.inputs:
        assert f"--{item.name}" in text
    assert "secret: set SHIPYARD_INPUT_TOKEN" in text
    assert "default: 1m" in text


def test_outside_a_runner_outputs_and_summary_go_to_stdout(tmp_path: Path) -> None:
    out = io.StringIO()
    env = {"SHIPYARD_INPUT_TOKEN": "s3cr3t-value"}
    code = run_action(SPEC, action, ["--needed", "x"], env=env, runner=Runner(env=env, stream=out))
    assert code == 0
    text = out.getvalue()
    assert 'echo={"count":2' in text and "## Demo ran" in text
    # no ::add-mask:: on a terminal: it would print the secret; our output is redacted instead
    assert "s3cr3t-value" not in text and "token=***" in text


def test_summary_file_flag(tmp_path: Path) -> None:
    out = io.StringIO()
    target = tmp_path / "s.md"
    code = run_action(
        SPEC,
        action,
        ["--needed", "x", "--summary-file", str(target)],
        env={},
        runner=Runner(env={}, stream=out),
    )
    assert code == 0 and "## Demo ran" in target.read_text()


def test_undeclared_output_is_a_bug(tmp_path: Path) -> None:
    def bad(ctx: ActionContext[Settings]) -> None:
        ctx.set_output("nope", "x")

    out = io.StringIO()
    assert run_action(SPEC, bad, ["--needed", "x"], env={}, runner=Runner(env={}, stream=out)) == 1


def test_python_m_shipyard_lists_actions_and_bad_input_has_no_traceback() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    listing = subprocess.run(
        [sys.executable, "-m", "shipyard"], capture_output=True, text=True, env=env, check=True
    )
    assert "notify" in listing.stdout and "your-org/actions/notify@v1" in listing.stdout
    env.update(GITHUB_ACTIONS="true", SHIPYARD_INPUT_RETRIES="many")
    env.pop("GITHUB_OUTPUT", None)
    env.pop("GITHUB_STEP_SUMMARY", None)
    bad = subprocess.run(
        [sys.executable, "-m", "shipyard.notify"], capture_output=True, text=True, env=env
    )
    assert bad.returncode == 2
    assert (
        "::error title=Invalid input::Input 'retries': 'many' is not a whole number" in bad.stdout
    )
    assert "Traceback" not in bad.stdout + bad.stderr


def test_input_error_is_exit_2() -> None:
    assert InputError("x", "bad").exit_code == 2


def test_inputs_are_removed_from_the_process_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Tools the action starts must not inherit an input through the environment: every
    SHIPYARD_INPUT_*/INPUT_* is gone from os.environ and from ctx.env (hardening #1)."""
    seen: dict[str, str | None] = {}

    def probe(ctx: ActionContext[Settings]) -> None:
        seen["token"] = str(ctx.settings.token)
        seen["env"] = os.environ.get("SHIPYARD_INPUT_TOKEN")
        seen["act_env"] = os.environ.get("INPUT_TOKEN")
        seen["other"] = os.environ.get("SHIPYARD_INPUT_NEEDED")
        seen["ctx_env"] = ",".join(name for name in ctx.env if "INPUT_" in name) or None

    monkeypatch.setenv("SHIPYARD_INPUT_TOKEN", "tok-123")
    monkeypatch.setenv("INPUT_TOKEN", "tok-123")
    monkeypatch.setenv("SHIPYARD_INPUT_NEEDED", "x")
    assert run_action(SPEC, probe, []) == 0
    assert seen == {
        "token": "tok-123",
        "env": None,
        "act_env": None,
        "other": None,
        "ctx_env": None,
    }


def test_inputs_come_from_the_bootstraps_descriptor(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """scripts/bootstrap.sh passes the inputs on SHIPYARD_INPUTS_FD, not in the environment
    (hardening #17 item 5): read once (secrets masked), the variable gone, the descriptor closed."""
    read_end, write_end = os.pipe()
    os.write(write_end, b"SHIPYARD_INPUT_TOKEN=tok-fd-123\nSHIPYARD_INPUT_NEEDED=a\\nb\n")
    os.close(write_end)
    monkeypatch.setenv("SHIPYARD_INPUTS_FD", str(read_end))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    seen: dict[str, object] = {}

    def probe(ctx: ActionContext[Settings]) -> None:
        seen["inputs"] = (ctx.settings.token, ctx.settings.needed)
        seen["fd_variable"] = ("SHIPYARD_INPUTS_FD" in os.environ, "SHIPYARD_INPUTS_FD" in ctx.env)

    assert run_action(SPEC, probe, []) == 0
    assert seen == {"inputs": ("tok-fd-123", "a\nb"), "fd_variable": (False, False)}
    assert "::add-mask::tok-fd-123" in capsys.readouterr().out
    with pytest.raises(OSError):
        os.fstat(read_end)


def test_an_unreadable_inputs_descriptor_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    env = {"SHIPYARD_INPUTS_FD": "not-a-number", "GITHUB_ACTIONS": "true"}
    assert run_action(SPEC, lambda ctx: None, [], env=env) == 2
    assert "SHIPYARD_INPUTS_FD='not-a-number' names no readable file descriptor" in (
        capsys.readouterr().out
    )


def test_a_bug_traceback_is_redacted_of_secrets_and_secret_urls(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Hardening #8 item 7: an uncaught error whose message holds a URL with a token (query
    string, userinfo) and a masked secret prints neither, in the traceback or the annotation."""

    def boom(ctx: ActionContext[Settings]) -> None:
        raise ValueError(
            f"cannot open http://127.0.0.1:99999/h?token=QUERYSECRET and "
            f"https://user:USERINFOSECRET@example.com/x with {ctx.settings.token}"
        )

    env = {"SHIPYARD_INPUT_NEEDED": "x", "SHIPYARD_INPUT_TOKEN": "MASKEDSECRET"}
    out = io.StringIO()
    code = run_action(SPEC, boom, [], env=env, runner=Runner(env=env, stream=out))
    captured = capsys.readouterr()
    assert code == 1
    everything = out.getvalue() + captured.err + captured.out
    assert "Traceback" in captured.err and "ValueError" in captured.err
    for secret in ("QUERYSECRET", "USERINFOSECRET", "MASKEDSECRET"):
        assert secret not in everything
    assert "http://127.0.0.1:99999/h?***" in captured.err
    assert "https://***@example.com/x" in captured.err


def test_cleanup_runs_on_failure_and_success() -> None:
    ran: list[str] = []

    def action_ok(ctx: ActionContext[Settings]) -> None:
        ctx.cleanup.push(lambda: ran.append("first"), "first")
        ctx.cleanup.push(lambda: ran.append("second"), "second")

    def action_fails(ctx: ActionContext[Settings]) -> None:
        ctx.cleanup.push(lambda: ran.append("on failure"), "x")
        raise VerdictFailure("no")

    env = {"SHIPYARD_INPUT_NEEDED": "x"}
    assert (
        run_action(SPEC, action_ok, [], env=env, runner=Runner(env=env, stream=io.StringIO())) == 0
    )
    assert ran == ["second", "first"]
    assert (
        run_action(SPEC, action_fails, [], env=env, runner=Runner(env=env, stream=io.StringIO()))
        == 1
    )
    assert ran[-1] == "on failure"


def test_a_run_that_returns_an_exit_code_is_a_bug(capsys: pytest.CaptureFixture[str]) -> None:
    """Runtime 1 let ``run`` return an int; now a failure is raised, and a returned code (even
    3, or 0) is an internal error, never read as the step's exit code."""
    env = {"SHIPYARD_INPUT_NEEDED": "x", "GITHUB_ACTIONS": "true"}
    for returned in (3, 0):
        out = io.StringIO()
        code = run_action(
            SPEC, lambda ctx, r=returned: r, [], env=env, runner=Runner(env=env, stream=out)
        )
        assert code == ExitCode.FAILURE
        said = f"::error title=Internal error::Unexpected TypeError: run returned int {returned}"
        assert said in out.getvalue()
    assert "return an Outcome or None" in capsys.readouterr().err


def test_an_outcome_or_none_is_success() -> None:
    env = {"SHIPYARD_INPUT_NEEDED": "x"}
    for result in (Outcome("done"), None):
        runner = Runner(env=env, stream=io.StringIO())
        assert run_action(SPEC, lambda ctx, r=result: r, [], env=env, runner=runner) == 0


def test_the_runtime_1_api_is_gone() -> None:
    """Inputs, parse_inputs, load_inputs, ctx.inputs, ctx.github and GitHubContext: retired."""
    import shipyard.runtime as runtime
    from shipyard.runtime import entry, inputs

    for name in ("Inputs", "GitHubContext"):
        assert not hasattr(runtime, name)
    assert not hasattr(entry, "parse_inputs") and not hasattr(entry, "load_inputs")
    assert not hasattr(inputs, "Inputs")
    fields = {f.name for f in dataclasses.fields(ActionContext)}
    assert "inputs" not in fields and not hasattr(ActionContext, "github")
    with pytest.raises(TypeError):
        ActionSpec(name="x", title="x", description="x", inputs=())  # type: ignore[call-arg]


def test_a_boolean_input_given_as_a_bare_flag_is_true(tmp_path: Path) -> None:
    """``--strict`` alone means ``--strict true``; other kinds still need a value."""
    code, _, _ = run(tmp_path, ["--strict", "--needed", "x"])
    assert code == 0
    assert '"strict":true' in (tmp_path / "out").read_text()
    assert run_action(SPEC, action, ["--needed", "x", "--count"], env={}) == 2
