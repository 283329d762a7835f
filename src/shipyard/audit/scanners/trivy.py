"""trivy: secrets and misconfigurations (offline, embedded checks), vulnerabilities of the
filesystem or an image (with its DB, cached in the tool cache), read from `-f json`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

from shipyard.findings.kinds import relative
from shipyard.findings.model import LineText, ParseError
from shipyard.findings.parsers import trivy as parser
from shipyard.findings.tool import Output, Parsed, Tool

from ..places import path_of
from . import ALWAYS_EXCLUDED, Lines, ScanEnv, no_report

#: How a target of a scanned tree is shown, and the root its lines are read from (None:
#: not read): history scans map the tree's files to commit:path, image scans to image:path.
PathMap = Callable[[str], tuple[str, Path | None]]


def own_config(env: ScanEnv) -> list[str]:
    """shipyard's own trivy configuration: never a trivy.yaml, trivy-secret.yaml or
    .trivyignore of the repository (trivy looks for those in its working directory, which is
    an empty one; see `ScanEnv.neutral_dir`)."""
    return [
        "--config",
        str(env.config("trivy.yaml")),
        "--secret-config",
        str(env.config("trivy-secret.yaml")),
        "--ignorefile",
        str(env.config("trivyignore")),
    ]


def db_argv(env: ScanEnv) -> tuple[str, ...]:
    """Download (or refresh) the vulnerability DB into the cache; trivy skips a fresh one.
    Run from `env.neutral_dir`: a repository's trivy.yaml must not choose where the DB of the
    (shared) tool cache comes from."""
    return (
        env.tool("trivy"),
        "image",
        "--download-db-only",
        "--config",
        str(env.config("trivy.yaml")),
        "--cache-dir",
        str(env.cache_dir),
        "--disable-telemetry",
        "--skip-version-check",
        "-q",
    )


def db_file(env: ScanEnv) -> Path:
    """Where trivy keeps its vulnerability DB in the cache."""
    return env.cache_dir / "db" / "trivy.db"


def _common(env: ScanEnv, scanners: list[str], vuln_db: bool, report: Path) -> list[str]:
    argv = [
        *own_config(env),
        # Findings a trivy-specific suppression (an inline trivy:ignore comment) would hide
        # are listed apart; `parse` reports them like the others.
        "--show-suppressed",
        "--output",
        str(report),
        "--cache-dir",
        str(env.cache_dir),
        "--cache-backend",
        "memory",
        "--format",
        "json",
        "--quiet",
        "--scanners",
        ",".join(scanners),
        "--skip-check-update",
        # No calls home from a CI job: no telemetry, no version check.
        "--disable-telemetry",
        "--skip-version-check",
        "--timeout",
        f"{int(env.timeout)}s",
        # The DB is prepared (or found cached) once before the scans: `db_argv`.
        "--skip-db-update",
    ]
    if "vuln" in scanners and not vuln_db:
        raise ValueError("vulnerability scanning needs the trivy DB")
    return argv


def fs_job(
    env: ScanEnv, lines: Lines, scanners: list[str], *, vuln_db: bool, name: str = "trivy"
) -> Tool:
    """`trivy fs` over the repository with the given scanners (secret, misconfig, vuln)."""
    report = env.temp_dir / f"{name}.json"
    argv = [env.tool("trivy"), "fs", *_common(env, scanners, vuln_db, report)]
    for folder in env.excluded:
        argv += ["--skip-dirs", folder]
        if folder in ALWAYS_EXCLUDED:  # also nested ones (trivy matches globs from the root)
            argv += ["--skip-dirs", f"**/{folder}"]
    argv.append(str(env.root))

    def mapping(path: str) -> tuple[str, Path | None]:
        return relative(path, env.root), env.root

    return _tool(env, name, argv, mapping, report, lines=lines)


def defused_job(env: ScanEnv, lines: Lines, copy: Path) -> Tool:
    """Misconfigurations of the folders copied with their `trivy:ignore` comments defused
    (see `audit.inline`), reported at the repository's paths."""
    report = env.temp_dir / "trivy-inline.json"
    argv = (env.tool("trivy"), "fs", *_common(env, ["misconfig"], False, report), str(copy))

    def mapping(path: str) -> tuple[str, Path | None]:
        return relative(path, copy), env.root

    return _tool(env, "trivy-inline", argv, mapping, report, lines=lines)


def image_job(
    env: ScanEnv, *, vuln_db: bool, image: str | None = None, archive: Path | None = None
) -> Tool:
    """`trivy image` on a reference (docker daemon, then registry) or, given `archive`, on an
    archive file (`docker save` or OCI layout tarball). Which one is the input's choice
    (`image` or `image-archive`), never what happens to exist in the tree."""
    if (image is None) == (archive is None):
        raise ValueError("one of image and archive")
    scanners = ["vuln", "secret"] if vuln_db else ["secret"]
    report = env.temp_dir / "trivy-image.json"
    target = ("--input", str(archive)) if archive is not None else ("--", str(image))
    argv = (env.tool("trivy"), "image", *_common(env, scanners, vuln_db, report), *target)
    shown = archive.name if archive is not None else str(image)
    given = str(archive) if archive is not None else str(image)

    def mapping(path: str) -> tuple[str, Path | None]:
        return f"{shown}:{path}" if path and path != given else shown, None

    return _tool(env, "trivy-image", argv, mapping, report)


def history_job(env: ScanEnv, lines: Lines, tree: Path, origins: Mapping[str, str]) -> Tool:
    """Secrets in the git history: `tree` holds each commit's added lines (see history.py)."""
    report = env.temp_dir / "trivy-history.json"
    argv = (env.tool("trivy"), "fs", *_common(env, ["secret"], False, report), str(tree))

    def mapping(path: str) -> tuple[str, Path | None]:
        rel = relative(path, tree)
        return origins.get(rel, rel), None

    return _tool(env, "trivy-history", argv, mapping, report, lines=lines, tree=tree)


def _tool(
    env: ScanEnv,
    name: str,
    argv: list[str] | tuple[str, ...],
    mapping: PathMap,
    report: Path,
    *,
    lines: Lines | None = None,
    tree: Path | None = None,
) -> Tool:
    read = partial(parse, mapping=mapping, lines=lines, lines_root=tree, tree=tree)
    return Tool(name, tuple(argv), read, cwd=env.neutral_dir, timeout=env.timeout, report=report)


def parse(
    output: Output,
    mapping: PathMap,
    *,
    lines: Lines | None = None,
    lines_root: Path | None = None,
    tree: Path | None = None,
) -> Parsed:
    """trivy's report as audit findings, at the paths `mapping` shows; a secret is identified
    by the text of its line, read (`lines`) from the scanned copy (`tree`, for the history)
    or the repository. Findings a trivy-specific suppression would hide are reported, with a
    note."""
    try:
        data = parser.load(output.text)
    except ParseError:
        raise ParseError(no_report("trivy", output)) from None
    readers: dict[Path, LineText] = {}

    def place(target: str) -> tuple[str, str]:
        shown, _root = mapping(target)
        return shown, path_of(shown)

    def line_text(target: str, line: int | None) -> str:
        shown, root = mapping(target)
        base = root or lines_root
        if base is None or lines is None:
            return ""
        local = relative(target, tree) if tree is not None else shown
        return readers.setdefault(base, lines(base))(local, line)

    findings = parser.findings(data, place, line_text)
    overridden = parser.overridden(data)
    notes = []
    if overridden:
        sources = ", ".join(sorted(set(overridden)))[:200]
        notes.append(
            f"{len(overridden)} finding(s) that the repository tells trivy to ignore "
            f"({sources}) are reported all the same: only the audit's ignore file ignores."
        )
    return Parsed(findings, notes=notes)


def sbom_job(env: ScanEnv, *, image: str | None = None, archive: Path | None = None) -> Tool:
    """trivy's CycloneDX SBOM of the image (`trivy image --format cyclonedx`: its packages,
    found offline, no vulnerability DB needed); the SBOM merges it (`audit.sbom`)."""
    if (image is None) == (archive is None):
        raise ValueError("one of image and archive")
    report = sbom_report(env)
    target = ("--input", str(archive)) if archive is not None else ("--", str(image))
    argv = (
        env.tool("trivy"),
        "image",
        *own_config(env),
        "--format",
        "cyclonedx",
        "--output",
        str(report),
        "--cache-dir",
        str(env.cache_dir),
        "--cache-backend",
        "memory",
        "--quiet",
        "--disable-telemetry",
        "--skip-version-check",
        "--skip-db-update",
        "--timeout",
        f"{int(env.timeout)}s",
        *target,
    )
    return Tool(
        "trivy-sbom", argv, parse_sbom, cwd=env.neutral_dir, timeout=env.timeout, report=report
    )


def sbom_report(env: ScanEnv) -> Path:
    """Where trivy writes the image's SBOM."""
    return env.temp_dir / "trivy-sbom.json"


def parse_sbom(output: Output) -> Parsed:
    """trivy's SBOM is read by the SBOM's builder; here it is only checked to be one."""
    import json

    try:
        data = json.loads(output.text)
    except ValueError:
        data = None
    if not isinstance(data, dict) or data.get("bomFormat") != "CycloneDX":
        raise ParseError(no_report("trivy (SBOM)", output))
    return Parsed()
