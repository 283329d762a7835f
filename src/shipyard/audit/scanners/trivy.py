"""trivy: secrets and misconfigurations (offline, embedded checks), vulnerabilities of the
filesystem or an image (with its DB, cached in the tool cache), read from `-f json`."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .. import severity as sev
from ..findings import Finding, Severity, fingerprint_of
from . import ALWAYS_EXCLUDED, Job, ScanEnv, ScanOutput, read_line, relative, tool
from .history import path_of

#: How a path inside a scanned tree is shown (history scans map temp files to commit:path).
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
        tool("trivy"),
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


def db_cached(env: ScanEnv) -> bool:
    return (env.cache_dir / "db" / "trivy.db").is_file()


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


def fs_job(env: ScanEnv, scanners: list[str], *, vuln_db: bool, name: str = "trivy") -> Job:
    """`trivy fs` over the repository with the given scanners (secret, misconfig, vuln)."""
    report = env.temp_dir / f"{name}.json"
    argv = [tool("trivy"), "fs", *_common(env, scanners, vuln_db, report)]
    for folder in env.excluded:
        argv += ["--skip-dirs", folder]
        if folder in ALWAYS_EXCLUDED:  # also nested ones (trivy matches globs from the root)
            argv += ["--skip-dirs", f"**/{folder}"]
    argv.append(str(env.root))

    def mapping(path: str) -> tuple[str, Path | None]:
        return relative(path, env.root), env.root

    return Job(
        name,
        tuple(argv),
        lambda c, o, e: parse(c, o, e, mapping, "trivy"),
        env.neutral_dir,
        report,
    )


def defused_job(env: ScanEnv, copy: Path) -> Job:
    """Misconfigurations of the folders copied with their `trivy:ignore` comments defused
    (see `audit.inline`), reported at the repository's paths."""
    report = env.temp_dir / "trivy-inline.json"
    argv = (tool("trivy"), "fs", *_common(env, ["misconfig"], False, report), str(copy))

    def mapping(path: str) -> tuple[str, Path | None]:
        return relative(path, copy), env.root

    return Job(
        "trivy-inline",
        argv,
        lambda c, o, e: parse(c, o, e, mapping, "trivy"),
        env.neutral_dir,
        report,
    )


def image_job(
    env: ScanEnv, *, vuln_db: bool, image: str | None = None, archive: Path | None = None
) -> Job:
    """`trivy image` on a reference (docker daemon, then registry) or, given `archive`, on an
    archive file (`docker save` or OCI layout tarball). Which one is the input's choice
    (`image` or `image-archive`), never what happens to exist in the tree."""
    if (image is None) == (archive is None):
        raise ValueError("one of image and archive")
    scanners = ["vuln", "secret"] if vuln_db else ["secret"]
    report = env.temp_dir / "trivy-image.json"
    target = ("--input", str(archive)) if archive is not None else ("--", str(image))
    argv = (tool("trivy"), "image", *_common(env, scanners, vuln_db, report), *target)
    shown = archive.name if archive is not None else str(image)
    given = str(archive) if archive is not None else str(image)

    def mapping(path: str) -> tuple[str, Path | None]:
        return f"{shown}:{path}" if path and path != given else shown, None

    return Job(
        "trivy-image",
        argv,
        lambda c, o, e: parse(c, o, e, mapping, "trivy"),
        env.neutral_dir,
        report,
    )


def history_job(env: ScanEnv, tree: Path, origins: Mapping[str, str]) -> Job:
    """Secrets in the git history: `tree` holds each commit's added lines (see history.py)."""
    report = env.temp_dir / "trivy-history.json"
    argv = (tool("trivy"), "fs", *_common(env, ["secret"], False, report), str(tree))

    def mapping(path: str) -> tuple[str, Path | None]:
        rel = relative(path, tree)
        return origins.get(rel, rel), None

    return Job(
        "trivy-history",
        argv,
        lambda c, o, e: parse(c, o, e, mapping, "trivy", lines_root=tree, tree=tree),
        env.neutral_dir,
        report,
    )


def _severity(vuln: Mapping[str, Any]) -> Severity:
    """The advisory's own CVSS vector when it has one, else trivy's label."""
    vectors = []
    for source in (vuln.get("CVSS") or {}).values():
        for key in ("V40Vector", "V3Vector"):
            if source.get(key):
                vectors.append({"score": source[key]})
    found, _vector = sev.from_osv(vectors)
    return found if found != "unknown" else sev.from_scanner(vuln.get("Severity"))


def _vulnerability(item: Mapping[str, Any], target: str) -> Finding:
    name = str(item.get("PkgName", ""))
    installed = str(item.get("InstalledVersion", ""))
    vid = str(item.get("VulnerabilityID", ""))
    fixed = [v.strip() for v in str(item.get("FixedVersion") or "").split(",") if v.strip()]
    return Finding(
        scanner="trivy",
        id=vid,
        aliases=tuple(str(v) for v in item.get("VendorIDs") or () if v != vid),
        severity=_severity(item),
        message=str(item.get("Title") or item.get("Description") or vid).replace("\n", " "),
        fingerprint=fingerprint_of("dependency", name.lower(), vid),
        package=name,
        installed=installed,
        fixed=tuple(fixed),
        file=target or None,
        title=f"{name} {installed}: {vid}",
        help_uri=item.get("PrimaryURL"),
    )


def _misconfig(item: Mapping[str, Any], rel: str) -> Finding:
    cause = item.get("CauseMetadata") or {}
    line = int(cause.get("StartLine") or 0) or None
    check = str(item.get("ID") or item.get("AVDID") or "trivy-misconfig")
    message = str(item.get("Message") or item.get("Description") or "")
    resolution = item.get("Resolution")
    return Finding(
        scanner="trivy",
        id=check,
        severity=sev.from_scanner(item.get("Severity")),
        message=f"{message} Fix: {resolution}" if resolution else message,
        fingerprint=fingerprint_of("misconfig", check, rel, message),
        file=rel,
        line=line,
        title=str(item.get("Title") or check),
        help_uri=item.get("PrimaryURL"),
    )


def _secret(item: Mapping[str, Any], rel: str, raw_line: str) -> Finding:
    rule = str(item.get("RuleID", "secret"))
    line = int(item.get("StartLine") or 0) or None
    return Finding(
        scanner="trivy",
        id=f"secret:{rule}",
        severity=sev.from_scanner(item.get("Severity")),
        message=f"{item.get('Title', rule)}: {item.get('Match', '')}",
        fingerprint=fingerprint_of("secret", rule, path_of(rel), raw_line),
        file=rel,
        line=line,
        title=str(item.get("Title", rule)),
    )


def parse(
    code: int,
    stdout: str,
    stderr: str,
    mapping: PathMap,
    scanner: str,
    *,
    lines_root: Path | None = None,
    tree: Path | None = None,
) -> ScanOutput:
    try:
        data = json.loads(stdout) if stdout.strip() else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        tail = (stderr or stdout).strip().splitlines()[-1:] or [f"exit code {code}"]
        return ScanOutput(warnings=[f"{scanner} gave no report: {tail[0][:300]}"])
    out = ScanOutput()
    cache: dict[str, list[str]] = {}
    overridden: list[str] = []
    for result in data.get("Results") or []:
        target = str(result.get("Target", ""))
        rel, root = mapping(target)
        base = root or lines_root
        local = relative(target, tree) if tree is not None else rel
        items = _items(result, overridden)
        for kind, item in items:
            if kind == "vulnerability":
                out.findings.append(_vulnerability(item, rel))
            elif kind == "misconfiguration":
                out.findings.append(_misconfig(item, rel))
            elif kind == "secret":
                raw = read_line(base, local, item.get("StartLine"), cache) if base else ""
                out.findings.append(_secret(item, rel, raw or str(item.get("Match", ""))))
    if overridden:
        sources = ", ".join(sorted(set(overridden)))[:200]
        out.notes.append(
            f"{len(overridden)} finding(s) that the repository tells trivy to ignore "
            f"({sources}) are reported all the same: only the audit's ignore file ignores."
        )
    return out


def _items(result: Mapping[str, Any], overridden: list[str]) -> list[tuple[str, Any]]:
    """(kind, item) of every finding of one trivy result, with the ones a trivy-specific
    suppression would hide (`--show-suppressed`); their sources are added to `overridden`."""
    items: list[tuple[str, Any]] = [
        ("vulnerability", v) for v in result.get("Vulnerabilities") or []
    ]
    items += [
        ("misconfiguration", m)
        for m in result.get("Misconfigurations") or []
        if m.get("Status", "FAIL") == "FAIL"
    ]
    items += [("secret", s) for s in result.get("Secrets") or []]
    for modified in result.get("ExperimentalModifiedFindings") or []:
        kind, item = str(modified.get("Type", "")), modified.get("Finding")
        if kind in ("vulnerability", "misconfiguration", "secret") and isinstance(item, dict):
            items.append((kind, item))
            overridden.append(str(modified.get("Source") or "trivy")[:60])
    return items
