"""Which package may import which: the runtime is the ground floor (it imports neither the
findings package nor an action), the findings package imports no action, and no action
imports another (audit imported lint's hadolint parser before the findings package)."""

from __future__ import annotations

import ast
from pathlib import Path

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


#: Modules that decide or describe and never start a process or open a connection.
PURE = (
    "findings/model.py",
    "findings/tool.py",
    "findings/emit.py",
    "findings/files.py",
    "findings/severity.py",
    "findings/parsers",
    "lint/plan.py",
    "lint/outcome.py",
    "lint/report.py",
    "lint/detect.py",
    "lint/config.py",
    "lint/versions.py",
    "lint/changed.py",
    "lint/tools.py",
    "audit/plan.py",
    "audit/outcome.py",
    "audit/report.py",
    "audit/gate.py",
    "audit/merge.py",
    "audit/ignore.py",
    "audit/severity.py",
    "audit/scanners/bandit.py",
    "audit/scanners/hadolint.py",
    "audit/scanners/pip_audit.py",
    "audit/scanners/trivy.py",
)
PROCESS_OR_NETWORK = (
    "subprocess",
    "socket",
    "requests",
    "urllib.request",
    "http.client",
    "shipyard.runtime.process",
    "shipyard.runtime.http",
    "shipyard.runtime.github",
    "github",
)


def test_plans_reports_and_parsers_import_no_process_or_network_module() -> None:
    """lint's pipeline.py and audit's plan.py started processes; a plan is pure now."""
    offenders = []
    for entry in PURE:
        paths = sorted((PACKAGE / entry).rglob("*.py")) if "." not in entry else [PACKAGE / entry]
        for path in paths:
            module = path.relative_to(PACKAGE.parent).with_suffix("").parts
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    base = module[: len(module) - node.level] if node.level else ()
                    name = ".".join((*base, node.module or "")).strip(".")
                    names = [name, *(f"{name}.{alias.name}" for alias in node.names)]
                for name in names:
                    if any(name == bad or name.startswith(f"{bad}.") for bad in PROCESS_OR_NETWORK):
                        offenders.append(f"{entry}: {name}")
    assert offenders == []
