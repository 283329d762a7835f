"""Annotations within GitHub's limits: at most 10 of each level per step are shown.

:func:`emit_annotations` prints the most severe first (errors, then warnings, then notices; in
the given order within a level), at most ``limit`` of each, with file paths relative to the
workspace (GitHub links an annotation only then), and counts the rest for the summary.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from .commands import Runner

Level = Literal["error", "warning", "notice"]
LEVELS: tuple[Level, ...] = ("error", "warning", "notice")
#: GitHub shows at most this many annotations of each level per step.
ANNOTATION_LIMIT = 10


@dataclass(frozen=True)
class Annotation:
    level: Level
    message: str
    title: str | None = None
    file: str | None = None
    line: int | None = None
    end_line: int | None = None
    col: int | None = None
    end_column: int | None = None


@dataclass(frozen=True)
class AnnotationReport:
    """How many annotations of each level were printed and how many were left out."""

    shown: Mapping[str, int]
    hidden: Mapping[str, int]

    @property
    def total_hidden(self) -> int:
        return sum(self.hidden.values())

    def summary_line(self) -> str:
        """'' when nothing was left out, else e.g. '3 errors and 1 warning not shown as
        annotations (GitHub shows 10 of each per step).'"""
        parts = [
            f"{count} {level}{'' if count == 1 else 's'}"
            for level in LEVELS
            if (count := self.hidden.get(level, 0))
        ]
        if not parts:
            return ""
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return (
            f"{listed} not shown as annotations "
            f"(GitHub shows {ANNOTATION_LIMIT} of each per step); see the full list."
        )


def relative_to_workspace(path: str, workspace: str | None) -> str:
    """``path`` relative to the workspace when it is inside it, with forward slashes."""
    if not path:
        return path
    if os.path.isabs(path):
        path = os.path.normpath(path)
    if workspace and os.path.isabs(path):
        try:
            relative = os.path.relpath(path, os.path.normpath(workspace))
        except ValueError:
            return path
        if not relative.startswith(".."):
            path = relative
    if path.startswith("./"):
        path = path[2:]
    return path.replace(os.sep, "/")


def emit_annotations(
    runner: Runner,
    annotations: Iterable[Annotation],
    *,
    workspace: str | None,
    limit: int = ANNOTATION_LIMIT,
) -> AnnotationReport:
    """Print at most ``limit`` annotations of each level, most severe first."""
    by_level: dict[str, list[Annotation]] = {level: [] for level in LEVELS}
    for item in annotations:
        by_level[item.level].append(item)
    shown: dict[str, int] = {}
    hidden: dict[str, int] = {}
    for level in LEVELS:
        items = by_level[level]
        for item in items[:limit]:
            runner.annotate(
                item.level,
                item.message,
                title=item.title,
                file=relative_to_workspace(item.file, workspace) if item.file else None,
                line=item.line,
                end_line=item.end_line,
                col=item.col,
                end_column=item.end_column,
            )
        shown[level] = min(len(items), limit)
        hidden[level] = max(0, len(items) - limit)
    return AnnotationReport(shown=shown, hidden=hidden)


__all__ = [
    "ANNOTATION_LIMIT",
    "Annotation",
    "AnnotationReport",
    "emit_annotations",
    "relative_to_workspace",
]
