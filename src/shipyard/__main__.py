"""``python -m shipyard``: list the actions and how to run each."""

from __future__ import annotations

import sys

from shipyard import ACTIONS, __version__


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("--version", "-V"):
        print(f"shipyard {__version__}")
        return 0
    if args and args[0] not in ("--help", "-h"):
        print(f"unknown argument {args[0]!r}; try --help", file=sys.stderr)
        return 2
    print(f"shipyard {__version__}: reusable composite GitHub Actions with Python logic.\n")
    print("Actions (run one with `python -m shipyard.<action> --help`):")
    for name in ACTIONS:
        print(f"  {name:<12} uses: your-org/actions/{name}@v1")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
