"""Repository-wide consistency: action folders, the ACTIONS list and the spec modules agree,
and every example workflow and README uses only the inputs its action declares (issue 7)."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from shipyard import ACTIONS

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "shipyard"
#: ``your-org/actions/<action>@ref`` (as users write it) or ``./<action>`` (this repository).
OUR_USES = re.compile(r"^(?:your-org/actions/(?P<remote>[^@/]+)@\S+|\./(?P<local>[^@/]+)/?)$")


def action_folders() -> set[str]:
    return {path.parent.name for path in ROOT.glob("*/action.yml")}


def action_packages() -> set[str]:
    """Subpackages that run as an action (``python -m shipyard.<x>``)."""
    return {path.parent.name.replace("_", "-") for path in PACKAGE.glob("*/__main__.py")}


def spec_packages() -> set[str]:
    """Subpackages with a spec module (the runtime's spec.py is the spec machinery itself)."""
    return {
        path.parent.name.replace("_", "-")
        for path in PACKAGE.glob("*/spec.py")
        if path.parent.name != "runtime"
    }


def test_folders_actions_list_and_specs_agree() -> None:
    listed = set(ACTIONS)
    assert len(listed) == len(ACTIONS), "ACTIONS lists an action twice"
    assert action_folders() == listed, "action folders (with action.yml) differ from ACTIONS"
    assert spec_packages() == listed, "src/shipyard/*/spec.py packages differ from ACTIONS"
    assert action_packages() == listed, "src/shipyard/*/__main__.py packages differ from ACTIONS"
    for action in ACTIONS:
        module = importlib.import_module(f"shipyard.{action.replace('-', '_')}.spec")
        assert module.SPEC.name == action, f"{action}'s SPEC is named {module.SPEC.name!r}"
        assert (PACKAGE / action.replace("-", "_") / "__main__.py").is_file()


def declared_inputs(action: str) -> set[str]:
    module = importlib.import_module(f"shipyard.{action.replace('-', '_')}.spec")
    return {item.name for item in module.SPEC.inputs}


def yaml_blocks(path: Path) -> Iterator[tuple[int, str]]:
    """The ```yaml blocks of a Markdown file, with the line each starts on."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start: int | None = None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if start is None and re.fullmatch(r"```+\s*ya?ml\s*", stripped):
            start = number
            body: list[str] = []
        elif start is not None and stripped.startswith("```"):
            yield start, "\n".join(body)
            start = None
        elif start is not None:
            body.append(line)


def steps_using_our_actions(node: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(action, with) for every mapping in ``node`` whose ``uses:`` names one of ours."""
    if isinstance(node, dict):
        uses = node.get("uses")
        if isinstance(uses, str) and (match := OUR_USES.match(uses.strip())):
            action = match.group("remote") or match.group("local")
            with_block = node.get("with") or {}
            yield action, with_block if isinstance(with_block, dict) else {}
        for value in node.values():
            yield from steps_using_our_actions(value)
    elif isinstance(node, list):
        for item in node:
            yield from steps_using_our_actions(item)


def documents() -> list[tuple[str, Any]]:
    """(where, parsed YAML) for every example, workflow and README/CONTRIBUTING YAML block."""
    found: list[tuple[str, Any]] = []
    workflows = sorted(ROOT.glob("examples/**/*.yml")) + sorted(ROOT.glob("examples/**/*.yaml"))
    workflows += sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    for path in workflows:
        found.append((str(path.relative_to(ROOT)), yaml.safe_load(path.read_text("utf-8"))))
    markdown = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted(ROOT.glob("*/README.md"))]
    for path in markdown:
        if not path.is_file():
            continue
        for line, text in yaml_blocks(path):
            where = f"{path.relative_to(ROOT)}:{line}"
            try:
                found.append((where, yaml.safe_load(text)))
            except yaml.YAMLError as exc:
                pytest.fail(f"{where}: a yaml block that is not YAML: {exc}")
    return found


def test_examples_and_readmes_use_only_declared_inputs() -> None:
    problems: list[str] = []
    seen = 0
    for where, document in documents():
        for action, with_block in steps_using_our_actions(document):
            seen += 1
            if action not in ACTIONS:
                problems.append(f"{where}: uses '{action}', which is not an action of ACTIONS")
                continue
            unknown = sorted(set(map(str, with_block)) - declared_inputs(action))
            if unknown:
                problems.append(f"{where}: {action} does not declare {', '.join(unknown)}")
    assert not problems, "\n".join(problems)
    assert seen >= len(ACTIONS), "expected every action to be used in an example or README"


def test_the_check_catches_an_undeclared_key() -> None:
    """The walk finds a misspelled input (so the test above can fail)."""
    document = yaml.safe_load(
        "jobs:\n  j:\n    steps:\n      - uses: your-org/actions/notify@v1\n"
        "        with:\n          slak-token: x\n      - uses: ./notify\n"
    )
    found = list(steps_using_our_actions(document))
    assert found == [("notify", {"slak-token": "x"}), ("notify", {})]
    assert "slak-token" not in declared_inputs("notify")
