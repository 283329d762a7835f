"""A lint run (the I/O of it): read the repository, plan, locate or install the linters, fix,
lint in parallel. Narrow arguments: the settings, the resolved workspace, the runner, the
run's facts and the HTTP client factory (for the pull request files API)."""

from __future__ import annotations

import difflib
import json
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from shipyard.findings.model import Finding
from shipyard.runtime import ExternalError, RunContext, Runner
from shipyard.runtime.http import HttpClient
from shipyard.runtime.process import run_process

from . import changed, execute, plan, pull, shares
from .config import RepoConfig, load
from .detect import detect
from .execute import Executable
from .lines import PullDiff
from .outcome import LinterRun, LintOutcome
from .repo import Repo, pr_files_pager
from .spec import Settings
from .store import Contents, FindingsCache
from .toolenv import ToolEnv, our_locks, version_of
from .tools import FORMATTERS, LINTERS
from .versions import resolve
from .workspace import Workspace

#: The project's sys.path, printed by its interpreter in isolated mode (-I: no PYTHON*
#: variables, no working directory on sys.path), plus the user site-packages it would add.
SYS_PATH_PROBE = """\
import json, os, site, sys
paths = [p for p in sys.path if p]
user = site.getusersitepackages()
if sys.prefix == sys.base_prefix and not os.environ.get("PYTHONNOUSERSITE"):
    paths += [user] if os.path.isdir(user) else []
print(json.dumps(paths))
"""


def lint(
    settings: Settings,
    ws: Workspace,
    runner: Runner,
    facts: RunContext,
    http: Callable[[str], HttpClient],
) -> LintOutcome:
    """The whole run: what to lint, the linters, the fixes, the findings."""
    repo = Repo(ws.root, runner, Path(ws.workspace))
    files = repo.files()
    config = load(files, repo.read)
    for problem in config.problems:
        runner.annotate("warning", problem, title="lint: unreadable configuration")
    detection = detect(files, config)
    names, reasons = plan.choose(settings, detection)
    files_api = pull_files_api(settings, facts, http) if facts.repository else None
    scope = scope_of(settings, facts, repo, files_api)
    selected = plan.select(files, settings.paths, settings.exclude)
    targets = plan.targets(
        names,
        selected,
        scope.files,
        settings.whole_project,
        config.excludes,
        {"mypy": config.mypy_files} if config.mypy_files else None,
    )
    executables = locate(settings, ws, runner, [t.linter for t in targets if t.files], config)
    targets = ruff_discovery(targets, executables, ws, runner)
    diff = fix(ws, runner, targets, executables) if settings.fix else ""
    if settings.fix:
        ws.diff_file.parent.mkdir(parents=True, exist_ok=True)
        ws.diff_file.write_text(diff, encoding="utf-8")
    pr = pull.pull_diff(settings, facts, repo, files_api)
    runs, cores = lint_files(
        settings, ws, runner, targets, executables, frozenset(selected), files, pr
    )
    review = pull.post_review(settings, facts, http, runner, repo=repo, diff=pr, runs=runs)
    return LintOutcome(
        summary_title=f"{sum(len(run.findings) for run in runs)} findings",
        runs=tuple(runs),
        reasons=reasons,
        scope=scope.how,
        prefix=repo.prefix(ws.workspace),
        diff=diff,
        diff_file=str(ws.diff_file) if settings.fix else "",
        sarif_file=ws.sarif_file,
        skipped=plan.skipped(settings, detection),
        cores=cores,
        lines=pr.how if pr is not None and settings.changed_lines_only else "",
        review=review,
    )


def pull_files_api(
    settings: Settings, facts: RunContext, http: Callable[[str], HttpClient]
) -> pull.FilesApi:
    """The PR files API's entries of a pull request, fetched once (files and patches)."""
    fetched: dict[int, list[Mapping[str, object]]] = {}

    def files(number: int) -> list[Mapping[str, object]]:
        if number not in fetched:
            pager = pr_files_pager(http("GitHub"), settings.github_token)
            url = changed.files_url(facts.api_url, facts.repository, number)
            fetched[number] = changed.api_items(pager, url)
        return fetched[number]

    return files


def scope_of(
    settings: Settings, facts: RunContext, repo: Repo, files_api: pull.FilesApi | None
) -> changed.Scope:
    """Every file, or (only-changed) the files the pull request changes: git, else the API."""

    def names(fetch: pull.FilesApi) -> Callable[[int], list[str]]:
        return lambda number: changed.api_names(fetch(number), repo.prefix(facts.workspace))

    try:
        return changed.scope(
            only_changed=settings.only_changed,
            event_name=facts.event_name,
            event=facts.event,
            git=repo.git,
            api=names(files_api) if files_api is not None else None,
        )
    except changed.ChangedFilesError as exc:
        raise ExternalError(str(exc), title="lint: cannot list the changed files") from None


def locate(
    settings: Settings, ws: Workspace, runner: Runner, names: Sequence[str], config: RepoConfig
) -> dict[str, Executable]:
    """Each linter's executable: installed in the cached venvs, or from PATH (install: false)."""
    if not settings.install:
        return {name: on_path(name, ws, runner) for name in names}
    versions = resolve(names, config, our_locks(), dict(settings.versions))
    installed = ToolEnv(ws.cache, runner, ws.env).ensure([versions[name] for name in names])
    return {
        name: Executable(
            name,
            installed[name].executable(LINTERS[name].executable),
            versions[name].version,
            versions[name].source,
            install=installed[name].venv.name,
            # the drivers lock with flock (POSIX); elsewhere each linter runs as installed
            python=installed[name].executable("python") if os.name == "posix" else "",
        )
        for name in names
    }


def on_path(name: str, ws: Workspace, runner: Runner) -> Executable:
    """A linter installed by an earlier step, with the version it prints."""
    linter = LINTERS[name]
    executable = shutil.which(linter.executable, path=ws.env.get("PATH"))
    if executable is None:
        raise ExternalError(
            f"{name} is not on PATH (install: false).",
            title=f"lint: {name} not found",
            hint=f"Install {linter.package} in an earlier step, or set install: true.",
        )
    argv = [executable, *linter.version_args]
    version, said = version_of(runner, argv, ws.env, cwd=str(ws.cache))
    install = f"{os.path.realpath(executable)}\n{said}"
    return Executable(name, executable, version, "PATH", install=install)


def ruff_discovery(
    targets: Sequence[plan.Target],
    executables: Mapping[str, Executable],
    ws: Workspace,
    runner: Runner,
) -> list[plan.Target]:
    """ruff and ruff format get the files ruff itself finds from the root (``ruff check
    --show-files``), as the project's ``ruff check .`` lints them."""
    names = [t.linter for t in targets if t.linter in ("ruff", "ruff-format") and t.files]
    if not names:
        return list(targets)
    ruff = executables[names[0]].path
    listed = run_process(
        [ruff, "check", "--show-files", "."],
        runner=runner,
        cwd=ws.root,
        env=dict(ws.env),
        echo=False,
        separate_stderr=True,
        timeout=120,
    )
    if listed.returncode != 0:
        runner.info(f"lint: ruff --show-files failed (exit {listed.returncode}); files kept.")
        return list(targets)
    found = set()
    for line in listed.stdout.splitlines():
        path = Path(line.strip())
        if path.is_absolute() and path.is_relative_to(ws.root):
            found.add(path.relative_to(ws.root).as_posix())
        elif line.strip():
            found.add(Path(line.strip()).as_posix())
    return plan.discovered(targets, names, found)


def fix(
    ws: Workspace,
    runner: Runner,
    targets: Sequence[plan.Target],
    executables: Mapping[str, Executable],
) -> str:
    """Run the fixers in order on their files; the unified diff of what they changed."""
    touched = plan.fixed_files(targets)
    before = {path: _read(ws.root / path) for path in touched}
    paths = {name: executable.path for name, executable in executables.items()}
    for name, argv in plan.fixes(targets, paths):
        run_process(argv, runner=runner, cwd=ws.root, env=ws.env, group=f"fix: {name}")
    chunks: list[str] = []
    for path in touched:
        after = _read(ws.root / path)
        if after != before[path]:
            chunks += difflib.unified_diff(
                before[path].splitlines(keepends=True),
                after.splitlines(keepends=True),
                f"a/{path}",
                f"b/{path}",
            )
    return "".join(chunks)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def project_sys_path(python: str, ws: Workspace, runner: Runner) -> list[str]:
    """The project interpreter's sys.path (isolated, run in the tool cache); [] on failure."""
    probe = run_process(
        [python, "-I", "-c", SYS_PATH_PROBE],
        runner=runner,
        cwd=str(ws.cache),
        env=dict(ws.env),
        echo=False,
        separate_stderr=True,
        timeout=60,
    )
    try:
        paths = [p for p in json.loads(probe.stdout) if isinstance(p, str)]
    except ValueError:
        return []
    return paths if probe.returncode == 0 else []


def lint_files(
    settings: Settings,
    ws: Workspace,
    runner: Runner,
    targets: Sequence[plan.Target],
    executables: Mapping[str, Executable],
    selected: frozenset[str],
    files: Sequence[str],
    diff: PullDiff | None = None,
) -> tuple[list[LinterRun], str]:
    """Every linter with files to lint, the cached files left out, within the cores; each
    run judged and its findings narrowed (with changed-lines-only, those off the pull
    request's lines set apart as existing); and how the cores were shared (for the log)."""
    running = [target for target in targets if target.files]
    names = [target.linter for target in running]
    python = ws.python if {"mypy", "pylint"} & set(names) else None
    sys_path = project_sys_path(python, ws, runner) if python and "pylint" in names else None
    imports = plan.import_args(python, sys_path)
    contents = Contents(ws.root)
    store = FindingsCache(ws.findings_cache, runner) if ws.findings_cache else None
    units = [
        execute.Unit(t, LINTERS[t.linter], plan.extra_args(settings, t.linter, imports))
        for t in running
    ]
    if store is not None:
        for unit in units:
            if unit.linter.per_file:
                executable = executables[unit.linter.name]
                unit.context = execute.context_of(unit, executable, files, contents, ws.env)
    execute.look_up(units, store, contents)
    setup = execute.Setup(ws.root, ws.env, settings.timeout, execute.cores(), tuple(files))
    results, chosen = execute.run_units(
        units, executables, setup, runner=runner, contents=contents, store=store
    )
    runs = []
    for target in running:
        result = results[target.linter]
        kept, existing = plan.keep(result.run.findings, target, selected), list[Finding]()
        if diff is not None and settings.changed_lines_only:
            spans = diff.spans(formatter=target.linter in FORMATTERS)
            kept, existing = plan.on_changed_lines(kept, spans)
        executable = executables[target.linter]
        runs.append(
            LinterRun.of(
                result.run,
                version=executable.version,
                source=executable.source,
                files=len(target.files),
                findings=tuple(sorted(kept, key=Finding.sort_key)),
                informational=target.linter in settings.informational,
                cached=result.cached,
                workers=result.workers,
                existing=tuple(sorted(existing, key=Finding.sort_key)),
            )
        )
    cores = (
        f"{len(chosen.pieces)} runs on {setup.machine} cores, {shares.described(chosen)}: "
        f"predicted {chosen.seconds:.1f} s, CPU floor {chosen.floor:.1f} s"
    )
    return runs, cores if chosen.pieces else ""
