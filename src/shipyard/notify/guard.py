"""Checks on what notify reads: URLs, workspace paths and the names a template may read.
Pure functions (no environment, no network)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from shipyard.runtime import InputError, template_env
from shipyard.runtime.environment import is_input_variable

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HOST = re.compile(r"^[A-Za-z0-9._~%!$&'()*+,;=:\[\]-]+$")


# -- URLs ---------------------------------------------------------------------------------
def url_problem(url: str) -> str | None:
    """Why ``url`` is not a usable http(s) URL, in words that never repeat the URL."""
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return "contains a space or a control character"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "has an invalid host or port"
    if parts.scheme not in ("http", "https"):
        return "is not an http(s) URL"
    if not parts.hostname or not _HOST.match(parts.netloc.rpartition("@")[2]):
        return "has no valid host name"
    if port == 0:
        return "has port 0"
    return None


def check_url(name: str, url: str) -> str:
    """``url`` unchanged, or InputError naming the input (and never showing its value)."""
    problem = url_problem(url)
    if problem:
        raise InputError(name, f"{problem} (the value is not shown: it may hold a secret).")
    return url


# -- workspace paths ----------------------------------------------------------------------
def inside_workspace(name: str, path: str, workspace: str) -> str:
    """The real path of ``path`` (relative to the workspace), if it stays inside it.

    ``..`` that climbs out, an absolute path elsewhere and a symbolic link pointing out are
    all refused the same way: the link is resolved first."""
    root = os.path.realpath(workspace or os.getcwd())
    full = path if os.path.isabs(path) else os.path.join(root, path)
    real = os.path.realpath(full)
    if os.path.commonpath([root, real]) != root:
        raise InputError(name, f"'{path}' resolves to '{real}', outside the workspace '{root}'.")
    return real


# -- the environment a template may read ---------------------------------------------------
def check_env_names(name: str, names: Iterable[str]) -> list[str]:
    """Validate the names listed in ``template-env``."""
    checked = []
    for item in names:
        if not _ENV_NAME.match(item):
            raise InputError(name, f"'{item}' is not an environment variable name.")
        if is_input_variable(item):
            raise InputError(
                name,
                f"'{item}' holds an input of an action; inputs are never readable from templates.",
                hint="Use {{ inputs.NAME }} for the non-secret inputs of this step.",
            )
        checked.append(item)
    return checked


def template_allows(name: str, allow: Iterable[str]) -> bool:
    """Whether a template may read ``name`` (set or not), by the runtime's one rule."""
    return name in template_env({name: ""}, allow)


def refusal_hint(name: str) -> str:
    """What to do about a template that names a variable it may not read."""
    if is_input_variable(name):
        return "Inputs are never readable from the environment; use inputs.NAME for this step's."
    return f"Add {name} to the template-env input if the payload should show it."
