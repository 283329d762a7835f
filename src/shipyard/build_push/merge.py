"""mode: merge: the digests the fan-out jobs (mode: digest) pushed become the tagged image."""

from __future__ import annotations

from shipyard.runtime import ConfigError, InputError

from .build import create_tags
from .job import Job, PlatformResult
from .plan import DigestSource, platform_key, platform_tag
from .registry import RegistryDenied


def merge(job: Job) -> None:
    """mode: merge: the digests of the fan-out jobs become the tagged image."""
    s = job.s
    decision = job.out.tag_decision
    sources = list(s.digests)
    if not sources:
        if not s.ref.short_sha:
            raise InputError(
                "digests",
                "is required outside a workflow run (the per-platform tags are named after "
                "the commit).",
            )
        key = platform_key(s.ref.short_sha, decision.version)
        image = s.images[0]
        missing = []
        for platform in s.platforms:
            tag = platform_tag(key, platform)
            try:
                found = job.client(image.registry).manifest(image.repository, tag)
            except RegistryDenied as exc:
                raise job.denied(image.registry, exc) from None
            if found is None:
                missing.append(f"{platform} ({image.ref(tag)})")
            else:
                sources.append(DigestSource(found.digest, platform=str(platform)))
        if missing:
            raise ConfigError(
                "No image was pushed for " + ", ".join(missing) + ".",
                title="Platform image missing",
                hint="Each build job must run with mode: digest for the same commit and "
                "images, and succeed, before the merge job; or pass their digests.",
            )
    # Every source must exist in every image's repository before any tag is written.
    problems = []
    for image in s.images:
        for source in sources:
            try:
                found = job.client(image.registry).manifest(image.repository, source.digest)
            except RegistryDenied as exc:
                raise job.denied(image.registry, exc) from None
            if found is None:
                problems.append(f"{image.name}@{source.digest} does not exist")
    if problems:
        raise ConfigError(
            "Cannot merge: " + "; ".join(problems) + ".",
            title="Digest not found",
            hint="Pass the digests the build jobs (mode: digest) output for these images.",
        )
    for source in sources:
        name = source.platform or source.digest[:19]
        job.out.platforms[name] = PlatformResult(name, source.digest)
    if not s.push:
        job.note(f"not pushed ({s.push_reason}): the tags were not created")
        return
    job.out.platforms.clear()
    create_tags(job, sources)
