"""A lint run (the I/O of it): read the repository, plan, locate or install the linters, fix,
lint in parallel. Narrow arguments: the settings, the resolved workspace, the runner, the
run's facts and the HTTP client factory (for the pull request files API)."""

from __future__ import annotations

import difflib
import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from shipyard.findings.model import Finding
from shipyard.findings.runner import run_tools
from shipyard.runtime import ExternalError, RunContext, Runner
from shipyard.runtime.http import HttpClient
from shipyard.runtime.process import run_process

from . import changed, plan, pull
from .config import RepoConfig, load
from .detect import detect
from .lines import PullDiff
from .outcome import LinterRun, LintOutcome
from .repo import Repo, pr_files_pager
from .spec import Settings
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


@dataclass(frozen=True)
class Executable:
    """A linter ready to run: its executable, its version and where the version came from."""

    linter: str
    path: str
    version: str
    source: str


def lint(
    settings: Settings,
    ws: Workspace,
    runner: Runner,
    facts: RunContext,
    http: Callable[[str], HttpClient],
) -> LintOutcome:
    """The whole run: what to lint, the linters, the fixes, the findings."""
    repo = Repo(ws.root, runner)
    files = repo.files()
    config = load(files, repo.read)
    for problem in config.problems:
        runner.annotate("warning", problem, title="lint: unreadable configuration")
    names, reasons = plan.choose(settings, detect(files, config))
    files_api = pull_files_api(settings, facts, http) if facts.repository else None
    scope = scope_of(settings, facts, repo, files_api)
    selected = plan.select(files, settings.paths, settings.exclude)
    targets = plan.targets(names, selected, scope.files, settings.whole_project, config.excludes)
    executables = locate(settings, ws, runner, [t.linter for t in targets if t.files], config)
    diff = fix(ws, runner, targets, executables) if settings.fix else ""
    if settings.fix:
        ws.diff_file.parent.mkdir(parents=True, exist_ok=True)
        ws.diff_file.write_text(diff, encoding="utf-8")
    pr = pull.pull_diff(settings, facts, repo, files_api)
    runs = lint_files(settings, ws, runner, targets, executables, frozenset(selected), pr)
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
    version = version_of(runner, argv, ws.env, cwd=str(ws.cache))
    return Executable(name, executable, version, "PATH")


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
    diff: PullDiff | None = None,
) -> list[LinterRun]:
    """Every linter with files to lint, at once; each run judged and its findings narrowed
    (with changed-lines-only, those off the pull request's lines set apart as existing)."""
    running = [target for target in targets if target.files]
    names = [target.linter for target in running]
    python = ws.python if {"mypy", "pylint"} & set(names) else None
    sys_path = project_sys_path(python, ws, runner) if python and "pylint" in names else None
    imports = plan.import_args(python, sys_path)
    tools = [
        LINTERS[target.linter].tool(
            executables[target.linter].path,
            target.files,
            plan.extra_args(settings, target.linter, imports),
            root=str(ws.root),
            env=ws.env,
            timeout=settings.timeout,
        )
        for target in running
    ]
    runs = []
    for target, run in zip(running, run_tools(tools, runner=runner), strict=True):
        kept, existing = plan.keep(run.findings, target, selected), list[Finding]()
        if diff is not None and settings.changed_lines_only:
            spans = diff.spans(formatter=target.linter in FORMATTERS)
            kept, existing = plan.on_changed_lines(kept, spans)
        executable = executables[target.linter]
        runs.append(
            LinterRun.of(
                run,
                version=executable.version,
                source=executable.source,
                files=len(target.files),
                findings=tuple(sorted(kept, key=Finding.sort_key)),
                informational=target.linter in settings.informational,
                existing=tuple(sorted(existing, key=Finding.sort_key)),
            )
        )
    return runs
