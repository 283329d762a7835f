"""The scan (the I/O of an audit): prepare the work directory, walk the tree once, find out
what the plan needs (trivy's DB, the history laid out, trivy:ignore comments defused, the
pins written), run the scanners in parallel with the offline dependency match beside them,
and merge what they found."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from shipyard.findings.files import SourceLines, sizes, walk
from shipyard.findings.kinds import Tree, python_source
from shipyard.findings.model import Finding
from shipyard.findings.runner import run_tools
from shipyard.findings.tool import Tool, ToolRun
from shipyard.runtime import Runner
from shipyard.runtime.environment import child_env
from shipyard.runtime.process import run_process

from . import dependencies, inline, plan, repoconfig
from .manifests import Inventory, inventory, manifests_in
from .merge import merge
from .osv import OsvDatabase
from .outcome import Audit
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
    try:
        facts = find_out(request, scanners, tree, deps, runner, audit)
        audit.notes += plan.notes_before(scanners, facts)
        tools = plan.tools(request, scanners, facts)
        runs = _run(request, tools, deps, scanners, audit, runner, parallel)
        for run in runs:
            audit.durations[run.name] = run.seconds
            collect(request, audit, run)
        audit.runs = runs
    finally:  # the history tree holds every secret ever committed: gone as soon as read
        shutil.rmtree(env.temp_dir / "history", ignore_errors=True)
    audit.notes += plan.notes_after(scanners, facts)
    audit.findings = merge(audit.findings)
    return audit


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
    history = None
    if "secrets" in scanners and request.secrets_history:
        history, warning = lay_out_history(env, runner)
        audit.warnings += [warning] if warning else []
    pins = None
    if "dependencies" in scanners and request.vulnerability_db is None and deps.dependencies:
        pins = env.temp_dir / "pinned.txt"
        pins.write_text(pip_audit.pins(deps.dependencies), encoding="utf-8")
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
            audit.findings, audit.durations["osv"] = matched.result()
    return runs


def collect(request: Request, audit: Audit, run: ToolRun) -> None:
    """A scanner's run into the audit: a run that did not work is a warning."""
    if run.status == "timed-out":
        audit.warnings.append(f"{run.name} timed out after {run.seconds:.0f}s")
        return
    if run.status == "crashed":
        audit.warnings.append(run.reason)
        return
    audit.warnings += run.warnings
    audit.notes += run.notes
    for finding in run.findings:
        if finding.rule.startswith("secret:") and finding.fingerprint in request.allowlist:
            audit.allowlisted += 1
        else:
            audit.findings.append(finding)


def _offline(request: Request, deps: Inventory) -> tuple[list[Finding], float]:
    assert request.vulnerability_db is not None
    started = time.monotonic()
    found = dependencies.scan(OsvDatabase(request.vulnerability_db), deps.dependencies)
    return found, time.monotonic() - started
