"""The GitHub Actions runtime shared by every shipyard action (stdlib + requests only)."""

from .commands import Runner, escape_data, escape_property, file_command_entry, format_command
from .context import GitHubContext
from .entry import ActionContext, main_for, run_action
from .errors import (
    ConfigError,
    ExitCode,
    ExternalError,
    InputError,
    ShipyardError,
    VerdictFailure,
)
from .http import HttpClient, RetryPolicy, github_api_url, parse_retry_after
from .inputs import Input, Inputs
from .spec import ActionSpec, Output
from .summary import Markdown, Summary, link

__all__ = [
    "ActionContext",
    "ActionSpec",
    "ConfigError",
    "ExitCode",
    "ExternalError",
    "GitHubContext",
    "HttpClient",
    "Input",
    "InputError",
    "Inputs",
    "Markdown",
    "Output",
    "RetryPolicy",
    "Runner",
    "ShipyardError",
    "Summary",
    "VerdictFailure",
    "escape_data",
    "escape_property",
    "file_command_entry",
    "format_command",
    "github_api_url",
    "link",
    "main_for",
    "parse_retry_after",
    "run_action",
]
