"""Which scanners run and how: detection for `auto`, the jobs, the parallel run, the merge."""

from __future__ import annotations

import fnmatch
import os
import shutil
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from shipyard.runtime import Runner
from shipyard.runtime.environment import child_env
from shipyard.runtime.process import ProcessResult, ProcessTask, run_parallel, run_process

from . import dependencies, inline, repoconfig
from .findings import Finding, merge
from .manifests import Inventory, inventory
from .osv import OsvDatabase
from .paths import inside
from .scanners import (
    ALWAYS_EXCLUDED,
    Job,
    ScanEnv,
    ScanOutput,
    bandit,
    hadolint,
    pip_audit,
    prepare,
    tool,
    trivy,
)
from .scanners import history as git_history

DOCKERFILES = ("Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile", "Containerfile")
COMPOSE = ("docker-compose*.yml", "docker-compose*.yaml", "compose.yml", "compose.yaml")


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


@dataclass
class Audit:
    scanners: list[str]
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    allowlisted: int = 0
    durations: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Tree:
    """The files of the audited folder (POSIX, relative), outside the excluded folders, and
    the links among them that lead out of it (which no scanner reads)."""

    files: list[str]
    outside: list[str]


def walk(root: Path, excluded: Sequence[str]) -> Tree:
    skip = set(excluded)
    found: list[str] = []
    outside: list[str] = []
    for folder, dirs, files in os.walk(root):
        rel_folder = Path(folder).relative_to(root)
        dirs[:] = sorted(
            d for d in dirs if d not in skip and (rel_folder / d).as_posix() not in skip
        )
        for name in sorted(files):
            rel = (rel_folder / name).as_posix()
            path = Path(folder) / name
            if path.is_symlink() and not inside(path, root):
                outside.append(rel)
            else:
                found.append(rel)
    return Tree(found, outside)


def matching(files: Sequence[str], patterns: Sequence[str]) -> list[str]:
    return [f for f in files if any(fnmatch.fnmatch(Path(f).name, p) for p in patterns)]


def detect(files: Sequence[str], inv: Inventory, image: object) -> list[str]:
    """`auto`: the scanners for what the repository has (secrets always); `image` is the
    image reference or archive, if any."""
    found = []
    if inv.files:
        found.append("dependencies")
    if any(f.endswith(".py") for f in files):
        found.append("code")
    found.append("secrets")
    if image:
        found.append("container")
    if matching(files, DOCKERFILES) or matching(files, COMPOSE):
        found.append("iac")
    return found


def prepare_trivy_db(env: ScanEnv, runner: Runner) -> tuple[bool, str | None]:
    """Download or refresh trivy's vulnerability DB in the cache. Returns (usable, warning)."""
    result = run_process(
        trivy.db_argv(env),
        runner=runner,
        cwd=env.neutral_dir,
        timeout=min(env.timeout, 300),
        group="trivy DB",
    )
    if result.ok:
        return True, None
    reason = next(
        (line for line in reversed(result.output.splitlines()) if line.strip()), "no reason"
    )
    if trivy.db_cached(env):
        return True, f"trivy DB could not be refreshed, using the cached one: {reason[-300:]}"
    return False, (
        f"trivy vulnerability DB unavailable, vulnerability scanning skipped: {reason[-300:]}"
    )


def _history_job(req: Request, runner: Runner) -> tuple[Job | None, str | None]:
    env = req.env
    tree = env.temp_dir / "history"
    tree.mkdir(mode=0o700)
    try:
        layout = git_history.lay_out(env.root, tree, child_env(runner.env), env.timeout)
    except git_history.HistoryError as exc:
        return None, f"secrets-history: {exc}"
    warning = None
    if layout.refused:
        warning = (
            f"secrets-history: {len(layout.refused)} path(s) in the history lead out of the "
            "folder they would be written to and were not scanned: "
            + ", ".join(layout.refused[:5])[:500]
        )
    return trivy.history_job(env, tree, layout.origins), warning


def jobs_for(
    req: Request, scanners: Sequence[str], tree: Tree, inv: Inventory, runner: Runner, audit: Audit
) -> list[Job]:
    """The scanners' jobs; what preparing them found goes to `audit`'s warnings and notes."""
    env, jobs, files = req.env, [], tree.files
    if "code" in scanners:
        skip = [str(env.root / rel) for rel in tree.outside]
        jobs += bandit.jobs(env, files, os.cpu_count() or 1, skip)
    fs_scanners = []
    if "secrets" in scanners:
        fs_scanners.append("secret")
    if "iac" in scanners:
        fs_scanners.append("misconfig")
        jobs += _inline_job(env, files, audit)
    vuln_db = False
    if "container" in scanners:
        vuln_db, warning = prepare_trivy_db(env, runner)
        audit.warnings += [warning] if warning else []
        if req.image or req.image_archive:
            jobs.append(
                trivy.image_job(env, vuln_db=vuln_db, image=req.image, archive=req.image_archive)
            )
        elif vuln_db:
            fs_scanners.append("vuln")
    if fs_scanners:
        jobs.append(trivy.fs_job(env, fs_scanners, vuln_db=vuln_db))
    dockerfiles = matching(files, DOCKERFILES)
    if "iac" in scanners and dockerfiles:
        jobs.append(hadolint.job(env, dockerfiles))
    if "secrets" in scanners and req.secrets_history:
        job, warning = _history_job(req, runner)
        jobs += [job] if job else []
        audit.warnings += [warning] if warning else []
    if "dependencies" in scanners and req.vulnerability_db is None and inv.dependencies:
        jobs.append(pip_audit.job(env, inv.dependencies, env.temp_dir / "pinned.txt"))
    return jobs


def _inline_job(env: ScanEnv, files: Sequence[str], audit: Audit) -> list[Job]:
    """A second misconfiguration scan of the folders whose trivy:ignore comments trivy would
    obey (see `audit.inline`)."""
    marked = inline.with_marker(env.root, files)
    if not marked:
        return []
    copy = env.temp_dir / "iac-defused"
    inline.defused_copy(env.root, marked, copy)
    audit.notes.append(inline.note(marked))
    return [trivy.defused_job(env, copy)]


def _parse(job: Job, result: ProcessResult) -> ScanOutput:
    if result.timed_out:
        return ScanOutput(warnings=[f"{job.name} timed out after {result.duration:.0f}s"])
    report = job.report
    text = result.output
    if report is not None and report.is_file():
        text = report.read_text(encoding="utf-8", errors="replace")
    return job.parse(result.returncode, text, result.tail(5))


def execute(req: Request, runner: Runner, *, parallel: bool = True) -> Audit:
    """Run the scanners (in parallel, or one after another for comparison) and merge.
    `req.env.temp_dir` is the run's private work directory (the caller removes it)."""
    env = req.env
    prepare(env)
    env.cache_dir.mkdir(parents=True, exist_ok=True)
    tree = walk(env.root, env.excluded)
    inv = inventory(env.root)
    scanners = list(req.scanners or detect(tree.files, inv, req.image or req.image_archive))
    audit = Audit(scanners=scanners)
    try:
        jobs = jobs_for(req, scanners, tree, inv, runner, audit)
        results = _run(req, jobs, inv, scanners, audit, runner, parallel)
        for job, result in zip(jobs, results, strict=True):
            audit.durations[job.name] = result.duration
            _collect(req, audit, _parse(job, result))
    finally:  # the history tree holds every secret ever committed: gone as soon as read
        shutil.rmtree(env.temp_dir / "history", ignore_errors=True)
    audit.notes += _notes(env, scanners, tree, inv)
    audit.findings = merge(audit.findings)
    return audit


def _run(
    req: Request,
    jobs: Sequence[Job],
    inv: Inventory,
    scanners: Sequence[str],
    audit: Audit,
    runner: Runner,
    parallel: bool,
) -> list[ProcessResult]:
    """The scanners' processes, with the offline dependency match in a thread meanwhile."""
    env = req.env
    tasks = [ProcessTask(job.name, job.argv, cwd=job.cwd, timeout=env.timeout) for job in jobs]
    offline = "dependencies" in scanners and req.vulnerability_db is not None
    with ThreadPoolExecutor(max_workers=1) as pool:
        deps = pool.submit(_offline, req, inv) if offline else None
        if deps is not None and not parallel:
            deps.result()
        results = run_parallel(tasks, runner=runner, max_workers=None if parallel else 1)
        if deps is not None:
            audit.findings, audit.durations["osv"] = deps.result()
    return results


def _collect(req: Request, audit: Audit, out: ScanOutput) -> None:
    audit.warnings += out.warnings
    audit.notes += out.notes
    for finding in out.findings:
        if finding.id.startswith("secret:") and finding.fingerprint in req.allowlist:
            audit.allowlisted += 1
        else:
            audit.findings.append(finding)


def _notes(env: ScanEnv, scanners: Sequence[str], tree: Tree, inv: Inventory) -> list[str]:
    notes = [f"{e}" for e in inv.errors]
    if inv.unpinned:
        notes.append(
            f"{len(inv.unpinned)} requirement(s) not pinned to one version were not matched: "
            + ", ".join(inv.unpinned[:10])
        )
    if "iac" in scanners and matching(tree.files, COMPOSE):
        notes.append("Compose files: their Dockerfiles are checked (trivy, hadolint).")
    if tree.outside:
        notes.append(
            f"{len(tree.outside)} file(s) are links leading out of the audited folder; no "
            "scanner reads them: " + ", ".join(tree.outside[:10])
        )
    notes += repoconfig.notes(repoconfig.found(env.root, tree.files, scanners))
    return notes


def _offline(req: Request, inv: Inventory) -> tuple[list[Finding], float]:
    assert req.vulnerability_db is not None
    started = time.monotonic()
    found = dependencies.scan(OsvDatabase(req.vulnerability_db), inv.dependencies)
    return found, time.monotonic() - started


__all__ = ["ALWAYS_EXCLUDED", "Audit", "Request", "detect", "execute", "tool"]
