"""The dry run: what a real run would do, computed and printed without a builder, a login,
a registry or Docker. Pure helpers; the job (``__main__``) calls them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .buildx import BuilderInfo
from .platforms import Platform

#: The builder a dry run plans for: one that can build several platforms and export cache.
#: With the plain docker driver the cache plan falls back to the engine's own cache.
ASSUMED_DRIVER = "docker-container"


def assumed_builder(name: str, platforms: Sequence[Platform]) -> BuilderInfo:
    return BuilderInfo(name or "(not inspected: dry run)", ASSUMED_DRIVER, tuple(platforms))


def build_plan(mode: str, platforms: Sequence[Platform], push: bool) -> list[str]:
    """The builds a real run would start, in words."""
    names = ", ".join(str(p) for p in platforms)
    if mode == "merge":
        return [f"no build: join the digests of {names} into the tagged image (imagetools create)"]
    if mode == "digest":
        return [f"one build per platform ({names}), each pushed by digest under its own tag"]
    if len(platforms) == 1:
        return [f"one buildx build for {names}" + (" with --push" if push else "")]
    return [
        f"a multi-platform builder: one buildx build for {names}",
        "the docker driver: one build per platform, then imagetools create writes every tag",
    ]


def plan_lines(plan: Mapping[str, Any]) -> list[str]:
    """The dry run's report for the log, one fact per line."""
    lines = ["build-push dry run: nothing is built, pushed or logged in to."]
    for key, value in plan.items():
        if isinstance(value, Mapping):
            lines.append(f"{key}:")
            lines += [f"  {name}={item}" for name, item in value.items()] or ["  (none)"]
        elif isinstance(value, list | tuple):
            lines.append(f"{key}:")
            lines += [f"  {item}" for item in value] or ["  (none)"]
        else:
            lines.append(f"{key}: {value}")
    return lines
