"""The edges of the findings model (pure): the worse of two severities, the linters'
fingerprint of a finding without a file (an independent sha256), JSON line numbers, the
order of findings and counting by level."""

from __future__ import annotations

import hashlib

import pytest

from shipyard.findings.model import Finding, count, message_fingerprint, positive, worse


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("unknown", "low", "low"),
        ("high", "unknown", "high"),
        ("unknown", "unknown", "unknown"),
        ("low", "high", "high"),
        ("critical", "medium", "critical"),
        ("medium", "medium", "medium"),
    ],
)
def test_worse(a: str, b: str, expected: str) -> None:
    assert worse(a, b) == expected  # type: ignore[arg-type]


def test_the_linters_fingerprint_of_a_finding_without_a_file() -> None:
    expected = hashlib.sha256(b"ruff\x00E1\x00\x00bad").hexdigest()[:32]
    assert message_fingerprint("ruff", "E1", None, "bad") == expected
    assert Finding("ruff", "E1", "error", "bad").fingerprint == expected
    with_file = hashlib.sha256(b"ruff\x00E1\x00a.py\x00bad").hexdigest()[:32]
    assert message_fingerprint("ruff", "E1", "a.py", "bad") == with_file


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 1), (7.9, 7), (0, None), (0.5, None), (-3, None), (True, None), ("5", None), (None, None)],
)
def test_positive(value: object, expected: int | None) -> None:
    assert positive(value) == expected


def test_findings_sort_by_file_line_column_and_rule() -> None:
    def at(file: str | None, line: int | None, column: int | None, rule: str) -> Finding:
        return Finding("t", rule, "error", "m", file=file, line=line, column=column)

    findings = [
        at("b.py", 1, 1, "A"),
        at("a.py", 2, None, "A"),
        at("a.py", 2, 1, "A"),
        at("a.py", None, None, "B"),
        at(None, None, None, "Z"),
        at("a.py", 1, 5, "B"),
        at("a.py", 1, 5, "A"),
    ]
    ordered = sorted(findings, key=Finding.sort_key)
    assert [(f.file, f.line, f.column, f.rule) for f in ordered] == [
        (None, None, None, "Z"),
        ("a.py", None, None, "B"),
        ("a.py", 1, 5, "A"),
        ("a.py", 1, 5, "B"),
        ("a.py", 2, None, "A"),
        ("a.py", 2, 1, "A"),
        ("b.py", 1, 1, "A"),
    ]
    assert at(None, None, None, "Z").sort_key() == ("", 0, 0, "Z")


def test_count_by_level() -> None:
    findings = [
        Finding("t", "a", "error", "m"),
        Finding("t", "b", "warning", "m"),
        Finding("t", "c", "error", "m2"),
    ]
    assert count(findings, "error") == 2
    assert count(findings, "warning") == 1
    assert count(findings, "note") == 0
