"""The audit action's inputs and outputs: the contract, declared once as typed settings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from shipyard.runtime import ActionSpec, InputError, Output
from shipyard.runtime.settings import Duration, Secret, setting

SCANNERS = ("dependencies", "code", "secrets", "container", "iac")


@dataclass(frozen=True)
class Settings:
    """The audit action's inputs, typed and checked."""

    scanners: list[str] = setting(
        "`auto` (what the repository has) or a list of: dependencies, code, secrets, "
        "container, iac.",
        default="auto",
    )
    path: str = setting("The directory to audit, relative to the workspace.", default=".")
    vulnerability_db: str | None = setting(
        "An OSV database directory (e.g. a clone of the PyPA advisory database) for offline "
        "dependency matching. Empty: pip-audit's online services."
    )
    image: str | None = setting(
        "A container image reference to scan with trivy (e.g. build-push's output): the "
        "docker daemon's, else the registry's. Never a file: an archive goes in "
        "`image-archive`."
    )
    image_archive: str | None = setting(
        "An image archive to scan with trivy (`docker save` or OCI tarball), a file in the "
        "workspace. Not together with `image`."
    )
    fail_on_severity: Literal["critical", "high", "medium", "low", "never"] = setting(
        "Fail (exit 1) when a finding at or above this severity is not ignored.",
        default="high",
    )
    unknown_severity: Literal["high", "medium", "low", "ignore"] = setting(
        "How a finding without any severity gates: as high, medium, low, or never (ignore).",
        default="high",
    )
    ignore_file: str = setting(
        "Ignore file (id/alias/fingerprint, reason, expires), relative to `path`.",
        default=".shipyard/audit-ignore.yml",
    )
    ignore_max_days: int = setting(
        "How far ahead an ignore entry's `expires` may be, in days (a later date is an error).",
        default="365",
        minimum=1,
        maximum=3660,
    )
    secrets_history: bool = setting(
        "Also scan the git history for secrets (every commit's added lines).", default="false"
    )
    secrets_allowlist: list[str] = setting(
        "Fingerprints of known, accepted secrets (e.g. test fixtures); they are not reported."
    )
    exclude: list[str] = setting(
        "Folders (relative to `path`) that bandit and trivy skip, besides .git, .venv and "
        "node_modules."
    )
    sarif_file: str | None = setting(
        "Where to write the SARIF report. Empty: shipyard-audit.sarif under RUNNER_TEMP."
    )
    report_issues: bool = setting(
        "Open one GitHub issue per blocking finding, update it while it stays, close it when "
        "it is gone (for scheduled runs; needs `issues: write`).",
        default="false",
    )
    issue_label: str = setting("Label of the issues report-issues manages.", default="security")
    github_token: Secret = setting("Token for report-issues.", yaml_default="${{ github.token }}")
    timeout: Duration = setting("Time limit of each scanner.", default="15m")
    resolve: bool = setting(
        "Resolve requirement files with ranges or unpinned names (and pyproject.toml without a "
        "lock file beside it) to exact versions with uv before matching: wheels only, no "
        "code from the repository runs; against UV_INDEX_URL or PIP_INDEX_URL (else PyPI).",
        default="true",
    )
    ignore_unfixed: bool = setting(
        "A vulnerability whose advisory names no fixed version is reported but does not gate.",
        default="false",
    )
    allow_unavailable: list[str] = setting(
        "Scanners that may fail to run (no database, no network, a crash, a timeout) without "
        "failing the step: a list of dependencies, code, secrets, container, iac, or `all`. "
        "Any other scanner that cannot run fails the step (exit 3)."
    )
    sbom_file: str | None = setting(
        "Where to write a CycloneDX 1.6 JSON SBOM of every dependency found (and the image's "
        "packages with `image`/`image-archive`), relative to the workspace. Empty: none."
    )

    def __post_init__(self) -> None:
        unknown = [s for s in self.scanners if s not in (*SCANNERS, "auto")]
        if unknown:
            raise InputError(
                "scanners",
                f"unknown scanner {unknown[0]!r}",
                hint="Use auto, or a list of: " + ", ".join(SCANNERS) + ".",
            )
        if "auto" in self.scanners and len(self.scanners) > 1:
            raise InputError("scanners", "`auto` cannot be combined with a list of scanners")
        if self.image and self.image_archive:
            raise InputError("image-archive", "give `image` or `image-archive`, not both")
        if self.image:
            check_image_reference(self.image)
        wrong = [s for s in self.allow_unavailable if s not in (*SCANNERS, "all")]
        if wrong:
            raise InputError(
                "allow-unavailable",
                f"unknown scanner {wrong[0]!r}",
                hint="Use all, or a list of: " + ", ".join(SCANNERS) + ".",
            )

    @property
    def wanted(self) -> tuple[str, ...] | None:
        """The scanners asked for; None for auto."""
        if not self.scanners or self.scanners == ["auto"]:
            return None
        return tuple(dict.fromkeys(self.scanners))

    @property
    def may_be_unavailable(self) -> frozenset[str]:
        """The scanners allowed not to run."""
        if "all" in self.allow_unavailable:
            return frozenset(SCANNERS)
        return frozenset(self.allow_unavailable)


#: What an image reference may hold: registry host[:port], path, :tag, @digest.
REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,511}$")
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.zst", ".oci")


def check_image_reference(value: str) -> None:
    """`image` is a reference: a value that looks like a file is an error, never an archive
    found in the tree (the tree must not decide what is scanned)."""
    looks_like_file = value.startswith(("/", ".", "~")) or value.lower().endswith(ARCHIVE_SUFFIXES)
    if looks_like_file or not REFERENCE.match(value) or "//" in value:
        raise InputError(
            "image",
            f"{value!r} is not an image reference"
            + (
                " (it looks like a file; an archive goes in image-archive)"
                if looks_like_file
                else ""
            ),
            hint="Give a reference such as registry.example.com/app:1.2 or app@sha256:...; "
            "an image archive (docker save, OCI tarball) goes in image-archive.",
        )


SPEC = ActionSpec(
    name="audit",
    title="shipyard audit",
    description=(
        "One security gate: dependencies (pip-audit or an offline OSV database, ranges resolved "
        "with uv), code (bandit), secrets and images (trivy), Dockerfiles and compose files "
        "(trivy, hadolint); one SARIF report of every finding, a severity gate, an ignore file, "
        "a CycloneDX SBOM, issues for what blocks."
    ),
    branding=("shield", "red"),
    # trivy's vulnerability DB, pip-audit's cache of advisories and uv (it resolves ranges),
    # refreshed each UTC day
    cache_paths=("shipyard-audit/db", "shipyard-audit/pip-audit", "shipyard/uv"),
    cache_rotate="day",
    settings=Settings,
    outputs=(
        Output("findings", "Number of findings (ignored ones included)."),
        Output("blocking", "Number of findings that fail the gate."),
        Output("critical", "Number of critical findings (not ignored)."),
        Output("high", "Number of high findings (not ignored)."),
        Output("sarif-file", "Path of the SARIF file holding every finding."),
        Output(
            "report",
            "JSON: counts by severity and scanner, the blocking findings, the scanners that "
            "did not run, the resolved pins, the database's age, notes.",
        ),
        Output("sbom-file", "Path of the CycloneDX SBOM (empty when `sbom-file` is not set)."),
    ),
)
