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
        .separator()
        .render()
    )
    assert text.startswith("## Deploy &lt;prod&gt;\n\nline1<br>line2 &amp; more\n\n")
    assert "| Host | Result |\n| --- | --- |\n| web-1 | ok \\| fine |\n" in text
    assert "| [run](https://x/y%20z) | a<br>b |" in text
    assert "1. one\n2. [two](https://t)" in text
    assert "<details><summary>Log</summary>\n\n```\nx = 1\n```\n\n</details>" in text
    assert "```python\nprint(1)\n```" in text
    assert text.endswith("---\n")


def test_short_rows_are_padded_and_empty_summary_is_falsy() -> None:
    assert not Summary()
    assert Summary().render() == ""
    assert "| a |  |" in Summary().table(["x", "y"], [["a"]]).render()


def test_fence_is_longer_than_backticks_inside() -> None:
    assert fence("a ```` b").startswith("`````\n")


def test_link_text_cannot_break_out() -> None:
    assert link("a](javascript:x)[", "https://ok").markdown == "[a\\](javascript:x)\\[](https://ok)"
