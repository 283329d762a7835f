"""Which scanners run and how: detection for `auto`, the jobs, the parallel run, the merge."""

from __future__ import annotations

import fnmatch
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from shipyard.runtime import Runner
from shipyard.runtime.process import ProcessResult, ProcessTask, run_parallel, run_process

from . import dependencies
from .findings import Finding, merge
from .manifests import Inventory, inventory
from .osv import OsvDatabase
from .scanners import (
    ALWAYS_EXCLUDED,
    Job,
    ScanEnv,
    ScanOutput,
    bandit,
    hadolint,
    pip_audit,
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
    image: str | None = None
    secrets_history: bool = False
    allowlist: frozenset[str] = frozenset()


@dataclass
class Audit:
    scanners: list[str]
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    allowlisted: int = 0
    durations: dict[str, float] = field(default_factory=dict)


def walk(root: Path, excluded: Sequence[str]) -> list[str]:
    """Every file under root (POSIX, relative), outside the excluded folders."""
    skip = set(excluded)
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        rel_folder = Path(folder).relative_to(root)
        dirs[:] = sorted(
            d for d in dirs if d not in skip and (rel_folder / d).as_posix() not in skip
        )
        found += [(rel_folder / f).as_posix() for f in sorted(files)]
    return found


def matching(files: Sequence[str], patterns: Sequence[str]) -> list[str]:
    return [f for f in files if any(fnmatch.fnmatch(Path(f).name, p) for p in patterns)]


def detect(files: Sequence[str], inv: Inventory, image: str | None) -> list[str]:
    """`auto`: the scanners for what the repository has (secrets always)."""
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
        trivy.db_argv(env), runner=runner, timeout=min(env.timeout, 300), group="trivy DB"
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
    result = run_process(
        ["git", "-C", str(env.root), *git_history.GIT_LOG],
        runner=runner,
        echo=False,
        timeout=env.timeout,
    )
    if not result.ok:
        return None, f"secrets-history: git log failed: {result.tail(3)}"
    tree = env.temp_dir / "history"
    origins = git_history.lay_out(result.output, tree)
    return trivy.history_job(env, tree, origins), None


def jobs_for(
    req: Request, scanners: Sequence[str], files: Sequence[str], inv: Inventory, runner: Runner
) -> tuple[list[Job], list[str]]:
    env, jobs, warnings = req.env, [], []
    if "code" in scanners:
        jobs += bandit.jobs(env, files, os.cpu_count() or 1)
    fs_scanners = []
    if "secrets" in scanners:
        fs_scanners.append("secret")
    if "iac" in scanners:
        fs_scanners.append("misconfig")
    vuln_db = False
    if "container" in scanners:
        vuln_db, warning = prepare_trivy_db(env, runner)
        warnings += [warning] if warning else []
        if req.image:
            jobs.append(trivy.image_job(env, req.image, vuln_db=vuln_db))
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
        warnings += [warning] if warning else []
    if "dependencies" in scanners and req.vulnerability_db is None and inv.dependencies:
        jobs.append(pip_audit.job(env, inv.dependencies, env.temp_dir / "pinned.txt"))
    return jobs, warnings


def _parse(job: Job, result: ProcessResult) -> ScanOutput:
    if result.timed_out:
        return ScanOutput(warnings=[f"{job.name} timed out after {result.duration:.0f}s"])
    report = job.report
    text = result.output
    if report is not None and report.is_file():
        text = report.read_text(encoding="utf-8", errors="replace")
    return job.parse(result.returncode, text, result.tail(5))


def execute(req: Request, runner: Runner, *, parallel: bool = True) -> Audit:
    """Run the scanners (in parallel, or one after another for comparison) and merge."""
    env = req.env
    env.temp_dir.mkdir(parents=True, exist_ok=True)
    env.cache_dir.mkdir(parents=True, exist_ok=True)
    files = walk(env.root, env.excluded)
    inv = inventory(env.root)
    scanners = list(req.scanners or detect(files, inv, req.image))
    audit = Audit(scanners=scanners)
    jobs, audit.warnings = jobs_for(req, scanners, files, inv, runner)
    tasks = [ProcessTask(job.name, job.argv, cwd=job.cwd, timeout=env.timeout) for job in jobs]
    offline = "dependencies" in scanners and req.vulnerability_db is not None
    with ThreadPoolExecutor(max_workers=1) as pool:
        deps = pool.submit(_offline, req, inv) if offline else None
        if deps is not None and not parallel:
            deps.result()
        results = run_parallel(tasks, runner=runner, max_workers=None if parallel else 1)
        if deps is not None:
            audit.findings, audit.durations["osv"] = deps.result()
    for job, result in zip(jobs, results, strict=True):
        audit.durations[job.name] = result.duration
        out = _parse(job, result)
        audit.warnings += out.warnings
        audit.notes += out.notes
        for finding in out.findings:
            if finding.id.startswith("secret:") and finding.fingerprint in req.allowlist:
                audit.allowlisted += 1
            else:
                audit.findings.append(finding)
    audit.notes += [f"{e}" for e in inv.errors]
    if inv.unpinned:
        audit.notes.append(
            f"{len(inv.unpinned)} requirement(s) not pinned to one version were not matched: "
            + ", ".join(inv.unpinned[:10])
        )
    if "iac" in scanners and matching(files, COMPOSE):
        audit.notes.append("Compose files: their Dockerfiles are checked (trivy, hadolint).")
    audit.findings = merge(audit.findings)
    return audit


def _offline(req: Request, inv: Inventory) -> tuple[list[Finding], float]:
    assert req.vulnerability_db is not None
    started = time.monotonic()
    found = dependencies.scan(OsvDatabase(req.vulnerability_db), inv.dependencies)
    return found, time.monotonic() - started


__all__ = ["ALWAYS_EXCLUDED", "Audit", "Request", "detect", "execute", "tool"]
