"""The scan (the I/O of an audit): prepare the work directory, walk the tree once, resolve
the dependency files' ranges (uv), find out what the plan needs (trivy's DB, the history laid
out, trivy:ignore comments defused, the pins written), run the scanners in parallel with the
offline dependency match beside them, and merge what they found. A scanner that could not
run is recorded as unavailable (the gate decides what that means)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from shipyard.findings.files import SourceLines, sizes, walk
from shipyard.findings.kinds import Tree, python_source
from shipyard.findings.model import Finding
from shipyard.findings.runner import run_tools
from shipyard.findings.tool import Tool, ToolRun
from shipyard.runtime import Runner
from shipyard.runtime.environment import child_env
from shipyard.runtime.process import run_process

from . import databases, dependencies, inline, plan, repoconfig, resolution, resolver
from .manifests import inventory, manifests_in
from .merge import merge
from .osv import OsvDatabase
from .outcome import Audit, Database, Unavailable
from .pins import Inventory
from .plan import Facts, History, Request
from .scanners import ALWAYS_EXCLUDED, ScanEnv, pip_audit, prepare, trivy
from .scanners import history as git_history


def scan(request: Request, runner: Runner, *, parallel: bool = True) -> Audit:
    """Run the scanners (in parallel, or one after another for comparison) and merge.
    `request.env.temp_dir` is the run's private work directory (the caller removes it)."""
    env = request.env
    prepare(env)
    env.cache_dir.mkdir(parents=True, exist_ok=True)
    walked = walk(env.root, ALWAYS_EXCLUDED)
    tree = walked.without(env.exclude)
    deps = inventory(env.root, manifests_in(env.root, walked))
    image = request.image or request.image_archive
    scanners = list(request.scanners or plan.detect(tree.files, deps, image))
    audit = Audit(scanners=scanners)
    if request.resolve and ("dependencies" in scanners or request.sbom):
        resolve_ranges(deps, env, runner, audit)
    try:
        facts = find_out(request, scanners, tree, deps, runner, audit)
        audit.notes += plan.notes_before(scanners, facts)
        tools = plan.tools(request, scanners, facts)
        runs = _run(request, tools, deps, scanners, audit, runner, parallel)
        fs_scanners = plan.fs_scans(scanners, facts.vuln_db, bool(image))
        for run in runs:
            audit.durations[run.name] = run.seconds
            collect(request, audit, run, plan.scanners_of(run.name, fs_scanners))
        audit.runs = runs
    finally:  # the history tree holds every secret ever committed: gone as soon as read
        shutil.rmtree(env.temp_dir / "history", ignore_errors=True)
    audit.notes += plan.notes_after(scanners, facts)
    audit.findings = merge(audit.findings)
    audit.dependencies, audit.places = list(deps.dependencies), deps.places
    sbom = trivy.sbom_report(env)
    if request.sbom and image and sbom.is_file():
        audit.image_sbom = sbom.read_text(encoding="utf-8", errors="replace")
        audit.image_name = request.image or (request.image_archive or Path()).name
    return audit


def resolve_ranges(deps: Inventory, env: ScanEnv, runner: Runner, audit: Audit) -> None:
    """The ranges of the dependency files resolved with uv: their pins join the inventory
    (what is matched, and the SBOM); a file that could not be resolved is a warning."""
    jobs = resolution.jobs(deps)
    if not jobs:
        return
    started = time.monotonic()
    audit.index = resolution.index_shown(runner.env)
    audit.resolved = resolver.resolve(jobs, env, runner)
    audit.durations["uv (resolve)"] = time.monotonic() - started
    done: dict[str, tuple[str, ...]] = {}
    for job, resolved in zip(jobs, audit.resolved, strict=True):
        audit.warnings += [resolved.warning] if resolved.warning else []
        for pin in resolved.pins:
            deps.add(pin)
        if resolved.pins:
            done[job.file] = job.left_out
    deps.unpinned = [u for u in deps.unpinned if not _resolved(u, done)]


def _resolved(unpinned: str, done: dict[str, tuple[str, ...]]) -> bool:
    """Whether an unpinned entry ("file: name") was resolved (a URL never is)."""
    from packaging.utils import canonicalize_name

    file, _, name = unpinned.partition(": ")
    return file in done and canonicalize_name(name) not in done[file]


def find_out(
    request: Request,
    scanners: Sequence[str],
    tree: Tree,
    deps: Inventory,
    runner: Runner,
    audit: Audit,
) -> Facts:
    """What the plan needs from the disk and the tools; warnings go to `audit`."""
    env = request.env
    marked = inline.with_marker(env.root, tree.files) if "iac" in scanners else []
    defused = None
    if marked:
        defused = env.temp_dir / "iac-defused"
        inline.defused_copy(env.root, marked, defused)
    vuln_db = False
    if "container" in scanners:
        vuln_db, warning = prepare_trivy_db(env, runner)
        audit.warnings += [warning] if warning else []
        if vuln_db:
            audit.databases.append(
                databases.trivy_db(trivy.db_file(env).with_name("metadata.json"))
            )
        else:
            audit.unavailable.append(
                Unavailable("container", "trivy vulnerability DB", warning or "")
            )
    history = None
    if "secrets" in scanners and request.secrets_history:
        history, warning = lay_out_history(env, runner)
        audit.warnings += [warning] if warning else []
        if history is None:
            audit.unavailable.append(Unavailable("secrets", "git history", warning or ""))
    pins = None
    if "dependencies" in scanners and request.vulnerability_db is None and deps.dependencies:
        pins = env.temp_dir / "pinned.txt"
        pins.write_text(pip_audit.pins(deps.dependencies), encoding="utf-8")
        audit.databases.append(Database("OSV's online service (pip-audit)", live=True))
    python = [rel for rel in tree.files if python_source(rel)] if "code" in scanners else []
    return Facts(
        tree=tree,
        inventory=deps,
        lines=lambda root: SourceLines(root).text,
        workers=os.cpu_count() or 1,
        python_sizes=sizes(env.root, python),
        marked=marked,
        defused=defused,
        vuln_db=vuln_db,
        history=history,
        pins=pins,
        repo_configs=repoconfig.found(env.root, tree.files, scanners),
    )


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
    if trivy.db_file(env).is_file():  # from an earlier run
        return True, f"trivy DB could not be refreshed, using the cached one: {reason[-300:]}"
    return False, (
        f"trivy vulnerability DB unavailable, vulnerability scanning skipped: {reason[-300:]}"
    )


def lay_out_history(env: ScanEnv, runner: Runner) -> tuple[History | None, str | None]:
    """Every commit's added lines written under the private work directory, for trivy."""
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
    return History(tree, layout.origins), warning


def _run(
    request: Request,
    tools: Sequence[Tool],
    deps: Inventory,
    scanners: Sequence[str],
    audit: Audit,
    runner: Runner,
    parallel: bool,
) -> list[ToolRun]:
    """The scanners' runs, with the offline dependency match in a thread meanwhile."""
    offline = "dependencies" in scanners and request.vulnerability_db is not None
    with ThreadPoolExecutor(max_workers=1) as pool:
        matched = pool.submit(_offline, request, deps) if offline else None
        if matched is not None and not parallel:
            matched.result()
        runs = run_tools(tools, runner=runner, max_workers=None if parallel else 1)
        if matched is not None:
            audit.findings, audit.durations["osv"], database, records = matched.result()
            audit.databases.append(database)
            if not records:
                reason = "vulnerability-db holds no OSV records (.json, .yaml)"
                audit.warnings.append(reason)
                audit.unavailable.append(Unavailable("dependencies", "vulnerability-db", reason))
    return runs


def collect(request: Request, audit: Audit, run: ToolRun, scanners: Sequence[str] = ()) -> None:
    """A scanner's run into the audit: a run that did not work is a warning, and the audit's
    `scanners` it stands for did not run."""
    if not run.ok:
        reason = (
            f"{run.name} timed out after {run.seconds:.0f}s"
            if run.status == "timed-out"
            else run.reason
        )
        audit.warnings.append(reason)
        audit.unavailable += [Unavailable(s, run.name, reason) for s in scanners]
        return
    audit.warnings += run.warnings
    audit.notes += run.notes
    for finding in run.findings:
        if finding.rule.startswith("secret:") and finding.fingerprint in request.allowlist:
            audit.allowlisted += 1
        else:
            audit.findings.append(finding)


def _offline(request: Request, deps: Inventory) -> tuple[list[Finding], float, Database, int]:
    """The offline match, and the OSV directory's age and size."""
    assert request.vulnerability_db is not None
    started = time.monotonic()
    found = dependencies.scan(OsvDatabase(request.vulnerability_db), deps.dependencies)
    database, records = databases.osv_directory(request.vulnerability_db, "OSV directory")
    return found, time.monotonic() - started, database, records
