"""The emitters: annotations, SARIF runs (valid against the official schema) and tables."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from shipyard.findings import emit
from shipyard.findings.model import Finding, level_of
from shipyard.runtime.sarif import sarif_document
from shipyard.runtime.summary import Summary

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json").read_text()
)
LINT = [
    Finding("ruff", "F401", "error", "unused", file="a.py", line=1, column=8, end_column=10),
    Finding("black", "format", "error", "reformat", file="a.py", line=3, end_line=5, column=2),
    Finding("ruff", "E501", "warning", "long", file="b.py", line=2, help_url="https://x/E501"),
]
ADVISORY = Finding(
    "osv",
    "PYSEC-1",
    level_of("critical"),
    "bad",
    severity="critical",
    fingerprint="f1",
    file="requirements.txt",
    line=1,
    title="requests 2.19.0: PYSEC-1",
    package="requests",
    installed="2.19.0",
    fixed=("2.20.0",),
)


def test_annotation_columns_only_on_one_line_and_a_prefix() -> None:
    one, span, _ = (emit.annotation(f, prefix="sub") for f in LINT)
    assert (one.file, one.col, one.end_column, one.title) == ("sub/a.py", 8, 10, "ruff F401")
    assert (span.end_line, span.col) == (5, None)
    custom = emit.annotation(LINT[0], level="note", title="T", message="M")
    assert (custom.level, custom.title, custom.message, custom.file) == ("notice", "T", "M", "a.py")


def test_take_turns_by_level_then_tool() -> None:
    ruff = [emit.annotation(f) for f in (LINT[0], LINT[2])]
    black = [emit.annotation(LINT[1])]
    ordered = emit.take_turns([ruff, black])
    assert [(a.level, a.title) for a in ordered] == [
        ("error", "ruff F401"),
        ("error", "black format"),
        ("warning", "ruff E501"),
    ]


def test_sarif_runs_of_linters_and_of_advisories_are_valid() -> None:
    lint = emit.sarif_run("ruff", LINT, version="0.9.0", prefix="sub")
    audit = emit.sarif_run(
        "shipyard-audit",
        [ADVISORY],
        properties=lambda f: {"security-severity": "9.5"},
        suppressed={"f1": "not reachable"},
    )
    document = sarif_document([lint, audit])
    jsonschema.validate(document, SCHEMA)
    first = document["runs"][0]["results"][0]  # type: ignore[index]
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "sub/a.py"
    assert location["region"] == {"startLine": 1, "startColumn": 8, "endColumn": 10}
    assert first["partialFingerprints"] == {"primaryLocationLineHash": LINT[0].fingerprint}
    advisory = document["runs"][1]["results"][0]  # type: ignore[index]
    assert advisory["level"] == "error" and advisory["properties"]["security-severity"] == "9.5"
    assert advisory["suppressions"] == [{"kind": "external", "justification": "not reachable"}]
    rule = document["runs"][1]["tool"]["driver"]["rules"][0]  # type: ignore[index]
    assert rule["name"] == ADVISORY.title and rule["defaultConfiguration"]["level"] == "error"


def test_table_and_where() -> None:
    columns: list[emit.Column] = [("rule", emit.rule_cell), ("where", emit.where)]
    text = emit.table(Summary(), [LINT[2], ADVISORY], columns).render()
    assert "[E501](https://x/E501)" in text and "| requests 2.19.0 |" in text
    assert emit.where(LINT[1]) == "a.py:3"


def test_a_run_compared_with_a_baseline_marks_new_and_unchanged_results() -> None:
    run = emit.sarif_run("ruff", LINT[:1], existing=LINT[2:])
    document = sarif_document([run])
    jsonschema.validate(document, SCHEMA)
    new, old = document["runs"][0]["results"]  # type: ignore[index]
    assert (new["baselineState"], new["level"]) == ("new", "error")
    assert (old["baselineState"], old["level"]) == ("unchanged", "note")
    assert old["properties"] == {"originalLevel": "warning"} and "suppressions" not in old
    plain = sarif_document([emit.sarif_run("ruff", LINT)])["runs"][0]["results"]  # type: ignore[index]
    assert not any("baselineState" in result for result in plain)
