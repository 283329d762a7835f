"""An action's declaration (inputs, outputs) and what is generated from it.

The declaration in Python is the single source: ``<action>/action.yml`` and the inputs/outputs
tables of ``<action>/README.md`` are rendered from it (``python scripts/generate.py``), and a
test fails when the files on disk differ.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .inputs import Input

#: actions/cache, pinned by the full commit of its release (the only ``uses:`` in our actions:
#: GitHub's cache service has no other client). tests/e2e/vendor/actions-cache holds that commit's
#: restore/save actions for act.
CACHE_ACTION_SHA = "27d5ce7f107fe9357f9df03efb73ab90386fccae"
CACHE_ACTION_VERSION = "v5.0.5"

README_BEGIN = "<!-- BEGIN GENERATED: inputs and outputs (python scripts/generate.py) -->"
README_END = "<!-- END GENERATED -->"


@dataclass(frozen=True)
class Output:
    """One output of an action: its name in action.yml and what it holds."""

    name: str
    description: str


@dataclass(frozen=True)
class ActionSpec:
    """Everything about an action's interface. ``inputs`` is derived from ``settings`` (an
    action without settings has no inputs)."""

    name: str
    title: str
    description: str
    outputs: tuple[Output, ...] = ()
    #: Extra environment for the step, from contexts (name -> expression), e.g. job status.
    context_env: tuple[tuple[str, str], ...] = ()
    branding: tuple[str, str] = ("anchor", "blue")
    #: What GitHub's cache service keeps besides the venv: folders relative to the tool cache.
    cache_paths: tuple[str, ...] = ()
    #: How the cache key moves on: "" (never: the locks decide), "sha" (each commit: saved
    #: again for a new commit, restored from the newest), "day" (each UTC day).
    cache_rotate: str = ""
    #: The settings dataclass (:mod:`shipyard.runtime.settings`).
    settings: type[Any] | None = None
    inputs: tuple[Input, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        if self.settings is not None:
            from .settings import inputs_of

            object.__setattr__(self, "inputs", inputs_of(self.settings))

    @property
    def module(self) -> str:
        """The module ``python -m`` runs: ``shipyard.<name>`` with dashes as underscores."""
        return "shipyard." + self.name.replace("-", "_")

    def input(self, name: str) -> Input:
        """The input named ``name`` as action.yml spells it (KeyError if there is none)."""
        for item in self.inputs:
            if item.name == name:
                return item
        raise KeyError(name)


def _yaml_str(value: str) -> str:
    """A YAML scalar that reads back as exactly ``value`` (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def render_action_yml(spec: ActionSpec) -> str:
    """The composite action.yml: the bootstrap's step, every input mapped through ``env:``,
    between the cache plan, restore and save steps (GitHub's cache service: README "Caches")."""
    lines = [
        "# Generated from src/"
        + spec.module.replace(".", "/")
        + "/spec.py by scripts/generate.py.",
        "# Do not edit by hand: change the spec and run `python scripts/generate.py`.",
        f"name: {_yaml_str(spec.title)}",
        f"description: {_yaml_str(spec.description)}",
        "author: shipyard",
        "branding:",
        f"  icon: {spec.branding[0]}",
        f"  color: {spec.branding[1]}",
        "inputs:",
    ]
    for item in spec.inputs:
        lines.append(f"  {item.name}:")
        lines.append(f"    description: {_yaml_str(item.description)}")
        lines.append(f"    required: {'true' if item.required else 'false'}")
        default = item.yaml_default if item.yaml_default is not None else item.default
        if default is not None:
            lines.append(f"    default: {_yaml_str(default)}")
        if item.deprecation:
            lines.append(f"    deprecationMessage: {_yaml_str(item.deprecation)}")
    if spec.outputs:
        lines.append("outputs:")
        for out in spec.outputs:
            lines.append(f"  {out.name}:")
            lines.append(f"    description: {_yaml_str(out.description)}")
            lines.append(f"    value: ${{{{ steps.run.outputs.{out.name} }}}}")
    lines += ["runs:", "  using: composite", "  steps:", *_cache_plan_steps(spec)]
    lines += ["    - id: run", "      shell: bash", "      env:"]
    for item in spec.inputs:
        lines.append(f"        {item.env_name}: ${{{{ inputs.{item.name} }}}}")
    for name, expression in spec.context_env:
        lines.append(f"        {name}: {expression}")
    lines.append(f"        SHIPYARD_CACHE_REPORT: {_PLAN}.restore }}}}")
    # exec: the step's shell is replaced, so no process keeps the inputs in its environment.
    lines.append(f"      run: {_bootstrap(spec.name)}")
    lines += _cache_save_steps()
    return "\n".join(lines) + "\n"


_PLAN = "${{ steps.cache-plan.outputs"
_CACHE_USES = f"actions/cache/{{}}@{CACHE_ACTION_SHA} # {CACHE_ACTION_VERSION}"


def _bootstrap(arguments: str) -> str:
    return f"'exec \"${{GITHUB_ACTION_PATH}}/../scripts/bootstrap.sh\" {arguments}'"


def _cache_plan_steps(spec: ActionSpec) -> list[str]:
    """The cache plan (bootstrap.sh --cache-plan) and the restore it asks for."""
    lines = ["    - id: cache-plan", "      shell: bash"]
    env = []
    if spec.cache_paths:
        env.append(f"        SHIPYARD_CACHE_PATHS: {_yaml_str(' '.join(spec.cache_paths))}")
    if spec.cache_rotate:
        env.append(f"        SHIPYARD_CACHE_ROTATE: {spec.cache_rotate}")
    if env:
        lines += ["      env:", *env]
    lines.append(f"      run: {_bootstrap('--cache-plan ' + spec.name)}")
    return [
        *lines,
        "    - id: cache-restore",
        "      if: steps.cache-plan.outputs.restore == 'true'",
        f"      uses: {_CACHE_USES.format('restore')}",
        "      with:",
        f"        path: {_PLAN}.paths }}}}",
        f"        key: {_PLAN}.key }}}}",
        f"        restore-keys: {_PLAN}.restore-keys }}}}",
    ]


def _cache_save_steps() -> list[str]:
    """The save: after the run whatever its outcome, of a complete venv only (the run step says
    shipyard-venv=ready just before it starts Python), unless the restore hit the key or the
    plan says the job may have run code it cannot trust (pull_request_target)."""
    return [
        "    - id: cache-save",
        "      if: >-",
        "        always() && steps.cache-plan.outputs.save == 'true'",
        "        && steps.cache-restore.outputs.cache-hit != 'true'",
        "        && steps.run.outputs.shipyard-venv == 'ready'",
        f"      uses: {_CACHE_USES.format('save')}",
        "      with:",
        f"        path: {_PLAN}.paths }}}}",
        f"        key: {_PLAN}.key }}}}",
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_readme_tables(spec: ActionSpec) -> str:
    """The README's inputs and outputs tables."""
    lines = [
        "### Inputs",
        "",
        "| name | description | default | required |",
        "| --- | --- | --- | --- |",
    ]
    for item in spec.inputs:
        default = item.yaml_default if item.yaml_default is not None else item.default
        shown = f"`{default}`" if default not in (None, "") else ""
        notes = []
        if item.secret:
            notes.append("secret, masked")
        if item.kind != "string":
            notes.append(item.accepts())
        if item.deprecation:
            notes.append(f"deprecated: {item.deprecation}")
        description = item.description + (f" ({'; '.join(notes)})" if notes else "")
        lines.append(
            f"| `{item.name}` | {_cell(description)} | {_cell(shown)} | "
            f"{'yes' if item.required else 'no'} |"
        )
    if spec.outputs:
        lines += ["", "### Outputs", "", "| name | description |", "| --- | --- |"]
        for out in spec.outputs:
            lines.append(f"| `{out.name}` | {_cell(out.description)} |")
    return "\n".join(lines) + "\n"


def replace_generated_block(readme: str, tables: str) -> str:
    """Put ``tables`` between the README's generated-block markers."""
    start = readme.index(README_BEGIN) + len(README_BEGIN)
    end = readme.index(README_END)
    return readme[:start] + "\n" + tables + readme[end:]
