"""Scanner configuration found in the repository: reported, never obeyed (it reads
pyproject.toml files to see whether they hold a `[tool.bandit]` table).

Each scanner runs with shipyard's own configuration (see `scanners.prepare`); a repository's
`.trivyignore` or `.bandit` would otherwise decide, unseen, what the gate lets through. The
summary names what it found (`plan.config_notes`), so that whoever relied on it moves the
exceptions into the audit's ignore file, where each has a reason and an expiry.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from shipyard.findings.files import inside

#: File names a scanner would read as its configuration, by scanner.
NAMES: dict[str, frozenset[str]] = {
    "trivy": frozenset(
        {
            "trivy.yaml",
            "trivy.yml",
            ".trivyignore",
            ".trivyignore.yaml",
            "trivy-secret.yaml",
            "trivy-secret.yml",
        }
    ),
    "bandit": frozenset({".bandit", "bandit.yaml", "bandit.yml", ".bandit.yaml", ".bandit.yml"}),
    "hadolint": frozenset({".hadolint.yaml", ".hadolint.yml", "hadolint.yaml", "hadolint.yml"}),
}
#: The scanners each of the audit's scanner kinds runs.
TOOLS = {
    "code": ("bandit",),
    "secrets": ("trivy",),
    "container": ("trivy",),
    "iac": ("trivy", "hadolint"),
}


def _has_bandit_table(root: Path, rel: str) -> bool:
    path = root / rel
    if not inside(path, root):
        return False
    try:
        return "[tool.bandit" in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def found(root: Path, files: Sequence[str], scanners: Sequence[str]) -> dict[str, list[str]]:
    """Tool -> the repository's files that tool would have read as its configuration."""
    tools = {tool for kind in scanners for tool in TOOLS.get(kind, ())}
    result: dict[str, list[str]] = {}
    for rel in files:
        name = PurePosixPath(rel).name
        for tool in sorted(tools):
            if name in NAMES[tool] or (
                tool == "bandit" and name == "pyproject.toml" and _has_bandit_table(root, rel)
            ):
                result.setdefault(tool, []).append(rel)
    return result
