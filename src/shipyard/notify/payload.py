"""A custom Slack payload: JSON or YAML, inline or from a file, with data-only templating.

Placeholders ``{{ env.NAME }}``, ``{{ github.NAME }}`` and ``{{ inputs.NAME }}`` are replaced
inside the string values of the *parsed* document, so a substituted value is always data: it
cannot close a string, add a key or change the structure, and it is JSON-escaped when the
payload is sent. Nothing is evaluated.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from shipyard.runtime import InputError

from .guard import refusal_hint, template_allows
from .workspace import inside_workspace

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z0-9_.-]+)\s*\}\}")
INPUT_NAME = "slack-payload"


def read_payload_text(value: str, workspace: str) -> tuple[str, str]:
    """The payload's text and where it came from ('inline' or the file path).

    A single line that names an existing file, or ends in .json/.yml/.yaml, is a path
    (relative to the workspace, and confined to it as attachments are); anything else is the
    payload itself.
    """
    stripped = value.strip()
    if "\n" not in stripped:
        base = workspace or os.getcwd()
        path = stripped if os.path.isabs(stripped) else os.path.join(base, stripped)
        if os.path.isfile(path) or stripped.lower().endswith((".json", ".yml", ".yaml")):
            real = inside_workspace(INPUT_NAME, stripped, base)
            try:
                with open(real, encoding="utf-8") as handle:
                    return handle.read(), stripped
            except (OSError, UnicodeDecodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                raise InputError(
                    INPUT_NAME, f"cannot read the file '{stripped}': {reason}."
                ) from None
    return value, "inline"


def parse_payload(text: str, source: str) -> dict[str, Any]:
    """Parse JSON (when it looks like JSON) or YAML; errors give line and column."""
    where = "" if source == "inline" else f" in {source}"
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                INPUT_NAME,
                f"invalid JSON{where} at line {exc.lineno}, column {exc.colno}: {exc.msg}.",
            ) from None
    else:
        import yaml

        try:
            document = yaml.safe_load(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            position = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = exc.problem or exc.context or "syntax error"
            raise InputError(INPUT_NAME, f"invalid YAML{where}{position}: {problem}.") from None
        except yaml.YAMLError as exc:
            raise InputError(INPUT_NAME, f"invalid YAML{where}: {exc}.") from None
    if not isinstance(document, dict):
        raise InputError(
            INPUT_NAME,
            f"the payload{where} must be an object (with text, blocks or attachments), "
            f"not {type(document).__name__}.",
        )
    if not any(key in document for key in ("text", "blocks", "attachments")):
        raise InputError(INPUT_NAME, f"the payload{where} needs 'text', 'blocks' or 'attachments'.")
    return document


def render_template(
    document: Any,
    namespaces: Mapping[str, Mapping[str, str]],
    warn: Callable[[str], None],
    env_allow: Collection[str] = (),
) -> Any:
    """Substitute placeholders in every string value (keys are left alone).

    ``namespaces["env"]`` holds only what templates may read (the runtime's ``template_env``);
    a name outside it is refused, unless it is allowed and merely unset (then empty)."""

    def substitute(match: re.Match[str]) -> str:
        namespace, name = match.group(1), match.group(2)
        if namespace not in namespaces:
            raise InputError(
                INPUT_NAME,
                f"unknown placeholder '{match.group(0)}'; "
                "use env.NAME, github.NAME or inputs.NAME.",
            )
        values = namespaces[namespace]
        if name in values:
            return values[name]
        if namespace == "env" and not template_allows(name, env_allow):
            raise InputError(
                INPUT_NAME,
                f"'{match.group(0)}' is not readable from templates: only the GITHUB_*/RUNNER_* "
                "context and the names listed in template-env are.",
                hint=refusal_hint(name),
            )
        if namespace == "env":
            warn(f"slack-payload: environment variable {name} is not set; using an empty string.")
            return ""
        known = ", ".join(sorted(values))
        raise InputError(INPUT_NAME, f"'{match.group(0)}' names nothing; {namespace} has: {known}.")

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return PLACEHOLDER.sub(substitute, node)
        if isinstance(node, list):
            return [walk(item) for item in node]
        if isinstance(node, dict):
            return {key: walk(value) for key, value in node.items()}
        return node

    return walk(document)
