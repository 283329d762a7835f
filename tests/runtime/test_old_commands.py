"""Issue 17 item 10: the runner also honours the old ``##[name]data`` command form, anywhere
in a line (actions/runner ``ActionCommand.TryParse``, tried after ``TryParseV2``). Every path
that prints external text must make both forms inert. The neutralize, info, traceback and
off-runner tests failed on 3824f64; the fence tests show that ``::stop-commands::`` stops the
old form too (the runner parses both forms before it checks whether commands are stopped)."""

from __future__ import annotations

import io
import sys

import pytest

from shipyard.runtime import ActionContext, ActionSpec, Runner, neutralize, run_action
from shipyard.runtime.process import run_process
from tests.runner_commands import REGISTERED, issued, issued_commands, parse_old, parse_v2

PY = sys.executable
SPEC = ActionSpec(name="old-commands", title="old commands", description="##[ test")

#: Each line issues a command when printed as it is (checked below, so the tests can fail).
HOSTILE = [
    "##[add-mask]hunter2",
    "pip: ##[set-output name=leak;]forged",
    "  ##[error]fake error",
    "ok ##[warning file=a.py;line=1;]fake ##[error]two",
    "##[ADD-MASK]upper case",
    "###[error]three hashes",
    "x ##[error]y ##[warning]z",
    "##[stop-commands]tok",
    "::not-a-command::##[add-mask]after a failed new form",
    "::set-output name=x::new form",
    "\u00a0::error::after a no-break space",
    "\u3000::warning::after an ideographic space",
    "\t::ERROR::tab and upper case",
]


@pytest.mark.parametrize("line", HOSTILE)
def test_each_hostile_line_is_a_command_as_it_is(line: str) -> None:
    assert parse_v2(line, set(REGISTERED)) or parse_old(line, set(REGISTERED)), line


@pytest.mark.parametrize("line", HOSTILE)
def test_neutralize_makes_both_forms_inert_and_keeps_the_text(line: str) -> None:
    safe = neutralize(line)
    assert issued(safe) == []
    assert "\n" not in safe and "\r" not in safe
    assert line.replace("##[", "## [").strip() in safe


def test_neutralize_leaves_ordinary_text_alone() -> None:
    for text in ("plain", "a::b", "C# [x] and #[y]", "## [z]", "time 12:30"):
        assert neutralize(text) == text


def on_runner() -> tuple[Runner, io.StringIO]:
    out = io.StringIO()
    return Runner(env={"GITHUB_ACTIONS": "true"}, stream=out), out


def test_info_never_issues_a_command() -> None:
    runner, out = on_runner()
    for line in HOSTILE:
        runner.info(f"smtp: {line}")
        runner.info(line)
    runner.info("several\n" + "\r\n".join(HOSTILE))
    assert issued(out.getvalue()) == []
    assert "hunter2" in out.getvalue()  # shown, just inert


def test_untrusted_text_is_fenced_on_a_runner_and_neutralized_off_one() -> None:
    runner, out = on_runner()
    runner.untrusted("\n".join(HOSTILE))
    assert issued(out.getvalue()) == []  # stop-commands stops the old form as well
    assert "##[add-mask]hunter2" in out.getvalue()  # inside the fence, kept as it is
    plain = io.StringIO()
    Runner(env={}, stream=plain).untrusted("\n".join(HOSTILE))
    assert issued(plain.getvalue()) == []


def test_a_childs_old_form_commands_are_fenced() -> None:
    runner, out = on_runner()
    script = "import sys; print(sys.argv[1])"
    result = run_process([PY, "-c", script, "\n".join(HOSTILE)], runner=runner, group="child")
    assert result.ok
    assert issued(out.getvalue()) == ["group", "endgroup"]


def test_annotations_carry_old_form_text_as_their_message() -> None:
    runner, out = on_runner()
    runner.annotate("error", "tool said ##[add-mask]x", title="##[warning]t")
    (command,) = issued_commands(out.getvalue())
    assert command.name == "error" and command.data == "tool said ##[add-mask]x"


def test_a_traceback_quoting_external_text_is_inert(capsys: pytest.CaptureFixture[str]) -> None:
    def run(ctx: ActionContext) -> None:
        raise RuntimeError("server said:\n##[add-mask]x\n::error::forged")

    out = io.StringIO()
    env = {"GITHUB_ACTIONS": "true"}
    assert run_action(SPEC, run, [], env=env, runner=Runner(env=env, stream=out)) == 1
    stderr = capsys.readouterr().err
    assert "Traceback" in stderr and "## [add-mask]x" in stderr
    assert issued(stderr) == []
    # the runtime's own "Internal error"; the summary (printed: no summary file) is inert
    assert issued(out.getvalue()) == ["error"]
    assert "internal error" in out.getvalue()
