"""Which scanners run and how (pure): detection for `auto`, the scanners' command lines from
what the scan found out before (``Facts``), and the notes the summary adds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard.findings.kinds import Tree, compose_file, dockerfile, python_source
from shipyard.findings.tool import Tool

from .scanners import Lines, ScanEnv, bandit, hadolint, pip_audit, trivy

if TYPE_CHECKING:
    from .pins import Inventory

#: Files, folders and tools named in a note before "and N more".
SHOWN = 10


@dataclass(frozen=True)
class Request:
    """What to audit (from the settings, resolved to paths)."""

    scanners: tuple[str, ...] | None  # None: auto
    env: ScanEnv
    vulnerability_db: Path | None = None
    image: str | None = None  # a reference, never a file
    secrets_history: bool = False
    allowlist: frozenset[str] = frozenset()
    image_archive: Path | None = None  # an archive file (image-archive), already confined
    resolve: bool = True  # ranges resolved with uv (`audit.resolution`)
    sbom: bool = False  # an SBOM is wanted (with an image: trivy's SBOM of it too)


@dataclass(frozen=True)
class History:
    """The git history laid out for the secret scanner: the tree and where each file came
    from (a commit's path)."""

    tree: Path
    origins: Mapping[str, str]


@dataclass(frozen=True)
class Facts:
    """What the scan found out before planning: the tree, its dependencies and Python file
    sizes, the files whose trivy:ignore comments were defused (and the copy), whether trivy's
    vulnerability DB is there, the laid-out history, the file of pins for pip-audit, the
    scanner configuration the repository holds, the cores to use, and how the scanners'
    parsers read a finding's line (``lines``)."""

    tree: Tree
    inventory: Inventory
    lines: Lines
    workers: int = 1
    python_sizes: Mapping[str, int] = field(default_factory=dict)
    marked: Sequence[str] = ()
    defused: Path | None = None
    vuln_db: bool = False
    history: History | None = None
    pins: Path | None = None
    repo_configs: Mapping[str, list[str]] = field(default_factory=dict)


def detect(files: Sequence[str], inventory: Inventory, image: object) -> list[str]:
    """`auto`: the scanners for what the repository has (secrets always); `image` is the
    image reference or archive, if any."""
    found = []
    if inventory.files:
        found.append("dependencies")
    if any(python_source(f) for f in files):
        found.append("code")
    found.append("secrets")
    if image:
        found.append("container")
    if any(dockerfile(f) or compose_file(f) for f in files):
        found.append("iac")
    return found


def tools(request: Request, scanners: Sequence[str], facts: Facts) -> list[Tool]:
    """The scanners' runs, in a fixed order (the first finding of a merged pair keeps its
    name): bandit, trivy (defused copy, image, tree), hadolint, history, pip-audit."""
    env, found = request.env, []
    if "code" in scanners:
        skip = [str(env.root / rel) for rel in facts.tree.outside]
        found += bandit.jobs(env, facts.lines, facts.python_sizes, facts.workers, skip)
    if "iac" in scanners and facts.defused is not None:
        found.append(trivy.defused_job(env, facts.lines, facts.defused))
    if "container" in scanners and (request.image or request.image_archive):
        found.append(
            trivy.image_job(
                env, vuln_db=facts.vuln_db, image=request.image, archive=request.image_archive
            )
        )
    fs_scanners = fs_scans(scanners, facts.vuln_db, bool(request.image or request.image_archive))
    if fs_scanners:
        found.append(trivy.fs_job(env, facts.lines, fs_scanners, vuln_db=facts.vuln_db))
    dockerfiles = [f for f in facts.tree.files if dockerfile(f)]
    if "iac" in scanners and dockerfiles:
        found.append(hadolint.job(env, facts.lines, dockerfiles))
    if facts.history is not None:
        history = facts.history
        found.append(trivy.history_job(env, facts.lines, history.tree, history.origins))
    if facts.pins is not None:
        found.append(pip_audit.job(env, facts.inventory.dependencies, facts.pins))
    if request.sbom and (request.image or request.image_archive):
        found.append(trivy.sbom_job(env, image=request.image, archive=request.image_archive))
    return found


#: What each of trivy fs's scanners is, as the audit's scanners.
FS_SCANNERS = {"secret": "secrets", "misconfig": "iac", "vuln": "container"}


def scanners_of(tool: str, fs_scanners: Sequence[str]) -> tuple[str, ...]:
    """The audit's scanners a tool's run stands for (`trivy fs` does several at once): when
    the run did not work, those scanners did not run."""
    if tool == "bandit" or tool.startswith("bandit-"):
        return ("code",)
    if tool == "trivy":
        return tuple(FS_SCANNERS[s] for s in fs_scanners)
    return {
        "trivy-inline": ("iac",),
        "trivy-image": ("container",),
        "hadolint": ("iac",),
        "trivy-history": ("secrets",),
        "pip-audit": ("dependencies",),
    }.get(tool, ())


def fs_scans(scanners: Sequence[str], vuln_db: bool, image: bool) -> list[str]:
    """What `trivy fs` looks for in the tree: secrets, misconfigurations, and vulnerabilities
    when the container scanner has no image to scan and the DB is there."""
    found = []
    if "secrets" in scanners:
        found.append("secret")
    if "iac" in scanners:
        found.append("misconfig")
    if "container" in scanners and not image and vuln_db:
        found.append("vuln")
    return found


def notes_before(scanners: Sequence[str], facts: Facts) -> list[str]:
    """What the summary says about the scan's preparation (trivy:ignore comments defused)."""
    return [defused_note(facts.marked)] if "iac" in scanners and facts.marked else []


def notes_after(scanners: Sequence[str], facts: Facts) -> list[str]:
    """What the summary says about the tree: manifests that could not be read, pins that
    are ranges, Compose files, links leading out, scanner configuration not obeyed."""
    inventory, tree = facts.inventory, facts.tree
    notes = [f"{e}" for e in inventory.errors]
    if inventory.unpinned:
        notes.append(
            f"{len(inventory.unpinned)} requirement(s) not pinned to one version were not "
            "matched (`resolve: true` resolves the ranges of requirements files and of a "
            "pyproject.toml with no lock file): " + _listed(inventory.unpinned)
        )
    if "iac" in scanners and any(compose_file(f) for f in tree.files):
        notes.append("Compose files: their Dockerfiles are checked (trivy, hadolint).")
    if tree.outside:
        notes.append(
            f"{len(tree.outside)} file(s) are links leading out of the audited folder; no "
            "scanner reads them: " + ", ".join(tree.outside[:10])
        )
    notes += config_notes(facts.repo_configs)
    return notes


def _listed(items: Sequence[str]) -> str:
    more = len(items) - SHOWN
    return ", ".join(items[:SHOWN]) + (f" and {more} more" if more > 0 else "")


def defused_note(marked: Sequence[str]) -> str:
    """The note about the trivy:ignore comments that are not obeyed (see `audit.inline`)."""
    return (
        f"trivy:ignore comments in {_listed(marked)} are not obeyed: the findings they would "
        "hide are reported. Accept a finding in the audit's ignore file instead (reason, "
        "expiry)."
    )


def config_notes(configs: Mapping[str, Sequence[str]]) -> list[str]:
    """One note per scanner whose configuration the repository holds (`audit.repoconfig`)."""
    return [
        f"{tool} configuration in the repository is not used ({_listed(paths)}): the audit "
        f"runs {tool} with its own settings. Accept a finding in the audit's ignore file "
        "instead (reason, expiry)."
        for tool, paths in sorted(configs.items())
    ]
