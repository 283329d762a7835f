"""The GitHub Actions runtime shared by every shipyard action (stdlib + requests only).

Importing it is cheap: the core (runner, context, entry, errors, inputs, spec, summary) is
loaded at once; the rest (processes, retries, HTTP, GitHub, SARIF, annotations, settings) is
loaded on first use of one of its names, and PyGithub, PyYAML and requests only by what uses
them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .commands import (
    Runner,
    escape_data,
    escape_property,
    file_command_entry,
    format_command,
    neutralize,
    redact_urls,
)
from .context import RunContext
from .entry import ActionContext, main_for, run_action
from .errors import (
    ConfigError,
    ExitCode,
    ExternalError,
    InputError,
    Outcome,
    ShipyardError,
    VerdictFailure,
)
from .inputs import Input, KeyValues, parse_key_values
from .spec import ActionSpec, Output
from .summary import SUMMARY_LIMIT, Markdown, Summary, link

if TYPE_CHECKING:
    from .annotations import Annotation, AnnotationReport, emit_annotations, relative_to_workspace
    from .cleanup import Cleanup
    from .environment import child_env, scrub_env, template_env
    from .github import call_github, github_client
    from .http import HttpClient, github_api_url, parse_retry_after
    from .process import ProcessResult, ProcessTask, run_parallel, run_process
    from .retry import SYSTEM_CLOCK, Clock, FakeClock, Retryable, RetryPolicy, retry_call
    from .sarif import SarifResult, SarifRule, SarifRun, sarif_document, write_sarif
    from .settings import (
        Duration,
        HostName,
        HostPort,
        Secret,
        Text,
        Url,
        inputs_of,
        parse_settings,
        setting,
    )

#: The modules that only decide: no process, no network, no file, no log; what they import
#: from shipyard is pure too (tests/test_repository.py checks the imports, at any depth).
PURE_MODULES = (
    "context",
    "environment",
    "errors",
    "inputs",
    "network",
    "settings",
    "spec",
    "summary",
)

#: name -> submodule, for the names loaded on first use.
_LAZY = {
    "Annotation": "annotations",
    "AnnotationReport": "annotations",
    "emit_annotations": "annotations",
    "relative_to_workspace": "annotations",
    "Cleanup": "cleanup",
    "child_env": "environment",
    "scrub_env": "environment",
    "template_env": "environment",
    "call_github": "github",
    "github_client": "github",
    "HttpClient": "http",
    "github_api_url": "http",
    "parse_retry_after": "http",
    "ProcessResult": "process",
    "ProcessTask": "process",
    "run_parallel": "process",
    "run_process": "process",
    "SYSTEM_CLOCK": "retry",
    "Clock": "retry",
    "FakeClock": "retry",
    "Retryable": "retry",
    "RetryPolicy": "retry",
    "retry_call": "retry",
    "SarifResult": "sarif",
    "SarifRule": "sarif",
    "SarifRun": "sarif",
    "sarif_document": "sarif",
    "write_sarif": "sarif",
    "Duration": "settings",
    "HostName": "settings",
    "HostPort": "settings",
    "Url": "settings",
    "Secret": "settings",
    "Text": "settings",
    "inputs_of": "settings",
    "parse_settings": "settings",
    "setting": "settings",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "SUMMARY_LIMIT",
    "SYSTEM_CLOCK",
    "ActionContext",
    "ActionSpec",
    "Annotation",
    "AnnotationReport",
    "Cleanup",
    "Clock",
    "ConfigError",
    "Duration",
    "ExitCode",
    "ExternalError",
    "FakeClock",
    "HostName",
    "HostPort",
    "HttpClient",
    "Input",
    "InputError",
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
    "SarifResult",
    "SarifRule",
    "SarifRun",
    "Secret",
    "ShipyardError",
    "Summary",
    "Text",
    "Url",
    "VerdictFailure",
    "call_github",
    "child_env",
    "emit_annotations",
    "escape_data",
    "escape_property",
    "file_command_entry",
    "format_command",
    "github_api_url",
    "github_client",
    "inputs_of",
    "link",
    "main_for",
    "neutralize",
    "parse_key_values",
    "parse_retry_after",
    "parse_settings",
    "redact_urls",
    "relative_to_workspace",
    "retry_call",
    "run_action",
    "run_parallel",
    "run_process",
    "sarif_document",
    "scrub_env",
    "setting",
    "template_env",
    "write_sarif",
]
