"""The summary builder escapes what it is given."""

from __future__ import annotations

from shipyard.runtime import Summary, link
from shipyard.runtime.summary import fence


def test_builder_renders_every_block() -> None:
    text = (
        Summary()
        .heading("Deploy <prod>", 2)
        .paragraph("line1\nline2 & more")
        .table(["Host", "Result"], [["web-1", "ok | fine"], [link("run", "https://x/y z"), "a\nb"]])
        .list(["one", link("two", "https://t")], ordered=True)
        .details("Log", "x = 1", code=True)
        .code("print(1)", "python")
        .render()
    )
    assert text.startswith("## Deploy &lt;prod&gt;\n\nline1<br>line2 &amp; more\n\n")
    assert "| Host | Result |\n| --- | --- |\n| web-1 | ok \\| fine |\n" in text
    assert "| [run](https://x/y%20z) | a<br>b |" in text
    assert "1. one\n2. [two](https://t)" in text
    assert "<details><summary>Log</summary>\n\n```\nx = 1\n```\n\n</details>" in text
    assert "```python\nprint(1)\n```" in text
    assert text.endswith("```python\nprint(1)\n```\n")


def test_short_rows_are_padded_and_empty_summary_is_falsy() -> None:
    assert not Summary()
    assert Summary().render() == ""
    assert "| a |  |" in Summary().table(["x", "y"], [["a"]]).render()


def test_fence_is_longer_than_backticks_inside() -> None:
    assert fence("a ```` b").startswith("`````\n")


def test_link_text_cannot_break_out() -> None:
    assert link("a](javascript:x)[", "https://ok").markdown == "[a\\](javascript:x)\\[](https://ok)"


def test_escape_text_turns_a_bare_cr_into_a_line_break() -> None:
    """Hardening #8 item 8: a bare CR must not reach the summary."""
    from shipyard.runtime.summary import escape_text

    assert escape_text("a\rb\r\nc\nd") == "a<br>b<br>c<br>d"
    assert "\r" not in Summary().paragraph("x\ry").render()


def test_summary_is_capped_at_a_block_boundary_with_a_visible_note() -> None:
    from shipyard.runtime import SUMMARY_LIMIT

    summary = Summary().heading("Report")
    for number in range(50):
        summary.paragraph(f"block {number} " + "x" * 100)
    full = summary.render()
    assert summary.render(limit=len(full.encode())) == full
    capped = summary.render(limit=1000)
    assert len(capped.encode()) <= 1000
    assert capped.startswith("## Report")
    assert "bytes cut: the summary is limited to 1 MiB" in capped
    kept = capped.split("\n\n")[:-1]
    assert all(block in full for block in kept)  # whole blocks only
    assert SUMMARY_LIMIT == 1_000_000


def test_a_huge_summary_stays_below_github_limit() -> None:
    summary = Summary()
    for _ in range(300):
        summary.code("y" * 5000)
    text = summary.render()
    assert len(text.encode()) <= 1_000_000 < 1024 * 1024
    assert text.rstrip().endswith("see the step's log.**")
