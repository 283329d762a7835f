"""Docstring coverage of public functions and classes, per package of ``src/shipyard``.

Public: a module-level function or class whose name does not start with ``_``, and such a
method (or property) of a public class; dunder methods, nested functions and private
modules' names are not counted. ``python scripts/docstrings.py`` prints the ratio per package
and in all; ``--missing`` lists what has none (``path:line name``); ``--package runtime``
limits the run to packages named; ``scripts`` is measured as a package too.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "shipyard"

#: The ratio every package is held to (tests/test_repository.py, for ``ENFORCED``).
TARGET = 0.90
#: The packages whose ratio the tests enforce; the others join once they reach ``TARGET``.
ENFORCED = (
    "runtime",
    "notify",
    "approval",
    "build_push",
    "scripts",
    "lint",
    "audit",
    "findings",
    "deploy",
)

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass(frozen=True)
class Public:
    """One public function, method or class."""

    path: Path
    line: int
    name: str
    documented: bool


@dataclass(frozen=True)
class Coverage:
    """How many of a package's public functions and classes have a docstring."""

    package: str
    documented: int
    total: int

    @property
    def ratio(self) -> float:
        """Documented over total (1.0 for a package with nothing public)."""
        return self.documented / self.total if self.total else 1.0


def is_public(name: str) -> bool:
    """Whether a name is public: no leading underscore (dunders are the language's)."""
    return not name.startswith("_")


def definitions(body: Sequence[ast.stmt], owner: str = "") -> Iterator[tuple[str, Definition]]:
    """(qualified name, node) of the public definitions in ``body``, classes' methods too."""
    for node in body:
        if not isinstance(node, Definition) or not is_public(node.name):
            continue
        name = f"{owner}.{node.name}" if owner else node.name
        yield name, node
        if isinstance(node, ast.ClassDef):
            yield from definitions(node.body, name)


def publics(path: Path) -> list[Public]:
    """The public functions and classes of one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return [
        Public(path, node.lineno, name, ast.get_docstring(node) is not None)
        for name, node in definitions(tree.body)
    ]


def packages() -> list[str]:
    """The subpackages of ``shipyard`` (``runtime`` and every action), then ``scripts``."""
    return [*sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py")), "scripts"]


def package_dir(package: str) -> Path:
    """Where a package's modules are: ``scripts/`` or ``src/shipyard/<package>/``."""
    return ROOT / "scripts" if package == "scripts" else PACKAGE / package


def package_publics(package: str) -> list[Public]:
    """Every public function and class of a package, in path order."""
    found: list[Public] = []
    for path in sorted(package_dir(package).rglob("*.py")):
        if is_public(path.stem) or path.stem in ("__init__", "__main__"):
            found += publics(path)
    return found


def coverage(package: str) -> Coverage:
    """The docstring coverage of one subpackage."""
    items = package_publics(package)
    return Coverage(package, sum(item.documented for item in items), len(items))


def main(argv: Sequence[str] | None = None) -> int:
    """Print the ratio of every package (or of those named), and with ``--missing`` what has no
    docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--missing", action="store_true", help="list what has no docstring")
    parser.add_argument("--package", action="append", help="only this package (repeatable)")
    args = parser.parse_args(argv)
    chosen = args.package or packages()
    rows = [coverage(name) for name in chosen]
    print(f"{'package':<12} {'documented':>11} {'ratio':>6}  (at least {TARGET:.0%} wanted)")
    for row in rows:
        print(f"{row.package:<12} {row.documented:>4} / {row.total:<4} {row.ratio:6.1%}")
    src = [row for row in rows if row.package != "scripts"]
    documented, total = sum(r.documented for r in src), sum(r.total for r in src)
    print(f"{'src/ in all':<12} {documented:>4} / {total:<4} {documented / max(total, 1):6.1%}")
    if args.missing:
        for name in chosen:
            for item in package_publics(name):
                if not item.documented:
                    print(f"{item.path.relative_to(ROOT)}:{item.line} {item.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
