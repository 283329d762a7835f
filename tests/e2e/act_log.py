"""act's ``--json`` log, parsed into what GitHub would show: :class:`ActRun` ->
:class:`JobResult` -> :class:`StepResult`, with workflow commands, annotations, summaries and
masking as the runner does them (the notes in :mod:`tests.e2e.act` say what act does), and the
harness's errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_ANNOTATION_LEVELS = frozenset({"error", "warning", "notice"})
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
        # act names a called workflow's jobs after the caller job's name, or its id without one
        prefixes = (f"{caller.id}/", f"{caller.name.strip()}/")
        called = [j for j in self.jobs.values() if j is not caller and j.key.startswith(prefixes)]
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


def _tail(text: str, lines: int) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
