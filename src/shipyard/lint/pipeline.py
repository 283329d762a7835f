"""The steps ``__main__`` wires together: choose, locate or install, fix, lint."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from shipyard.runtime import ActionContext, ExternalError, InputError
from shipyard.runtime.process import run_process

from . import changed
from .config import RepoConfig
from .detect import Detection
from .findings import Finding
from .plan import Target, keep
from .repo import Repo, pr_files_pager
from .run import Job, LinterRun, run_linters, split_args
from .spec import Settings
from .toolenv import ToolEnv, cache_root, version_of
from .tools import FIX_ORDER, LINTERS
from .versions import Locked, read_lock, resolve

LOCKS = Path(__file__).resolve().parents[3] / "locks" / "tools" / "lint"
#: File commands a linter must not write to (black writes its own outputs when it sees them).
FILE_COMMANDS = (
    "GITHUB_OUTPUT",
    "GITHUB_ENV",
    "GITHUB_PATH",
    "GITHUB_STATE",
    "GITHUB_STEP_SUMMARY",
)


@dataclass(frozen=True)
class Tool:
    linter: str
    executable: str
    version: str
    source: str


def root_of(ctx: ActionContext[Settings]) -> Path:
    workspace = Path(ctx.run.workspace or ".").resolve()
    root = (workspace / ctx.settings.working_directory).resolve()
    if not root.is_dir():
        raise InputError(
            "working-directory", f"{ctx.settings.working_directory!r} is not a folder."
        )
    return root


def refuse_pull_request_target(ctx: ActionContext[Settings]) -> None:
    """lint runs the repository's code: not with a pull_request_target job's secrets, unless
    the caller says the checkout is safe (allow-pull-request-target)."""
    if ctx.run.event_name == "pull_request_target" and not ctx.settings.allow_pull_request_target:
        raise InputError(
            "allow-pull-request-target",
            "lint does not run on pull_request_target events: it executes code from the "
            "checkout (linter plugins, pylint's init-hook, mypy plugins), and this job holds "
            "the base repository's secrets and a write token.",
            hint="Lint pull requests on the pull_request event. If this job checks out only "
            "trusted code (the base branch), set allow-pull-request-target: true.",
        )


def linter_env(ctx: ActionContext[Settings]) -> dict[str, str]:
    """The linters' environment: no credentials, no workflow file commands, and the linters'
    caches in the tool cache (per repository), so that a warm tool cache also skips the
    files black, ruff and mypy have already checked (unless you set their variables)."""
    env = ctx.child_env()
    for name in FILE_COMMANDS:
        env.pop(name, None)
    repository = "".join(c if c.isalnum() or c in "-_." else "_" for c in ctx.run.repository)
    caches = cache_root(ctx.run.tool_cache) / "caches" / (repository or "local")
    for variable, folder in CACHE_VARIABLES.items():
        env.setdefault(variable, str(caches / folder))
    return env


#: The linters' own caches, moved into the tool cache.
CACHE_VARIABLES = {"BLACK_CACHE_DIR": "black", "RUFF_CACHE_DIR": "ruff", "MYPY_CACHE_DIR": "mypy"}


def choose(settings: Settings, detection: Detection) -> tuple[list[str], dict[str, str]]:
    """The linters to run and why: the detected ones for auto, plus any named."""
    reasons: dict[str, str] = {}
    if "auto" in settings.linters:
        reasons.update(detection.reasons)
    for name in settings.linters:
        if name != "auto":
            reasons.setdefault(name, "the linters input")
    return [name for name in LINTERS if name in reasons], reasons


def scope(ctx: ActionContext[Settings], repo: Repo) -> changed.Scope:
    settings, run = ctx.settings, ctx.run

    def api(number: int) -> list[str]:
        pager = pr_files_pager(ctx.http("GitHub"), settings.github_token)
        url = changed.files_url(run.api_url, run.repository, number)
        return changed.from_api(pager, url, repo.prefix(run.workspace))

    try:
        return changed.scope(
            only_changed=settings.only_changed,
            event_name=run.event_name,
            event=run.event,
            git=repo.git,
            api=api if run.repository else None,
        )
    except changed.ChangedFilesError as exc:
        raise ExternalError(str(exc), title="lint: cannot list the changed files") from None


def our_locks() -> dict[str, Locked]:
    found = {}
    for path in sorted(LOCKS.glob("*.txt")):
        locked = read_lock(path.read_text(encoding="utf-8"), path.stem)
        if locked is not None:
            found[path.stem] = locked
    return found


def tools(
    ctx: ActionContext[Settings], names: Sequence[str], config: RepoConfig
) -> dict[str, Tool]:
    """Each linter's executable: installed in the cached venvs, or from PATH."""
    env = linter_env(ctx)
    if not ctx.settings.install:
        found = {}
        for name in names:
            linter = LINTERS[name]
            executable = shutil.which(linter.executable, path=env.get("PATH"))
            if executable is None:
                raise ExternalError(
                    f"{name} is not on PATH (install: false).",
                    title=f"lint: {name} not found",
                    hint=f"Install {linter.package} in an earlier step, or set install: true.",
                )
            version = version_of(
                ctx.runner, [executable, *linter.version_args], env, cwd=neutral_dir(ctx)
            )
            found[name] = Tool(name, executable, version, "PATH")
        return found
    versions = resolve(names, config, our_locks(), dict(ctx.settings.versions))
    installed = ToolEnv(cache_root(ctx.run.tool_cache), ctx.runner, env).ensure(
        [versions[name] for name in names]
    )
    return {
        name: Tool(
            name,
            installed[name].executable(LINTERS[name].executable),
            versions[name].version,
            versions[name].source,
        )
        for name in names
    }


def fix(
    ctx: ActionContext[Settings], root: Path, plan: Sequence[Target], found: Mapping[str, Tool]
) -> str:
    """Run the fixers in order on their files; the unified diff of what they changed."""
    by_name = {target.linter: target for target in plan}
    touched = sorted(
        {path for name in FIX_ORDER if name in by_name for path in by_name[name].files}
    )
    before = {path: _read(root / path) for path in touched}
    for name in FIX_ORDER:
        target = by_name.get(name)
        argv = LINTERS[name].fix_argv(found[name].executable, target.files) if target else None
        if target and target.files and argv:
            run_process(
                argv, runner=ctx.runner, cwd=root, env=linter_env(ctx), group=f"fix: {name}"
            )
    import difflib

    chunks: list[str] = []
    for path in touched:
        after = _read(root / path)
        if after != before[path]:
            chunks += difflib.unified_diff(
                before[path].splitlines(keepends=True),
                after.splitlines(keepends=True),
                f"a/{path}",
                f"b/{path}",
            )
    return "".join(chunks)


def write_diff(ctx: ActionContext[Settings], diff: str) -> str:
    path = Path(ctx.run.temp_dir) / "shipyard-lint" / "fix.diff"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(diff, encoding="utf-8")
    return str(path)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def project_python(ctx: ActionContext[Settings], env: Mapping[str, str]) -> str | None:
    """The project's interpreter (the python input), or None."""
    choice = ctx.settings.python.strip()
    if choice.lower() == "none":
        return None
    if choice.lower() != "auto":
        found = shutil.which(choice, path=env.get("PATH"))
        if found is None:
            raise InputError("python", f"{choice!r} is not an executable (on PATH or as a path).")
        return found
    return shutil.which("python3", path=env.get("PATH")) or shutil.which(
        "python", path=env.get("PATH")
    )


def neutral_dir(ctx: ActionContext[Settings]) -> str:
    """Where our own probes and installs run: not in the repository, whose files (a
    ``json.py``, a ``uv.toml``) must not change what they do. The lint tool cache."""
    path = cache_root(ctx.run.tool_cache)
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


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


def import_args(
    ctx: ActionContext[Settings], env: Mapping[str, str], names: Sequence[str]
) -> dict[str, tuple[str, ...]]:
    """mypy's --python-executable and pylint's sys.path: the project's installed packages."""
    if not {"mypy", "pylint"} & set(names):
        return {}
    python = project_python(ctx, env)
    if python is None:
        return {}
    extra: dict[str, tuple[str, ...]] = {"mypy": ("--python-executable", python)}
    if "pylint" in names:
        probe = run_process(
            [python, "-I", "-c", SYS_PATH_PROBE],
            runner=ctx.runner,
            cwd=neutral_dir(ctx),
            env=dict(env),
            echo=False,
            separate_stderr=True,
            timeout=60,
        )
        try:
            paths = [p for p in json.loads(probe.stdout) if isinstance(p, str)]
        except ValueError:
            paths = []
        if probe.returncode == 0 and paths:
            hook = f"import sys; sys.path.extend({paths!r})"
            extra["pylint"] = (f"--init-hook={hook}",)
    return extra


def lint(
    ctx: ActionContext[Settings],
    root: Path,
    plan: Sequence[Target],
    found: Mapping[str, Tool],
    selected: frozenset[str],
) -> list[LinterRun]:
    settings = ctx.settings
    env = linter_env(ctx)
    imports = import_args(ctx, env, [t.linter for t in plan if t.files])
    jobs = []
    for target in plan:
        if not target.files:
            continue
        tool = found[target.linter]
        extra = imports.get(target.linter, ()) + split_args(
            settings.args.get(target.linter, ""), target.linter
        )
        argv = LINTERS[target.linter].argv(tool.executable, target.files, extra)
        jobs.append(Job(target.linter, tuple(argv), len(target.files), tool.version, tool.source))
    by_name = {target.linter: target for target in plan}

    def narrow(name: str, findings: list[Finding]) -> list[Finding]:
        return keep(findings, by_name[name], selected)

    return run_linters(
        jobs,
        runner=ctx.runner,
        cwd=str(root),
        env=env,
        timeout=settings.timeout,
        informational=settings.informational,
        root=str(root),
        on_findings=narrow,
    )
