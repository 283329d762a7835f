"""SARIF 2.1.0 written by the runtime, validated against the official OASIS schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from shipyard.runtime.sarif import SarifResult, SarifRule, SarifRun, sarif_document, write_sarif

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json").read_text())


def validate(document: object) -> None:
    jsonschema.Draft4Validator(SCHEMA).validate(document)


RUN = SarifRun(
    tool="ruff",
    version="0.6.0",
    information_uri="https://docs.astral.sh/ruff/",
    rules=[
        SarifRule("E501", name="line-too-long", short_description="Line too long", level="note"),
        SarifRule("S105", help_uri="https://docs.astral.sh/ruff/rules/", level="error"),
    ],
    results=[
        SarifResult(
            "E501",
            "Line too long (120 > 100)",
            level="note",
            file="./src/a.py",
            start_line=3,
            start_column=101,
            end_line=3,
            end_column=121,
            fingerprint="abc123:1",
        ),
        SarifResult(
            "S105",
            "Hard-coded password",
            level="error",
            file="src/b.py",
            start_line=9,
            suppressed=True,
            justification="test fixture",
            properties={"tags": ["sec"]},
        ),
        SarifResult("X1", "whole-repository finding"),
    ],
)


def test_document_is_valid_sarif_2_1_0(tmp_path: Path) -> None:
    path = write_sarif(tmp_path / "out" / "lint.sarif", [RUN])
    document = json.loads(path.read_text())
    validate(document)
    assert document["version"] == "2.1.0"
    results = document["runs"][0]["results"]
    location = results[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "src/a.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {
        "startLine": 3,
        "startColumn": 101,
        "endLine": 3,
        "endColumn": 121,
    }
    assert results[0]["partialFingerprints"] == {"primaryLocationLineHash": "abc123:1"}
    assert results[0]["ruleIndex"] == 0
    assert results[1]["suppressions"] == [{"kind": "external", "justification": "test fixture"}]
    assert "locations" not in results[2] and "ruleIndex" not in results[2]


def test_empty_run_is_valid() -> None:
    validate(sarif_document([SarifRun("tool", None, None, [], [])]))


def test_the_schema_catches_a_broken_document() -> None:
    """The check can fail: a level SARIF does not know is refused."""
    document = sarif_document([RUN])
    document["runs"][0]["results"][0]["level"] = "fatal"  # type: ignore[index]
    with pytest.raises(jsonschema.ValidationError):
        validate(document)
