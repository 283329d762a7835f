"""Running an action: flags and env -> typed inputs -> the action -> outputs, summary, exit code.

This is the one place where exceptions become exit codes: a :class:`ShipyardError` becomes an
``::error title=...::`` line, a summary section saying what to do, and its exit code. Nothing
expected ends in a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .cleanup import Cleanup
from .commands import Runner, neutralize_lines, redact_urls
from .context import RunContext
from .environment import (
    INPUTS_FD_VARIABLE,
    child_env,
    parse_inputs_records,
    scrub_env,
    scrub_environ,
)
from .errors import ConfigError, ExitCode, InputError, Outcome, ShipyardError
from .inputs import read_raw
from .spec import ActionSpec
from .summary import Summary, escape_text

if TYPE_CHECKING:
    from pathlib import Path

    from .http import HttpClient
    from .secretfiles import SecretFiles

S = TypeVar("S")


@dataclass
class ActionContext(Generic[S]):
    """What an action's ``run`` receives: its typed settings and the channels to report through.

    ``env`` is the run's one environment, scrubbed of every input variable; ``run`` the
    run's facts (repository, commit, event)."""

    spec: ActionSpec
    settings: S
    run: RunContext
    runner: Runner
    env: Mapping[str, str]
    summary: Summary = field(default_factory=Summary)
    cleanup: Cleanup = field(default_factory=Cleanup)
    outputs: dict[str, str] = field(default_factory=dict)
    _secret_files: SecretFiles | None = field(default=None, repr=False)

    def set_output(self, name: str, value: object, *, redact: bool = True) -> None:
        """Set a declared output (booleans as true/false, other non-strings as JSON);
        ``redact=False`` for a value the action makes itself (see ``Runner.set_output``)."""
        if name not in {out.name for out in self.spec.outputs}:
            raise KeyError(f"{self.spec.name} declares no output named {name!r}")
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, str):
            text = value
        elif value is None:
            text = ""
        else:
            import json

            text = json.dumps(value, separators=(",", ":"))
        self.outputs[name] = text
        self.runner.set_output(name, text, redact=redact)

    def http(self, service: str, *, timeout: float = 30.0, attempts: int = 4) -> HttpClient:
        """An HTTP client whose retries are logged on this run's log (closed by cleanup)."""
        from .http import HttpClient
        from .retry import RetryPolicy

        client = HttpClient(
            timeout=timeout,
            retry=RetryPolicy(attempts=max(1, attempts)),
            log=self.runner.info,
            service=service,
        )
        self.cleanup.push(client.close, f"{service} HTTP session")
        return client

    def secret_file(self, content: str | bytes, *, name: str) -> Path:
        """A 0600 file in a private directory under RUNNER_TEMP, removed at the end."""
        if self._secret_files is None:
            from .secretfiles import SecretFiles

            self._secret_files = SecretFiles(self.run.temp_dir, self.cleanup)
        return self._secret_files.write(content, name=name)

    def child_env(
        self, *, allow: Iterable[str] = (), extra: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """The environment for a child process: ``env`` without credential-looking variables
        (unless named in ``allow``), plus ``extra``."""
        return child_env(self.env, allow=allow, extra=extra)


#: ``run(ctx)``: returns an Outcome or None; a failure is one of the runtime's errors.
ActionFunction = Callable[[ActionContext[Any]], Outcome | None]

EPILOG = (
    "Every input can also be set in the environment as SHIPYARD_INPUT_<NAME> (upper case, "
    "dashes as underscores). Secret inputs are read only from the environment, never from "
    "the command line."
)


def build_parser(spec: ActionSpec) -> argparse.ArgumentParser:
    """``--<input>`` for every input, named exactly as in action.yml; a boolean input given as
    a bare flag (``--dry-run``, with no value after it) means ``true``."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {spec.module}",
        usage=f"python -m {spec.module} [--INPUT VALUE ...] [--summary-file PATH]",
        description=f"{spec.title}: {spec.description}",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for item in spec.inputs:
        default = item.yaml_default if item.yaml_default is not None else item.default
        details = [item.accepts()] if item.kind != "string" else []
        if default not in (None, ""):
            details.append(f"default: {default}")
        if item.required:
            details.append("required")
        if item.secret:
            details.append(f"secret: set {item.env_name}")
        help_text = item.description + (f" [{'; '.join(details)}]" if details else "")
        parser.add_argument(
            f"--{item.name}",
            dest=item.attr,
            metavar="VALUE",
            default=None,
            help=help_text,
            nargs="?" if item.kind == "bool" else None,
            const="true" if item.kind == "bool" else None,
        )
    parser.add_argument(
        "--summary-file",
        metavar="PATH",
        default=None,
        help="Append the job summary to this file (default: GITHUB_STEP_SUMMARY, else stdout).",
    )
    return parser


#: Shorter values of a secret KEY=VALUE input are not masked on their own (masking "1" or "on"
#: would blank every such word in the log); the whole line is still masked.
MIN_MASKED_VALUE = 4


def read_and_mask(
    spec: ActionSpec, flags: Mapping[str, str], env: Mapping[str, str], runner: Runner
) -> dict[str, str]:
    """The raw inputs (flag, else SHIPYARD_INPUT_X, else INPUT_X), every secret masked at once.
    A secret given as a flag is refused."""
    for item in spec.inputs:
        if item.secret and flags.get(item.name):
            raise InputError(
                item.name,
                "is a secret and cannot be given on the command line.",
                hint=f"Set {item.env_name} in the environment instead.",
            )
    raw = read_raw(spec.inputs, flags, env)
    # Mask first: nothing below may print a secret before the runner knows it.
    for item in spec.inputs:
        if item.secret and item.name in raw:
            runner.mask(raw[item.name])
            if item.kind == "keyvalues":  # each VALUE of KEY=VALUE lines is a secret too
                for line in raw[item.name].splitlines():
                    value = line.partition("=")[2].strip()
                    if len(value) >= MIN_MASKED_VALUE:
                        runner.mask(value)
    return raw


def _warn_deprecated(spec: ActionSpec, raw: Mapping[str, str], runner: Runner) -> None:
    for item in spec.inputs:
        if item.deprecation and item.name in raw:
            runner.annotate("warning", f"Input '{item.name}' is deprecated: {item.deprecation}")


def load_settings(spec: ActionSpec, raw: Mapping[str, str], runner: Runner) -> object:
    """The typed settings (None for an action that declares none), after warning about every
    deprecated input used."""
    _warn_deprecated(spec, raw, runner)
    if spec.settings is None:
        return None
    from .settings import parse_settings

    return parse_settings(spec.settings, raw)


def read_inputs_fd(value: str) -> dict[str, str]:
    """The input variables on descriptor ``value`` (``SHIPYARD_INPUTS_FD``), read to its end and
    closed (see :func:`~shipyard.runtime.environment.parse_inputs_records`). The bootstrap moves
    them there so that no process of the step finds them in the initial environment of an
    ancestor (``/proc/<pid>/environ``), which deleting from ``os.environ`` cannot erase."""
    try:
        fd = int(value)
        with os.fdopen(fd, "rb", closefd=True) as stream:
            data = stream.read()
    except (ValueError, OSError) as exc:
        raise ConfigError(
            f"{INPUTS_FD_VARIABLE}={value!r} names no readable file descriptor ({exc}).",
            hint="Start the action through scripts/bootstrap.sh, or unset the variable.",
        ) from None
    return parse_inputs_records(data)


def read_event(env: Mapping[str, str]) -> dict[str, Any]:
    """The event payload at GITHUB_EVENT_PATH; {} when there is none or it cannot be read."""
    import json

    path = env.get("GITHUB_EVENT_PATH", "")
    if not path or not os.path.isfile(path):
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            loaded = json.load(handle)
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def run_context(env: Mapping[str, str]) -> RunContext:
    """The run's facts, read once: ``env`` and the event payload. Off a runner the temporary
    directory is the system's and the tool cache ``~/.cache/shipyard``."""
    import dataclasses

    run = RunContext.from_env(env, read_event(env))
    if not run.temp_dir:
        import tempfile  # off a runner only: tempfile costs start-up time

        run = dataclasses.replace(run, temp_dir=tempfile.gettempdir())
    if not run.tool_cache:
        cache = os.path.join(os.path.expanduser("~"), ".cache", "shipyard")
        run = dataclasses.replace(run, tool_cache=cache)
    return run


def _report_error(spec: ActionSpec, exc: ShipyardError, runner: Runner, summary: Summary) -> int:
    runner.annotate("error", exc.message, title=exc.title)
    summary.heading(f"{spec.title}: {exc.title}", 3).paragraph(exc.message)
    if exc.hint:
        summary.raw(f"**What to do:** {escape_text(exc.hint)}")
    return int(exc.exit_code)


def _report_bug(spec: ActionSpec, exc: Exception, runner: Runner, summary: Summary) -> int:
    """A bug: say so plainly; the traceback is printed redacted of every masked secret and of
    secret-bearing URL parts (userinfo, query strings)."""
    import traceback

    # neutralized too: an exception's message may quote a server's answer
    text = neutralize_lines(redact_urls(runner.redact(traceback.format_exc())))
    sys.stderr.write(text if text.endswith("\n") else text + "\n")
    sys.stderr.flush()
    said = redact_urls(runner.redact(f"{type(exc).__name__}: {exc}"))
    runner.annotate(
        "error",
        f"Unexpected {said}. This is a bug in shipyard; please report it with the log above.",
        title="Internal error",
    )
    summary.heading(f"{spec.title}: internal error", 3).paragraph(said)
    return int(ExitCode.FAILURE)


def _result_code(result: object, runner: Runner) -> int:
    """A success: ``run`` returned an Outcome or None. Anything else (an exit code, as runtime 1
    allowed) is a bug, reported as one: a failure is raised, never returned."""
    if isinstance(result, Outcome):
        if result.summary_title:
            runner.debug(f"outcome: {result.summary_title}")
        return int(ExitCode.OK)
    if result is not None:
        raise TypeError(
            f"run returned {type(result).__name__} {result!r}: return an Outcome or None, "
            "raise one of the runtime's errors to fail"
        )
    return int(ExitCode.OK)


def run_action(
    spec: ActionSpec,
    function: ActionFunction,
    argv: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    runner: Runner | None = None,
) -> int:
    """Parse, run ``function``, report, run the cleanups, and return the exit code (never
    raises for expected failures). Used by every ``shipyard.<action>.__main__.main``."""
    from_process = env is None
    env = dict(os.environ) if env is None else dict(env)
    inputs_fd = env.pop(INPUTS_FD_VARIABLE, None)  # the bootstrap's descriptor: read below
    if from_process:
        os.environ.pop(INPUTS_FD_VARIABLE, None)
    runner = runner or Runner(env=env)
    parser = build_parser(spec)
    try:
        args = parser.parse_args(list(argv) if argv is not None else sys.argv[1:])
    except SystemExit as exc:  # --help (0) or a usage error (2)
        return int(exc.code or 0)
    if args.summary_file:
        env["SHIPYARD_SUMMARY_FILE"] = args.summary_file
    flags = {
        item.name: value for item in spec.inputs if (value := getattr(args, item.attr)) is not None
    }
    cleanup = Cleanup(warn=lambda message: runner.annotate("warning", message))
    summary = Summary()
    code: int = ExitCode.OK
    with cleanup.signals():
        try:
            try:
                if inputs_fd is not None:
                    env.update(read_inputs_fd(inputs_fd))
                raw = read_and_mask(spec, flags, env, runner)
            finally:  # the one environment: no input variable survives the read
                env = scrub_env(env)
                runner.env = env
                if from_process:
                    scrub_environ(os.environ)
            settings = load_settings(spec, raw, runner)
            context: ActionContext[Any] = ActionContext(
                spec, settings, run_context(env), runner, env, summary, cleanup
            )
            code = _result_code(function(context), runner)
        except ShipyardError as exc:
            code = _report_error(spec, exc, runner, summary)
        except KeyboardInterrupt:
            code = ExitCode.FAILURE
            runner.annotate(
                "error", f"{spec.title} was cancelled before it finished.", title="Cancelled"
            )
            summary.heading(f"{spec.title}: cancelled", 3)
        except Exception as exc:  # a bug: say so plainly, keep the (redacted) traceback
            code = _report_bug(spec, exc, runner, summary)
        finally:
            cleanup.run_all()
            _write_summary(summary, runner)
    return code


def _write_summary(summary: Summary, runner: Runner) -> None:
    hidden = runner.budget.summary_line()  # the step's annotations GitHub would not show
    if hidden:
        summary.paragraph(hidden)
    if not summary:
        return
    try:
        runner.write_summary(summary.render())
    except OSError as exc:
        runner.annotate("warning", f"Could not write the job summary: {exc}")


def main_for(
    spec: ActionSpec, function: Callable[[ActionContext[S]], Outcome | None]
) -> Callable[[list[str] | None], int]:
    """Build a module's ``main(argv=None) -> int``."""

    def main(argv: list[str] | None = None) -> int:
        return run_action(spec, function, argv)

    return main


__all__ = [
    "ActionContext",
    "ActionFunction",
    "build_parser",
    "load_settings",
    "main_for",
    "read_and_mask",
    "read_inputs_fd",
    "run_action",
    "run_context",
]
