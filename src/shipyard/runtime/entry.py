"""Running an action: flags and env -> typed inputs -> the action -> outputs, summary, exit code.

This is the one place where exceptions become exit codes: a :class:`ShipyardError` becomes an
``::error title=...::`` line, a summary section saying what to do, and its exit code. Nothing
expected ends in a traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from types import FrameType

from .commands import Runner
from .context import GitHubContext
from .errors import ExitCode, InputError, ShipyardError
from .http import HttpClient, RetryPolicy
from .inputs import Inputs, read_raw
from .spec import ActionSpec
from .summary import Summary, escape_text


@dataclass
class ActionContext:
    """What an action's ``run`` receives: typed inputs and the channels to report through."""

    spec: ActionSpec
    inputs: Inputs
    github: GitHubContext
    runner: Runner
    env: Mapping[str, str]
    summary: Summary = field(default_factory=Summary)
    outputs: dict[str, str] = field(default_factory=dict)

    def set_output(self, name: str, value: object) -> None:
        """Set a declared output (booleans as true/false, other non-strings as JSON)."""
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
        self.runner.set_output(name, text)

    def http(self, service: str, *, timeout: float = 30.0, attempts: int = 4) -> HttpClient:
        """An HTTP client whose retries are logged on this run's log."""
        return HttpClient(
            timeout=timeout,
            retry=RetryPolicy(attempts=max(1, attempts)),
            log=self.runner.info,
            service=service,
        )


ActionFunction = Callable[[ActionContext], "ExitCode | int | None"]

EPILOG = (
    "Every input can also be set in the environment as SHIPYARD_INPUT_<NAME> (upper case, "
    "dashes as underscores). Secret inputs are read only from the environment, never from "
    "the command line."
)


def build_parser(spec: ActionSpec) -> argparse.ArgumentParser:
    """``--<input>`` for every input, named exactly as in action.yml."""
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
            f"--{item.name}", dest=item.attr, metavar="VALUE", default=None, help=help_text
        )
    parser.add_argument(
        "--summary-file",
        metavar="PATH",
        default=None,
        help="Append the job summary to this file (default: GITHUB_STEP_SUMMARY, else stdout).",
    )
    return parser


def load_inputs(
    spec: ActionSpec, flags: Mapping[str, str], env: Mapping[str, str], runner: Runner
) -> Inputs:
    """Read, mask and parse every input; raise InputError naming the first bad one."""
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
    values: dict[str, object] = {}
    for item in spec.inputs:
        text = raw.get(item.name)
        if text is None and item.default not in (None, ""):
            text = item.default
        if text is None:
            if item.required:
                raise InputError(
                    item.name, f"is required but was not supplied ({item.description})."
                )
            values[item.name] = item.empty_value()
            continue
        if item.deprecation and item.name in raw:
            runner.annotate("warning", f"Input '{item.name}' is deprecated: {item.deprecation}")
        values[item.name] = item.parse(text)
    return Inputs(values, frozenset(raw))


def scrub_secret_env(spec: ActionSpec, environ: MutableMapping[str, str]) -> None:
    """Remove secret inputs from the process environment once read, so that no tool the
    action starts (docker, ssh, git) inherits them."""
    for item in spec.inputs:
        if item.secret:
            environ.pop(item.env_name, None)
            environ.pop(item.runner_env_name, None)


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run_action(
    spec: ActionSpec,
    function: ActionFunction,
    argv: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    runner: Runner | None = None,
) -> int:
    """Parse, run ``function``, report, and return the exit code (never raises for expected
    failures). Used by every ``shipyard.<action>.__main__.main``."""
    from_process = env is None
    env = dict(os.environ) if env is None else dict(env)
    runner = runner or Runner(env=env)
    parser = build_parser(spec)
    try:
        args = parser.parse_args(list(argv) if argv is not None else sys.argv[1:])
    except SystemExit as exc:  # --help (0) or a usage error (2)
        return int(exc.code or 0)
    if args.summary_file:
        env["SHIPYARD_SUMMARY_FILE"] = args.summary_file
        runner.env = env
    flags = {
        item.name: value for item in spec.inputs if (value := getattr(args, item.attr)) is not None
    }
    if threading_main():
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)

    context: ActionContext | None = None
    summary = Summary()
    code: int = ExitCode.OK
    try:
        inputs = load_inputs(spec, flags, env, runner)
        if from_process:
            scrub_secret_env(spec, os.environ)
        context = ActionContext(spec, inputs, GitHubContext.from_env(env), runner, env, summary)
        result = function(context)
        code = int(result) if result is not None else ExitCode.OK
    except ShipyardError as exc:
        code = exc.exit_code
        runner.annotate("error", exc.message, title=exc.title)
        summary.heading(f"{spec.title}: {exc.title}", 3).paragraph(exc.message)
        if exc.hint:
            summary.raw(f"**What to do:** {escape_text(exc.hint)}")
    except KeyboardInterrupt:
        code = ExitCode.FAILURE
        runner.annotate(
            "error", f"{spec.title} was cancelled before it finished.", title="Cancelled"
        )
        summary.heading(f"{spec.title}: cancelled", 3)
    except Exception as exc:  # a bug: say so plainly, keep the traceback for the report
        code = ExitCode.FAILURE
        traceback.print_exc(file=sys.stderr)
        runner.annotate(
            "error",
            f"Unexpected {type(exc).__name__}: {exc}. This is a bug in shipyard; please report it "
            "with the log above.",
            title="Internal error",
        )
        summary.heading(f"{spec.title}: internal error", 3).paragraph(
            f"{type(exc).__name__}: {exc}"
        )
    finally:
        if summary:
            try:
                runner.write_summary(summary.render())
            except OSError as exc:
                runner.annotate("warning", f"Could not write the job summary: {exc}")
    return code


def threading_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def main_for(spec: ActionSpec, function: ActionFunction) -> Callable[[list[str] | None], int]:
    """Build a module's ``main(argv=None) -> int``."""

    def main(argv: list[str] | None = None) -> int:
        return run_action(spec, function, argv)

    return main


__all__ = ["ActionContext", "build_parser", "load_inputs", "main_for", "run_action"]
