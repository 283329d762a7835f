"""Exit codes and the domain exceptions every entry point maps to them in one place."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """How an action ends. The numbers are a contract with workflows (``steps.x.outcome``)."""

    OK = 0
    #: The action ran and its verdict is failure (lint errors, denied approval, failed deploy).
    FAILURE = 1
    #: Bad input or configuration: the workflow must change.
    BAD_INPUT = 2
    #: An external system failed after retries: running again may help.
    EXTERNAL = 3


class ShipyardError(Exception):
    """Base of the expected failures: each carries a title, what to do, and an exit code."""

    exit_code: ExitCode = ExitCode.FAILURE
    default_title = "Action failed"

    def __init__(self, message: str, *, title: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.title = title or self.default_title
        self.hint = hint


class InputError(ShipyardError):
    """An input has a value the action cannot accept. The message names the input."""

    exit_code = ExitCode.BAD_INPUT
    default_title = "Invalid input"

    def __init__(self, name: str, message: str, *, hint: str | None = None):
        super().__init__(f"Input '{name}': {message}", hint=hint)
        self.input_name = name


class ConfigError(ShipyardError):
    """The configuration as a whole cannot work (e.g. no channel configured)."""

    exit_code = ExitCode.BAD_INPUT
    default_title = "Invalid configuration"


class ExternalError(ShipyardError):
    """An external system (HTTP API, SMTP server, registry, host) failed after retries."""

    exit_code = ExitCode.EXTERNAL
    default_title = "External system failed"


class VerdictFailure(ShipyardError):
    """The action did its job and the answer is 'no'."""

    exit_code = ExitCode.FAILURE


@dataclass(frozen=True)
class Outcome:
    """What ``run`` may return on success. Actions subclass it to carry their result to their
    report; the runtime only logs ``summary_title``."""

    summary_title: str = ""
