"""The deploy package keeps the anatomy: a short ``__main__``, and modules that say they are
pure (``(pure)`` in their docstring) import nothing that starts a process or opens a
connection, so they can be tested without either."""

from __future__ import annotations

import ast
from pathlib import Path

import shipyard.deploy

PACKAGE = Path(shipyard.deploy.__file__).parent
#: Modules that start processes or talk over the network (and the deploy's own adapter).
IMPURE = {
    "subprocess", "socket", "requests", "urllib.request", "http.client", "smtplib",
    "shipyard.runtime.process", "shipyard.runtime.http", "shipyard.runtime.github",
    "shipyard.deploy.ssh", "shipyard.deploy.fleet",
}  # fmt: skip
#: At least these are pure (the steps, their vocabulary, the strategies, the plan).
PURE_AT_LEAST = {
    "compose", "compose_steps", "container_steps", "health", "hosts", "markers", "nginx",
    "plan", "releases", "render", "steps", "strategies", "targets", "transport",
}  # fmt: skip


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = "shipyard.deploy" + (f".{base}" if base else "")
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def _pure_modules() -> dict[str, Path]:
    pure = {}
    for path in sorted(PACKAGE.glob("*.py")):
        docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
        if "(pure" in docstring:
            pure[path.stem] = path
    return pure


def test_main_is_at_most_60_lines() -> None:
    assert len((PACKAGE / "__main__.py").read_text().splitlines()) <= 60


def test_pure_modules_start_no_process_and_open_no_connection() -> None:
    pure = _pure_modules()
    assert set(pure) >= PURE_AT_LEAST, PURE_AT_LEAST - set(pure)
    for name, path in pure.items():
        bad = {i for i in _imports(path) if any(i == m or i.startswith(m + ".") for m in IMPURE)}
        assert not bad, f"{name} is declared pure but imports {sorted(bad)}"


def test_the_check_catches_an_impure_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('"""A module (pure)."""\nfrom shipyard.runtime.process import run_process\n')
    assert "shipyard.runtime.process" in _imports(module)
