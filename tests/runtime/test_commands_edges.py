"""The edges of workflow commands, masking and the annotation budget that the mutation run
(scripts/mutation.py) found unpinned: which characters before ``::`` still make a command,
line ends, the delimiter's UUID, redaction of overlapping secrets, the plain output outside a
runner, file commands written as UTF-8 whatever the locale, and the budget's off-by-ones."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

import shipyard
from shipyard.runtime import Runner, commands
from shipyard.runtime.commands import (
    AnnotationBudget,
    file_command_entry,
    hidden_annotations_line,
    neutralize,
    neutralize_lines,
    stop_commands_token,
)


def plain(**env: str) -> tuple[Runner, io.StringIO]:
    """A runner outside GitHub Actions (no GITHUB_ACTIONS): plain output."""
    out = io.StringIO()
    return Runner(env=env, stream=out), out


def on_runner(**env: str) -> tuple[Runner, io.StringIO]:
    out = io.StringIO()
    return Runner(env={"GITHUB_ACTIONS": "true", **env}, stream=out), out


# --- neutralizing external text -------------------------------------------------------------


@pytest.mark.parametrize(
    "blank",
    ["\x00", "\x1b", "\u200b", "\ufeff", " \t", "\u2003"],  # Cc, Cc, Cf, Cf, spaces, em space
)
def test_a_command_after_blank_control_or_format_characters_is_made_inert(blank: str) -> None:
    line = f"{blank}::add-mask::x"
    assert neutralize(line) == "| " + line


def test_text_before_the_colons_is_no_command() -> None:
    assert neutralize("a::b") == "a::b"
    assert neutralize("  ") == "  "


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\r\nb", "a b"),
        ("a\rb", "a b"),
        ("a\nb", "a b"),
        ("a\r\n::warning::x", "a ::warning::x"),
        ("x ##[error]y", "x ## [error]y"),
    ],
)
def test_line_ends_become_one_space(text: str, expected: str) -> None:
    assert neutralize(text) == expected


def test_neutralize_lines_keeps_every_line() -> None:
    assert neutralize_lines("a\n::error::b\r\nc") == "a\n| ::error::b\nc"
    assert neutralize_lines("") == ""


def test_stop_commands_tokens_are_32_hex_characters_and_fresh() -> None:
    first, second = stop_commands_token(), stop_commands_token()
    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second


def test_untrusted_empty_text_is_one_empty_line_and_fence_can_be_forced() -> None:
    runner, out = plain()
    runner.untrusted("")
    assert out.getvalue() == "\n"
    runner.untrusted("::error::x", fence=True)
    lines = out.getvalue().splitlines()
    assert lines[1].startswith("::stop-commands::") and lines[2] == "::error::x"
    on, out_on = on_runner()
    on.untrusted("::error::x", fence=False)
    assert out_on.getvalue() == "| ::error::x\n"


# --- the delimiter of file commands ---------------------------------------------------------


def test_the_delimiter_is_a_version_4_uuid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commands.os, "urandom", lambda n: bytes(range(n)))
    entry = file_command_entry("name", "value")
    delimiter = "ghadelimiter_00010203-0405-4607-8809-0a0b0c0d0e0f"
    assert entry == f"name<<{delimiter}\nvalue\n{delimiter}\n"
    monkeypatch.setattr(commands.os, "urandom", lambda n: b"\xff" * n)
    assert "ghadelimiter_ffffffff-ffff-4fff-bfff-ffffffffffff" in file_command_entry("n", "v")


# --- masking and redaction ------------------------------------------------------------------


def test_the_longest_secret_is_redacted_first() -> None:
    runner, out = plain()
    runner.mask("b")
    runner.mask("abc")  # sorted by text, "b" would come first and leave "a***c"
    runner.write_line("token abc and b")
    assert out.getvalue() == "token *** and ***\n"


def test_a_secret_whose_first_line_is_masked_already_has_its_other_lines_masked() -> None:
    runner, out = on_runner()
    runner.mask("first")
    runner.mask("first\nsecond")
    assert out.getvalue().splitlines() == [
        "::add-mask::first",
        "::add-mask::first%0Asecond",
        "::add-mask::second",
    ]
    assert runner.masked == ["first", "first\nsecond", "second"]


# --- plain output outside a runner ----------------------------------------------------------


def test_info_writes_plain_text_as_it_is() -> None:
    runner, out = plain()
    runner.info("one\r\ntwo\n")
    assert out.getvalue() == "one\r\ntwo\n\n"


def test_debug_outside_a_runner_is_a_plain_line() -> None:
    runner, out = plain(RUNNER_DEBUG="1")
    runner.debug("detail")
    assert out.getvalue() == "debug: detail\n"


@pytest.mark.parametrize(
    ("kw", "line"),
    [
        ({}, "error: bad"),
        ({"title": "T"}, "error: T: bad"),
        ({"file": "a.py"}, "error: a.py: bad"),
        ({"file": "a.py", "line": 3}, "error: a.py:3: bad"),
        ({"file": "a.py", "col": 2}, "error: a.py: bad"),
        ({"file": "a.py", "line": 3, "col": 2, "title": "T"}, "error: a.py:3:2: T: bad"),
    ],
)
def test_annotations_outside_a_runner(kw: dict[str, object], line: str) -> None:
    runner, out = plain()
    runner.annotate("error", "bad", **kw)  # type: ignore[arg-type]
    assert out.getvalue() == line + "\n"


def test_an_output_written_to_github_output_is_not_printed(tmp_path: Path) -> None:
    runner, out = on_runner(GITHUB_OUTPUT=str(tmp_path / "out"))
    runner.set_output("name", "value")
    assert out.getvalue() == ""


def test_the_summary_file_falls_back_to_shipyard_summary_file(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    runner, out = plain(SHIPYARD_SUMMARY_FILE=str(path))
    assert runner.summary_path() == str(path)
    runner.write_summary("# one")
    runner.write_summary("two\n")
    assert path.read_text() == "# one\ntwo\n"
    assert out.getvalue() == ""
    assert plain()[0].summary_path() is None


def test_the_summary_without_a_file_goes_to_the_log() -> None:
    runner, out = plain()
    runner.write_summary("# one")
    runner.write_summary("two\n")
    assert out.getvalue() == "\n# one\n\ntwo\n"


def test_file_commands_are_utf8_whatever_the_locale(tmp_path: Path) -> None:
    # GitHub reads GITHUB_OUTPUT, GITHUB_ENV and the summary as UTF-8; a runner whose locale
    # is not (a C locale, Windows' cp1252) must still write UTF-8. The child starts in
    # C.UTF-8 (so its environment is read as UTF-8) without Python's UTF-8 mode, then
    # switches to the C locale: open() without an encoding would write ASCII.
    script = (
        "import locale, sys\n"
        "locale.setlocale(locale.LC_CTYPE, 'C')\n"
        "assert locale.getpreferredencoding(False).upper() not in ('UTF-8', 'UTF8')\n"
        "from shipyard.runtime import Runner\n"
        "r = Runner(env={'GITHUB_ACTIONS': 'true', 'GITHUB_OUTPUT': sys.argv[1],"
        " 'GITHUB_STEP_SUMMARY': sys.argv[2]})\n"
        "r.set_output('name', 'caf\\u00e9 \\u2713'); r.write_summary('na\\u00efve \\u2713')\n"
    )
    env = {**os.environ, "LC_ALL": "C.UTF-8", "PYTHONUTF8": "0"}
    env["PYTHONPATH"] = str(Path(shipyard.__file__).parent.parent)
    output, summary = tmp_path / "out", tmp_path / "summary.md"
    here = Runner(env={"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)})
    here.set_output("name", "café ✓")
    here.write_summary("naïve ✓")
    assert output.read_bytes().decode("utf-8").count("café ✓") == 1
    output.unlink()
    summary.unlink()
    result = subprocess.run(
        [sys.executable, "-c", script, str(output), str(summary)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-500:]
    assert "café ✓" in output.read_bytes().decode("utf-8")
    assert summary.read_bytes().decode("utf-8") == "naïve ✓\n"


# --- the annotation budget ------------------------------------------------------------------


def test_the_budget_counts_from_zero_and_stops_at_the_limit() -> None:
    budget = AnnotationBudget(limit=2, reserve=1)
    assert budget.room_for_findings("error") == 1
    assert [budget.take("error"), budget.take("error"), budget.take("error")] == [
        True,
        True,
        False,
    ]
    assert budget.shown == {"error": 2} and budget.hidden == {"error": 1}
    assert budget.room_for_findings("error") == 0
    assert budget.room_for_findings("warning") == 1
    single = AnnotationBudget(limit=1, reserve=0)
    assert [single.take("notice"), single.take("notice")] == [True, False]


def test_the_budget_summary_names_its_own_limit() -> None:
    budget = AnnotationBudget(limit=5)
    budget.skip("warning", 2)
    budget.skip("notice", 0)
    assert budget.hidden == {"warning": 2}
    assert budget.summary_line() == (
        "2 warnings not shown as annotations (GitHub shows 5 of each per step); see the full list."
    )


@pytest.mark.parametrize(
    ("hidden", "listed"),
    [
        ({"error": 1}, "1 error"),
        ({"notice": 3, "error": 2}, "2 errors and 3 notices"),
        ({"notice": 1, "warning": 1, "error": 4}, "4 errors, 1 warning and 1 notice"),
    ],
)
def test_hidden_annotations_line_word_for_word(hidden: dict[str, int], listed: str) -> None:
    assert hidden_annotations_line(hidden) == (
        f"{listed} not shown as annotations (GitHub shows 10 of each per step); see the full list."
    )
    assert hidden_annotations_line({}) == ""
    assert hidden_annotations_line({"error": 0}) == ""
