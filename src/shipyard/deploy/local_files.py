"""The files a deploy reads on the runner, read in one step before anything connects.

``env-file`` (KEY=VALUE lines, each value masked like the env input's) and ``compose-file``
(confined to the workspace, parsed and checked): a file that cannot be used is an input
error naming it, before any host is contacted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from shipyard.runtime import InputError
from shipyard.runtime.entry import MIN_MASKED_VALUE

from .compose import ComposeApp, parse
from .spec import Settings, parse_env_file


@dataclass(frozen=True)
class LocalFiles:
    """What the deploy took from the runner's files."""

    env: Mapping[str, str]  # the app's environment: env-file overlaid by env
    compose: ComposeApp | None  # compose-file, parsed
    page: str | None = None  # maintenance-page (HTML)


def confined(path_text: str, workspace: str, field: str = "compose-file") -> Path:
    """``path_text`` inside the workspace: relative (no way out with ``..``), or absolute under
    it; symlinks are resolved and must stay inside too."""
    root = Path(workspace or ".").resolve()
    given = Path(path_text)
    path = given if given.is_absolute() else root / given
    resolved = path.resolve()
    if not resolved.is_relative_to(root):
        raise InputError(
            field, f"'{path_text}' is outside the workspace ({root}); give a path inside it."
        )
    if not resolved.is_file():
        raise InputError(field, f"'{path_text}' is not a file in the workspace.")
    return resolved


def load_compose(path_text: str, workspace: str, port: int, service: str | None) -> ComposeApp:
    """Read and check the compose-file input (confined to the workspace)."""
    path = confined(path_text, workspace)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("compose-file", f"cannot read {path_text}: {exc}") from None
    return parse(text, port, service, path_text)


def read_local_files(settings: Settings, workspace: str, mask: Callable[[str], None]) -> LocalFiles:
    """Read env-file and compose-file (``mask`` hides env-file's values in the log)."""
    merged: dict[str, str] = {}
    if settings.env_file:
        path = Path(settings.env_file)
        if not path.is_absolute():
            path = Path(workspace or ".") / path
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError("env-file", f"cannot read {path}: {exc}") from None
        merged = parse_env_file(text)
        for value in merged.values():
            # As for the env input: a value too short to be a secret ("a", "on") is not
            # masked, or every such word of the log would be.
            if len(value.strip()) >= MIN_MASKED_VALUE:
                mask(value)
    merged.update(settings.env)
    app = (
        load_compose(settings.compose_file, workspace, settings.port, settings.compose_service)
        if settings.compose_file
        else None
    )
    return LocalFiles(merged, app, read_page(settings.maintenance_page, workspace))


def read_page(path_text: str | None, workspace: str) -> str | None:
    """maintenance-page, confined to the workspace like compose-file."""
    if not path_text:
        return None
    path = confined(path_text, workspace, "maintenance-page")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("maintenance-page", f"cannot read {path_text}: {exc}") from None
