"""The dry run: what a real run would do, computed and printed without a builder, a login,
a registry or Docker."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .build import cache_plan
from .buildx import BuilderInfo
from .job import Job
from .platforms import Platform
from .prepare import compute_metadata, decide_tags

#: The builder a dry run plans for: one that can build several platforms and export cache.
#: With the plain docker driver the cache plan falls back to the engine's own cache.
ASSUMED_DRIVER = "docker-container"


def assumed_builder(name: str, platforms: Sequence[Platform]) -> BuilderInfo:
    """The builder a dry run plans for (nothing is inspected): the default docker driver on
    ``platforms``."""
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


def dry_run(job: Job) -> None:
    """Everything that needs no build, printed into the log; the caller reports it."""
    job.stage("computing the tags")
    decide_tags(job, read_registry=False)
    s = job.s  # after the tags: a run whose rules made no tag does not push
    compute_metadata(job)
    job.builder = assumed_builder(s.builder, s.platforms)
    job.out.builder = f"not inspected (dry run; planned for a {ASSUMED_DRIVER} builder)"
    per_platform = len(s.platforms) > 1 and s.mode != "build"
    scopes = [p.slug for p in s.platforms] if per_platform else [""]
    if s.mode != "merge":
        for scope in scopes:
            job.out.cache.append(f"{scope or 'build'}: {cache_plan(job, scope).description}")
    job.stage("done")
    plan: dict[str, Any] = {
        "images": [image.name for image in s.images],
        "tags": job.out.tags,
        "version": job.out.tag_decision.version,
        "platforms": [str(p) for p in s.platforms],
        "mode": s.mode,
        "push": f"{'yes' if s.push else 'no'} ({s.push_reason})",
        "builds": build_plan(s.mode, s.platforms, s.push),
        "build args": job.out.build_args,
        "labels": job.out.labels,
        "secrets": [secret.describe() for secret in s.build_secrets],
        "ssh": [forward.describe() for forward in s.ssh],
        "cache": job.out.cache,
        "notes": job.out.notes,
    }
    for line in plan_lines(plan):
        job.ctx.runner.info(line)
