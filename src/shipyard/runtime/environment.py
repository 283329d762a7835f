"""The one environment of a run, scrubbed once, and what children and templates may see of it.

* :func:`scrub_env` drops every ``SHIPYARD_INPUT_*`` and ``INPUT_*`` variable: inputs are read
  once by the runtime and reach nothing else through the environment. ``run_action`` scrubs
  ``os.environ`` the same way, so ``ctx.env`` is the only copy there is.
* :func:`child_env` is what a child process gets by default: the scrubbed environment without
  credential-looking variables, unless the caller names them in ``allow``.
* :func:`template_env` is what a user's template may read: the GitHub/runner context
  variables (not GITHUB_TOKEN) and the names the user lists.
* :func:`parse_inputs_records` decodes the inputs scripts/bootstrap.sh moved out of the
  environment onto a descriptor (``SHIPYARD_INPUTS_FD``; the entry point reads it).

Pure: every function works on the mapping it is given (``scrub_environ`` edits it in place).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, MutableMapping

INPUT_PREFIXES = ("SHIPYARD_INPUT_", "INPUT_")
#: Names the descriptor on which scripts/bootstrap.sh passes the inputs (never inherited).
INPUTS_FD_VARIABLE = "SHIPYARD_INPUTS_FD"
#: Parts of a variable name that mark it as a credential.
_CREDENTIAL = re.compile(
    r"(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|PRIVATE|COOKIE|SESSION|APIKEY|"
    r"(^|_)KEY($|_)|(^|_)AUTH|(^|_)PAT($|_))",
    re.IGNORECASE,
)
#: Context variables a template may always read.
CONTEXT_PREFIXES = ("GITHUB_", "RUNNER_")


def is_input_variable(name: str) -> bool:
    """Whether a variable holds an action's input (SHIPYARD_INPUT_*, or the INPUT_* act sets)."""
    return name.upper().startswith(INPUT_PREFIXES)


def is_credential_name(name: str) -> bool:
    """Whether a variable's name looks like it holds a credential (TOKEN, SECRET, KEY...)."""
    return bool(_CREDENTIAL.search(name))


def scrub_env(env: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``env`` without any input variable."""
    return {name: value for name, value in env.items() if not is_input_variable(name)}


def scrub_environ(environ: MutableMapping[str, str]) -> None:
    """Remove every input variable from ``environ`` in place (``os.environ``)."""
    for name in [name for name in environ if is_input_variable(name)]:
        del environ[name]


_UNESCAPE = re.compile(r"\\([\\n])")


def parse_inputs_records(data: bytes) -> dict[str, str]:
    """The input variables of ``data``: one ``NAME=VALUE`` record per line, ``\\`` and ``\\n``
    escaped. Records whose name is not an input variable are ignored (the descriptor cannot
    set anything else)."""
    inputs: dict[str, str] = {}
    for record in data.decode("utf-8", "surrogateescape").split("\n"):
        name, sep, escaped = record.partition("=")
        if sep and is_input_variable(name):
            inputs[name] = _UNESCAPE.sub(lambda m: "\n" if m.group(1) == "n" else "\\", escaped)
    return inputs


def child_env(
    env: Mapping[str, str],
    *,
    allow: Iterable[str] = (),
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment for a child process: ``env`` scrubbed of inputs and of
    credential-looking names (unless in ``allow``), then ``extra`` on top."""
    allowed = set(allow)
    result = {
        name: value
        for name, value in env.items()
        if not is_input_variable(name) and (name in allowed or not is_credential_name(name))
    }
    result.update(extra or {})
    return result


def template_env(env: Mapping[str, str], allow: Iterable[str] = ()) -> dict[str, str]:
    """What a user template may see of the environment: GITHUB_*/RUNNER_* context variables
    (never GITHUB_TOKEN nor another credential-looking name) and the names in ``allow``
    (which may name a credential on purpose). Input variables are never visible."""
    allowed = set(allow)
    result: dict[str, str] = {}
    for name, value in env.items():
        if is_input_variable(name):
            continue
        if name in allowed or (name.startswith(CONTEXT_PREFIXES) and not is_credential_name(name)):
            result[name] = value
    return result


__all__ = [
    "child_env",
    "is_credential_name",
    "is_input_variable",
    "parse_inputs_records",
    "scrub_env",
    "scrub_environ",
    "template_env",
]
