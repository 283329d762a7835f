"""Workflow commands and file commands behave as @actions/core's."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path

import pytest

from shipyard.runtime import Runner, escape_data, escape_property, file_command_entry
from shipyard.runtime.commands import format_command, secret_fragments
from tests.action_run import parse_file_commands


def runner(tmp_path: Path, **extra: str) -> tuple[Runner, io.StringIO]:
    out = io.StringIO()
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_ENV": str(tmp_path / "env"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        **extra,
    }
    return Runner(env=env, stream=out), out


def test_escape_data_and_property_match_actions_core() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    # data keeps ':' and ',' as they are
    assert escape_data("a:b,c") == "a:b,c"


def test_annotation_properties_in_order_and_escaped(tmp_path: Path) -> None:
    run, out = runner(tmp_path)
    run.annotate(
        "error",
        "bad\nthing 100%",
        title="T: x, y",
        file="src/a.py",
        line=3,
        end_line=4,
        col=2,
        end_column=9,
    )
    assert out.getvalue().strip() == (
        "::error title=T%3A x%2C y,file=src/a.py,line=3,endLine=4,col=2,endColumn=9"
        "::bad%0Athing 100%25"
    )


def test_annotation_without_properties(tmp_path: Path) -> None:
    run, out = runner(tmp_path)
    run.annotate("notice", "hello")
    run.annotate("warning", "w", line=None, title="")
    assert out.getvalue().splitlines() == ["::notice::hello", "::warning::w"]


def test_outside_a_runner_annotations_are_readable() -> None:
    out = io.StringIO()
    Runner(env={}, stream=out).annotate("warning", "slow", title="Timing", file="a.py", line=2)
    assert out.getvalue() == "warning: a.py:2: Timing: slow\n"


def test_outputs_use_a_random_delimiter_and_round_trip(tmp_path: Path) -> None:
    run, _ = runner(tmp_path)
    run.set_output("multi", "line one\nline two")
    run.set_output("plain", "x")
    text = (tmp_path / "output").read_text()
    delimiters = re.findall(r"<<(ghadelimiter_[0-9a-f-]+)\n", text)
    assert len(delimiters) == 2 and delimiters[0] != delimiters[1]
    uuid.UUID(delimiters[0].removeprefix("ghadelimiter_"))
    assert parse_file_commands(text) == {"multi": "line one\nline two", "plain": "x"}


def test_a_value_forging_an_entry_stays_one_value(tmp_path: Path) -> None:
    run, _ = runner(tmp_path)
    forged = "innocent\nEOF\nadmin<<EOF\ntrue\nEOF"
    run.set_output("name", forged)
    assert parse_file_commands((tmp_path / "output").read_text()) == {"name": forged}


def test_a_value_containing_the_delimiter_is_refused() -> None:
    delimiter = f"ghadelimiter_{uuid.uuid4()}"
    with pytest.raises(ValueError, match="value should not contain the delimiter"):
        file_command_entry("k", f"a\n{delimiter}\nb", delimiter)
    with pytest.raises(ValueError, match="name should not contain the delimiter"):
        file_command_entry(f"k{delimiter}", "v", delimiter)


def test_outside_a_runner_outputs_go_to_stdout() -> None:
    out = io.StringIO()
    run = Runner(env={}, stream=out)
    run.set_output("digest", "sha256:abc")
    run.set_output("notes", "a\nb")
    assert out.getvalue() == "digest=sha256:abc\nnotes<<EOF\na\nb\nEOF\n"


def test_multiline_secret_masks_every_line(tmp_path: Path) -> None:
    run, out = runner(tmp_path)
    key = "-----BEGIN KEY-----\nAAAA%BBBB\n\n  CCCC  \n-----END KEY-----\n"
    run.mask(key)
    lines = out.getvalue().splitlines()
    assert lines[0] == "::add-mask::" + escape_data(key.strip())
    assert set(lines[1:]) == {
        "::add-mask::-----BEGIN KEY-----",
        "::add-mask::AAAA%25BBBB",
        "::add-mask::CCCC",
        "::add-mask::-----END KEY-----",
    }
    assert secret_fragments("one") == ["one"]


def test_masked_values_never_reach_our_own_output_summary_or_outputs(tmp_path: Path) -> None:
    run, out = runner(tmp_path)
    run.mask("hunter2")
    out.truncate(0)
    out.seek(0)
    run.info("password is hunter2")
    run.annotate("error", "login with hunter2 failed")
    run.set_output("leak", "x-hunter2-y")
    run.write_summary("| hunter2 |")
    assert "hunter2" not in out.getvalue()
    assert "hunter2" not in (tmp_path / "output").read_text()
    assert "hunter2" not in (tmp_path / "summary.md").read_text()
    assert "***" in (tmp_path / "summary.md").read_text()


def test_groups_close_even_on_error(tmp_path: Path) -> None:
    run, out = runner(tmp_path)
    with pytest.raises(RuntimeError), run.group("Build"):
        run.info("inside")
        raise RuntimeError("boom")
    assert out.getvalue().splitlines() == ["::group::Build", "inside", "::endgroup::"]


@pytest.mark.parametrize(
    ("value", "shown"), [("1", True), ("0", False), ("", False), ("true", False)]
)
def test_debug_only_with_runner_debug_1(tmp_path: Path, value: str, shown: bool) -> None:
    run, out = runner(tmp_path, RUNNER_DEBUG=value)
    run.debug("details")
    assert (out.getvalue() == "::debug::details\n") is shown


def test_format_command_skips_empty_properties() -> None:
    assert (
        format_command("warning", "m", {"file": "", "line": None, "col": 0}) == "::warning col=0::m"
    )


def _command_lines(text: str) -> list[str]:
    """Lines the runner would read as workflow commands outside a stop-commands fence."""
    commands: list[str] = []
    stopped: str | None = None
    for line in text.splitlines():
        trimmed = line.strip()
        if stopped is not None:
            if trimmed == f"::{stopped}::":
                stopped = None
            continue
        if trimmed.startswith("::stop-commands::"):
            stopped = trimmed.removeprefix("::stop-commands::")
            continue
        if trimmed.startswith("::"):
            commands.append(trimmed)
    return commands


def test_external_text_cannot_issue_workflow_commands() -> None:
    """Hardening #8 item 4: a hostile SMTP reply or Slack answer printed to the log."""
    reply = "451 try later\n::set-output name=x::forged\n  ::warning::fake\r::add-mask::ts"
    out = io.StringIO()
    run = Runner(env={"GITHUB_ACTIONS": "true"}, stream=out)
    run.info(f"smtp: {reply}")
    run.untrusted(reply)
    assert _command_lines(out.getvalue()) == []
    assert "forged" in out.getvalue()  # still shown, just harmless


def test_untrusted_is_fenced_with_a_fresh_token() -> None:
    out = io.StringIO()
    run = Runner(env={"GITHUB_ACTIONS": "true"}, stream=out)
    run.untrusted("::error::x")
    run.untrusted("::error::y")
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("::stop-commands::") and lines[1] == "::error::x"
    token = lines[0].removeprefix("::stop-commands::")
    assert len(token) >= 32 and lines[2] == f"::{token}::"
    assert lines[3] != lines[0]  # a new token each time


def test_neutralize_keeps_one_line_and_no_command() -> None:
    from shipyard.runtime import neutralize

    assert neutralize("::set-output name=a::b") == "| ::set-output name=a::b"
    assert neutralize("ok\n::warning::x") == "ok ::warning::x"
    assert neutralize("plain") == "plain"


def test_redact_urls() -> None:
    from shipyard.runtime import redact_urls

    text = "see https://u:p@h.example/a?b=c#f and http://x/y"
    assert redact_urls(text) == "see https://***@h.example/a?***#f and http://x/y"


def test_an_output_the_action_makes_itself_can_be_written_unredacted(tmp_path: Path) -> None:
    """A status compared by a later step's `if:` must not become 'f***ed' because some env
    value happened to be 'aile' (redact=False); the default still redacts."""
    run, _out = runner(tmp_path)
    run.mask("aile")
    run.set_output("status", "failed", redact=False)
    run.set_output("note", "failed")
    written = (tmp_path / "output").read_text()
    assert "\nfailed\n" in written and "\nf***d\n" in written
