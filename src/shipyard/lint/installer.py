"""``python installer.py UV VENV REQUIREMENTS hashes|plain``: make one venv.

A separate process so that each linter's install runs in parallel with its own buffered output.
Uses uv when given, else the standard library's venv and pip.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Make the venv and install the requirements into it; the first failing exit code."""
    uv, venv, requirements, mode = argv
    hashes = ["--require-hashes"] if mode == "hashes" else []
    python = Path(venv) / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    if uv:
        steps = [
            [uv, "venv", "--quiet", "--no-project", "--python", sys.executable, venv],
            [uv, "pip", "install", "--quiet", "--python", str(python), *hashes, "-r", requirements],
        ]
    else:
        steps = [
            [sys.executable, "-m", "venv", venv],
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                *hashes,
                "-r",
                requirements,
            ],
        ]
    for step in steps:
        code = subprocess.call(step)
        if code != 0:
            return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
