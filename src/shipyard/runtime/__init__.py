"""The GitHub Actions runtime shared by every shipyard action (stdlib + requests only).

Importing it is cheap: PyGithub, PyYAML and requests are imported only by what uses them.
"""

from .cleanup import Cleanup
from .commands import (
    Runner,
    escape_data,
    escape_property,
    file_command_entry,
    format_command,
    neutralize,
    redact_urls,
)
from .context import GitHubContext, RunContext
from .entry import ActionContext, main_for, run_action
from .environment import child_env, scrub_env, template_env
from .errors import (
    ConfigError,
    ExitCode,
    ExternalError,
    InputError,
    Outcome,
    ShipyardError,
    VerdictFailure,
)
from .http import HttpClient, github_api_url, parse_retry_after
from .inputs import Input, Inputs, KeyValues
from .process import ProcessResult, ProcessTask, run_parallel, run_process
from .retry import SYSTEM_CLOCK, Clock, FakeClock, Retryable, RetryPolicy, retry_call
from .settings import Duration, Secret, Text, inputs_of, parse_settings, setting
from .spec import ActionSpec, Output
from .summary import SUMMARY_LIMIT, Markdown, Summary, link

__all__ = [
    "SUMMARY_LIMIT",
    "SYSTEM_CLOCK",
    "ActionContext",
    "ActionSpec",
    "Cleanup",
    "Clock",
    "ConfigError",
    "Duration",
    "ExitCode",
    "ExternalError",
    "FakeClock",
    "GitHubContext",
    "HttpClient",
    "Input",
    "InputError",
    "Inputs",
    "KeyValues",
    "Markdown",
    "Outcome",
    "Output",
    "ProcessResult",
    "ProcessTask",
    "RetryPolicy",
    "Retryable",
    "RunContext",
    "Runner",
    "Secret",
    "ShipyardError",
    "Summary",
    "Text",
    "VerdictFailure",
    "child_env",
    "escape_data",
    "escape_property",
    "file_command_entry",
    "format_command",
    "github_api_url",
    "inputs_of",
    "link",
    "main_for",
    "neutralize",
    "parse_retry_after",
    "parse_settings",
    "redact_urls",
    "retry_call",
    "run_action",
    "run_parallel",
    "run_process",
    "scrub_env",
    "setting",
    "template_env",
]
