"""The linters run on their targets (the I/O of it): the findings cache looked up, the cores
shared (``shares``), the runs made, a split linter's runs joined, the cache written back."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from shipyard.findings.model import Finding
from shipyard.findings.runner import run_tools
from shipyard.findings.tool import Tool, ToolRun
from shipyard.runtime import Runner

from . import cache, plan, shares
from .cache import Entry
from .store import Contents, FindingsCache, code_digest
from .tools import Linter


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Executable:
    """A linter ready to run: its executable, its version, where the version came from, and
    what it is (its venv, or the executable and all its ``--version`` says: its plugins)."""

    linter: str
    path: str
    version: str
    source: str
    install: str = ""
    #: The Python of the linter's venv (which starts its driver, if it has one); empty for
    #: a linter from PATH.
    python: str = ""


@dataclass
class Unit:
    """One linter's share of the run: its target, what the cache had, what is left to lint."""

    target: plan.Target
    linter: Linter
    extra: tuple[str, ...]
    context: str = ""
    cached: dict[str, Entry] = field(default_factory=dict)
    hits: dict[str, tuple[Finding, ...]] = field(default_factory=dict)
    todo: tuple[str, ...] = ()
    digests: dict[str, str] = field(default_factory=dict)


def context_of(
    unit: Unit,
    identity: Executable,
    files: Sequence[str],
    contents: Contents,
    env: Mapping[str, str],
) -> str:
    """The cache context of a linter's run: its version and install, the action's reading
    code, its arguments, its configuration files' contents (and the tree's module layout for
    those that tell first-party imports), and the variables it reads."""
    linter = unit.linter
    configs = cache.config_files(linter.config, files)
    listed = set(files)
    named = [arg.split("=", 1)[-1] for arg in unit.extra]  # --config=x.cfg, --rcfile x
    configs += [path for path in named if path in listed and path not in configs]
    prefixes = tuple(f"{part.upper()}_" for part in linter.name.split("-")[:1])
    return cache.context_key(
        {
            "format": cache.FORMAT,
            "linter": linter.name,
            "version": identity.version,
            "install": identity.install,
            "code": code_digest(),
            "args": [*linter.args, *unit.extra],
            "config": {path: contents.digest(path) for path in configs},
            "layout": cache.layout(files) if linter.layout else [],
            "env": {
                name: value
                for name, value in sorted(env.items())
                if name.startswith(prefixes) and not name.endswith(("_CACHE_DIR", "_WORKERS"))
            },
        }
    )


def look_up(units: Sequence[Unit], store: FindingsCache | None, contents: Contents) -> None:
    """Fill each unit's cached findings and the files left to lint."""
    for unit in units:
        if store is None or not unit.linter.per_file:
            unit.todo = unit.target.files
            continue
        unit.cached = store.read(unit.linter.name, unit.context)
        unit.digests = contents.digests(unit.target.files)
        unit.hits, misses = cache.lookup(unit.cached, unit.digests)
        unlisted = [path for path in unit.target.files if path not in unit.digests]
        unit.todo = tuple(misses + unlisted)


def jobs(units: Sequence[Unit], contents: Contents, machine: int) -> list[shares.Job]:
    """The planner's view of each unit: its predicted costs, the workers it can use, whether
    it may be cut. A per-file linter's files are put biggest first (in each unit's ``todo``):
    its own workers then end together, and a cut leaves the small files for the tail."""
    found = []
    for unit in units:
        if not unit.todo:
            continue
        sizes = contents.sizes(unit.todo)
        if unit.linter.per_file:
            unit.todo = tuple(sorted(unit.todo, key=lambda path: (-sizes[path], path)))
        weight = unit.linter.weight
        costs = tuple(weight.per_mib * sizes[path] / 2**20 for path in unit.todo)
        cap = machine if unit.linter.workers is not None else 1
        found.append(shares.Job(unit.linter.name, weight.startup, costs, cap, unit.linter.per_file))
    return found


def tools_of(
    pieces: Sequence[shares.Piece],
    units: Mapping[str, Unit],
    executables: Mapping[str, Executable],
    *,
    root: Path,
    env: Mapping[str, str],
    timeout: float,
) -> list[Tool]:
    """One tool per planned run (a linter cut in parts: ``black (1)``, ``black (2)``...)."""
    tools = []
    limits = shares.time_limits(pieces, timeout)
    for index, piece in enumerate(pieces):
        unit, executable = units[piece.linter], executables[piece.linter]
        part = sum(1 for other in pieces[:index] if other.linter == piece.linter) + 1
        parts = sum(1 for other in pieces if other.linter == piece.linter)
        tools.append(
            unit.linter.tool(
                executable.path,
                unit.todo[piece.start : piece.stop],
                unit.extra,
                root=str(root),
                env=env,
                timeout=limits[index],
                workers=piece.workers,
                version=executable.version,
                name=piece.linter if parts == 1 else f"{piece.linter} ({part})",
                own_files=unit.target.own_files,
                nice=piece.nice,
                python=executable.python,
            )
        )
    return tools


def joined(name: str, runs: Sequence[ToolRun]) -> ToolRun:
    """The runs of one linter (cut in parts, or none: every file was cached) as one."""
    if not runs:
        return ToolRun(name, "ok", 0, 0.0)
    if len(runs) == 1:
        return replace(runs[0], name=name)
    bad = next((run for run in runs if run.status != "ok"), None)
    start = min(run.started for run in runs)
    end = max(run.started + run.seconds for run in runs)
    return ToolRun(
        name,
        bad.status if bad else "ok",
        bad.exit_code if bad else max(run.exit_code for run in runs),
        end - start,
        findings=tuple(f for run in runs for f in run.findings),
        warnings=tuple(w for run in runs for w in run.warnings),
        notes=tuple(n for run in runs for n in run.notes),
        reason=bad.reason if bad else "",
        tail=bad.tail if bad else "",
        output=bad.output if bad else "",
        started=start,
    )


def remember(unit: Unit, run: ToolRun, store: FindingsCache, files: Sequence[str]) -> None:
    """Write back the unit's cache: what the run found on the files it linted, with the
    cached entries of the others (nothing when the run did not work)."""
    if run.status != "ok" or not unit.linter.per_file:
        return
    linted = {path: unit.digests[path] for path in unit.todo if path in unit.digests}
    new = cache.entries_of(run.findings, linted, unit.linter.name)
    if new is None:
        return
    hits = {path: unit.cached[path] for path in unit.hits}
    entries = cache.merged(unit.cached, {**hits, **new}, set(files))
    if entries != unit.cached:  # else the document already says it all
        store.write(unit.linter.name, unit.context, entries)


@dataclass(frozen=True)
class Result:
    """One linter's run: judged, with the cached findings joined in, and how it ran."""

    run: ToolRun
    cached: int
    workers: int


@dataclass(frozen=True)
class Setup:
    """Where and how the runs happen."""

    root: Path
    env: Mapping[str, str]
    timeout: float
    machine: int  # cores
    files: tuple[str, ...]  # the tree's files (the cache keeps entries of these)


def run_units(
    units: Sequence[Unit],
    executables: Mapping[str, Executable],
    setup: Setup,
    *,
    runner: Runner,
    contents: Contents,
    store: FindingsCache | None,
) -> tuple[dict[str, Result], shares.Plan]:
    """Plan the runs of what is left to lint, run them within the machine's cores, join each
    linter's runs and cached findings, and write the cache back."""
    by_name = {unit.linter.name: unit for unit in units}
    chosen = shares.plan(jobs(units, contents, setup.machine), setup.machine)
    tools = tools_of(
        chosen.pieces, by_name, executables, root=setup.root, env=setup.env, timeout=setup.timeout
    )
    runs = run_tools(tools, runner=runner, cores=setup.machine, echo=False)
    results = {}
    for unit in units:
        name = unit.linter.name
        mine = [run for run, piece in zip(runs, chosen.pieces, strict=True) if piece.linter == name]
        run = joined(name, mine)
        if store is not None:
            remember(unit, run, store, setup.files)
        cached = tuple(f for found in unit.hits.values() for f in found)
        workers = max((p.workers for p in chosen.pieces if p.linter == name), default=0)
        results[name] = Result(
            replace(run, findings=cached + run.findings), len(unit.hits), workers
        )
    return results, chosen
