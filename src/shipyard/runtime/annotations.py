"""Annotations within GitHub's limits: at most 10 of each level per step are shown.

:func:`emit_annotations` prints findings most severe first (errors, then warnings, then
notices; in the given order within a level), with file paths relative to the workspace (GitHub
links an annotation only then). The step's budget is the runner's
(:class:`~shipyard.runtime.commands.AnnotationBudget`): findings take what the action's own
annotations left, minus one place per level kept for the verdict or error printed at the end;
the rest are counted, and the runtime puts the count in the job summary.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from .commands import (
    ANNOTATION_LEVELS,
    ANNOTATION_LIMIT,
    ANNOTATION_RESERVE,
    Runner,
    hidden_annotations_line,
)

Level = Literal["error", "warning", "notice"]
LEVELS: tuple[Level, ...] = ANNOTATION_LEVELS


@dataclass(frozen=True)
class Annotation:
    """One annotation: its level, message and title, and where in which file (paths as given; made
    relative to the workspace when printed)."""

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

    def summary_line(self) -> str:
        """'' when nothing was left out, else e.g. '3 errors and 1 warning not shown as
        annotations (GitHub shows 10 of each per step); see the full list.' (The runtime
        writes the step's total in the summary; this is this call's share.)"""
        return hidden_annotations_line(self.hidden)


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
    limit: int | None = None,
) -> AnnotationReport:
    """Print findings most severe first, as many of each level as the step's budget leaves
    (and at most ``limit``); the others are counted as hidden in the budget and the report."""
    by_level: dict[str, list[Annotation]] = {level: [] for level in LEVELS}
    for item in annotations:
        by_level[item.level].append(item)
    shown: dict[str, int] = {}
    hidden: dict[str, int] = {}
    for level in LEVELS:
        items = by_level[level]
        room = runner.budget.room_for_findings(level)
        room = room if limit is None else min(room, limit)
        for item in items[:room]:
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
        shown[level] = min(len(items), room)
        hidden[level] = max(0, len(items) - room)
        runner.budget.skip(level, hidden[level])
    return AnnotationReport(shown=shown, hidden=hidden)


__all__ = [
    "ANNOTATION_LIMIT",
    "ANNOTATION_RESERVE",
    "Annotation",
    "AnnotationReport",
    "emit_annotations",
    "relative_to_workspace",
]
