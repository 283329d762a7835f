"""Custom Slack payloads: JSON/YAML, inline/file, data-only templating, precise errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from shipyard.notify.payload import parse_payload, read_payload_text, render_template
from shipyard.runtime import InputError

NAMESPACES = {
    "env": {"DEPLOY_HOST": "web-1"},
    "github": {"repository": "your-org/shop", "sha": "abc"},
    "inputs": {"version": "v1", "title": "Deployed"},
}


def render(document: object, warnings: list[str] | None = None) -> object:
    return render_template(document, NAMESPACES, (warnings if warnings is not None else []).append)


def test_values_are_substituted_as_data_never_structure() -> None:
    hostile = {**NAMESPACES, "inputs": {"version": '", "channel": "#general", "x": "'}}
    document = parse_payload(
        '{"text": "Deployed {{ inputs.version }} to {{env.DEPLOY_HOST}}"}', "inline"
    )
    rendered = render_template(document, hostile, lambda _m: None)
    assert set(rendered) == {"text"}
    sent = json.dumps(rendered)
    assert json.loads(sent)["text"] == 'Deployed ", "channel": "#general", "x": " to web-1'


def test_nested_lists_and_non_strings_survive() -> None:
    document = {
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "{{ github.repository }}"}}
        ],
        "unfurl_links": False,
        "n": 3,
    }
    assert render(document) == {
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "your-org/shop"}}],
        "unfurl_links": False,
        "n": 3,
    }


def test_missing_env_is_empty_with_warning_but_unknown_input_is_an_error() -> None:
    warnings: list[str] = []
    listed = render_template({"text": "[{{ env.NOPE }}]"}, NAMESPACES, warnings.append, ("NOPE",))
    assert listed == {"text": "[]"}
    assert "NOPE is not set" in warnings[0]
    assert render({"text": "[{{ env.GITHUB_HEAD_REF }}]"}, warnings) == {"text": "[]"}
    with pytest.raises(InputError, match="template-env"):
        render({"text": "[{{ env.NOPE }}]"})
    expected = "'{{ inputs.verison }}' names nothing; inputs has: title, version"
    with pytest.raises(InputError, match=re.escape(expected)):
        render({"text": "{{ inputs.verison }}"})
    with pytest.raises(InputError, match="unknown placeholder"):
        render({"text": "{{ secrets.TOKEN }}"})


def test_nothing_is_evaluated() -> None:
    assert render({"text": "{{ 7*7 }} {{ inputs.version | upper }}"}) == {
        "text": "{{ 7*7 }} {{ inputs.version | upper }}"
    }


def test_yaml_payload() -> None:
    document = parse_payload("text: hello\nblocks:\n  - type: divider\n", "inline")
    assert document == {"text": "hello", "blocks": [{"type": "divider"}]}


def test_malformed_json_reports_line_and_column() -> None:
    with pytest.raises(InputError) as info:
        parse_payload('{\n  "text": "hi",\n  "blocks": [\n}', "inline")
    assert "Input 'slack-payload': invalid JSON at line 4, column 1" in str(info.value)


def test_malformed_yaml_reports_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "slack.yml").write_text("text: ok\nblocks:\n  - type: section\n   bad: [\n")
    text, source = read_payload_text("slack.yml", str(tmp_path))
    with pytest.raises(InputError) as info:
        parse_payload(text, source)
    assert "invalid YAML in slack.yml at line" in str(info.value)
    assert "column" in str(info.value)


def test_payload_must_be_a_message_object() -> None:
    with pytest.raises(InputError, match="must be an object"):
        parse_payload("[1, 2]", "inline")
    with pytest.raises(InputError, match="needs 'text', 'blocks' or 'attachments'"):
        parse_payload('{"channel": "#x"}', "inline")


def test_file_paths_relative_to_workspace(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text('{"text": "from file"}')
    assert read_payload_text("p.json", str(tmp_path)) == ('{"text": "from file"}', "p.json")
    with pytest.raises(InputError, match=re.escape("cannot read the file 'nope.json'")):
        read_payload_text("nope.json", str(tmp_path))
    assert read_payload_text("text: inline", str(tmp_path)) == ("text: inline", "inline")
