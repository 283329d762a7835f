#!/usr/bin/env python3
"""Write every action's action.yml and its README's inputs/outputs tables from its spec.

python scripts/generate.py          # write the files
python scripts/generate.py --check  # exit 1 and list the stale files (the tests do this)
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from shipyard import ACTIONS  # noqa: E402
from shipyard.runtime.spec import (  # noqa: E402
    ActionSpec,
    render_action_yml,
    render_readme_tables,
    replace_generated_block,
)


def load_spec(action: str) -> ActionSpec:
    """The ``SPEC`` of an action's ``spec`` module."""
    module = importlib.import_module(f"shipyard.{action.replace('-', '_')}.spec")
    spec: ActionSpec = module.SPEC
    return spec


def expected_files(action: str) -> dict[Path, str]:
    """Each generated file of an action and the text it must have."""
    spec = load_spec(action)
    folder = ROOT / action
    readme_path = folder / "README.md"
    readme = readme_path.read_text(encoding="utf-8")
    return {
        folder / "action.yml": render_action_yml(spec),
        readme_path: replace_generated_block(readme, render_readme_tables(spec)),
    }


def main(argv: list[str] | None = None) -> int:
    """Write every action's action.yml and README tables; with ``--check`` only name the stale ones
    (exit 1)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    stale = []
    for action in ACTIONS:
        for path, text in expected_files(action).items():
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current == text:
                continue
            stale.append(path.relative_to(ROOT))
            if not args.check:
                path.write_text(text, encoding="utf-8")
    verb = "stale" if args.check else "written"
    for path in stale:
        print(f"{verb}: {path}")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    raise SystemExit(main())
