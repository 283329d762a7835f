"""The names a template may read (URLs and hosts are the runtime's settings kinds; workspace
paths are ``workspace.py``'s). Pure: no environment, no file, no network."""

from __future__ import annotations

import re
from collections.abc import Iterable

from shipyard.runtime import InputError, template_env
from shipyard.runtime.environment import is_input_variable

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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
