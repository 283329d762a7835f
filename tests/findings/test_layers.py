"""Which package may import which: the runtime is the ground floor (it imports neither the
findings package nor an action), the findings package imports no action, and no action
imports another (audit imported lint's hadolint parser before the findings package)."""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path

import pytest

from shipyard import ACTIONS

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "shipyard"
ACTION_PACKAGES = {action.replace("-", "_") for action in ACTIONS}


def imported(package: str) -> set[str]:
    """The shipyard subpackages the modules of ``package`` import (any import, anywhere)."""
    found = set()
    for path in (PACKAGE / package).rglob("*.py"):
        module = path.relative_to(PACKAGE.parent).with_suffix("").parts
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                name = node.module or ""
                if node.level:
                    base = module[: len(module) - node.level]
                    name = ".".join((*base, name) if name else base)
                names = [name]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            found |= {n.split(".")[1] for n in names if n.startswith("shipyard.") and "." in n}
    return found - {package}


def test_the_runtime_imports_no_package_above_it() -> None:
    assert imported("runtime") == set()


def test_the_findings_package_imports_the_runtime_only() -> None:
    assert imported("findings") == {"runtime"}


def test_no_action_imports_another() -> None:
    for action in sorted(ACTION_PACKAGES):
        assert not imported(action) & (ACTION_PACKAGES - {action}), action


def test_lint_and_audit_share_the_findings_package() -> None:
    assert imported("lint") == imported("audit") == {"findings", "runtime"}


#: What a pure module may not import (itself or anything under it).
PROCESS_OR_NETWORK = (
    "subprocess",
    "multiprocessing",
    "concurrent.futures",
    "socket",
    "requests",
    "urllib.request",
    "http.client",
    "github",
    "shipyard.runtime.process",
    "shipyard.runtime.http",
    "shipyard.runtime.github",
)
#: The runtime's modules that only hold values and checks (what a pure module may use).
RUNTIME_VALUES = {
    "shipyard.runtime.errors",
    "shipyard.runtime.spec",
    "shipyard.runtime.settings",
    "shipyard.runtime.inputs",
    "shipyard.runtime.summary",
}


def declared_pure(package: str) -> set[str]:
    """The ``PURE_MODULES`` a package declares in its ``__init__.py``, as module names."""
    module = importlib.import_module(f"shipyard.{package}")
    return {f"shipyard.{package}.{name}" for name in getattr(module, "PURE_MODULES", ())}


def imports_of(path: Path) -> list[tuple[str, str | None, bool]]:
    """(module, name, under TYPE_CHECKING) of every import of a module, made absolute."""
    module = path.relative_to(PACKAGE.parent).with_suffix("").parts
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
        for statement in node.body
        for child in ast.walk(statement)
    }
    found: list[tuple[str, str | None, bool]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, id(node) in typing_only) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = module[: len(module) - node.level] if node.level else ()
            source = ".".join((*base, node.module or "")).strip(".")
            found += [(source, alias.name, id(node) in typing_only) for alias in node.names]
    return found


def shipyard_module(source: str, name: str | None) -> str | None:
    """The shipyard module an import runs (a name re-exported by a package: its defining
    module), or None for a package's ``__init__`` and for what is not shipyard's."""
    if not source.startswith("shipyard."):
        return None
    spec = importlib.util.find_spec(source)
    if spec is None or spec.submodule_search_locations is None:  # a module, not a package
        return source
    if name and importlib.util.find_spec(f"{source}.{name}") is not None:
        return f"{source}.{name}"
    value = getattr(importlib.import_module(source), name or "", None)
    defined = getattr(value, "__module__", None)
    return defined if defined and defined.startswith("shipyard.") and defined != source else None


@pytest.mark.parametrize("package", ["findings", "lint", "audit"])
def test_declared_pure_modules_start_no_process_and_import_only_pure_ones(package: str) -> None:
    """lint's pipeline.py and audit's plan.py started processes; the plans are pure now, and
    so is every module they build on."""
    pure = declared_pure("findings") | declared_pure("lint") | declared_pure("audit")
    mine = sorted(m for m in pure if m.startswith(f"shipyard.{package}."))
    assert mine, f"{package} declares no PURE_MODULES"
    problems = []
    for module in mine:
        path = PACKAGE.parent.joinpath(*module.split(".")).with_suffix(".py")
        for source, name, typing_only in imports_of(path):
            full = f"{source}.{name}" if name else source
            if any(full == bad or full.startswith(f"{bad}.") for bad in PROCESS_OR_NETWORK):
                problems.append(f"{module} imports {full}")
            target = None if typing_only else shipyard_module(source, name)
            if target and target not in pure | RUNTIME_VALUES:
                problems.append(f"{module} imports {target}, which is not pure")
    assert problems == []
