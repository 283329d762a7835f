"""mode: build and mode: digest: buildx builds, per-platform pushes, and the tags written from
the digests (``imagetools create``) once every platform is pushed; then the pushed image is read
back for its digests, platforms and sizes."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from typing import Any

from shipyard.runtime import ExternalError, Retryable, ShipyardError, retry_call

from . import errors
from .job import Job, PlatformResult
from .plan import (
    BuildOptions,
    BuildOutput,
    CachePlan,
    DigestSource,
    build_argv,
    gha_available,
    platform_key,
    platform_tag,
    resolve_cache,
)
from .platforms import Platform
from .registry import RegistryDenied


def options(job: Job) -> BuildOptions:
    """The build's inputs as buildx options."""
    s = job.s
    return BuildOptions(
        context=s.context,
        file=s.file,
        target=s.target,
        build_args=job.out.build_args,
        labels=job.out.labels,
        provenance=s.provenance,
        sbom=s.sbom,
        pull=s.pull,
        builder=s.builder,
        secrets=tuple(secret.flag for secret in s.build_secrets),
        ssh=tuple(forward.flag(job.agent_socket) for forward in s.ssh),
    )


def cache_plan(job: Job, scope: str) -> CachePlan:
    """The cache of one build (``scope`` keeps platforms built separately apart)."""
    s = job.s
    decision = job.out.decision
    source = ""
    if decision and decision.tags:
        source = next((t for t in decision.tags if t.endswith("latest")), decision.tags[0])
    env = job.ctx.env
    cache_root = os.path.join(
        env.get("RUNNER_TOOL_CACHE") or os.path.join(tempfile.gettempdir(), "shipyard"),
        "shipyard-buildx-cache",
    )
    return resolve_cache(
        s.cache,
        cache_ref=s.cache_ref,
        builder=job.builder,
        on_github=env.get("GITHUB_ACTIONS") == "true" and not env.get("ACT"),
        gha=gha_available(env),
        image=s.images[0],
        source_tag=source,
        scope=scope,
        local_root=cache_root,
        pushing=s.push,
    )


def run_build(
    job: Job, platforms: Sequence[Platform], output: BuildOutput, scope: str
) -> dict[str, Any]:
    """One buildx build, with the cache fallback and registry retries (the runtime's retry
    policy); returns the metadata file's content. Raises the explained failure."""
    cache = cache_plan(job, scope)
    if cache.warning:
        job.warn(cache.warning, title="Build cache")
    job.out.cache.append(f"{scope or 'build'}: {cache.description}")
    attempt = _BuildAttempt(job, platforms, output, cache, scope)
    try:
        retry_call(
            attempt,
            policy=job.retry_policy,
            clock=job.clock,
            log=job.ctx.runner.info,
            what=attempt.what,
        )
    except Retryable:
        raise attempt.failure() from None
    return attempt.metadata


class _BuildAttempt:
    """One call = one ``buildx build``; raises Retryable for what another attempt may fix
    (the cache backend failed: again without it; a registry or network error)."""

    def __init__(
        self,
        job: Job,
        platforms: Sequence[Platform],
        output: BuildOutput,
        cache: CachePlan,
        scope: str,
    ) -> None:
        self.job = job
        self.platforms = platforms
        self.output = output
        self.cache = cache
        self.what = f"the build of {', '.join(str(p) for p in platforms)}"
        self.metadata_file = job.workdir / f"metadata-{scope or 'all'}.json"
        self.metadata: dict[str, Any] = {}
        self.last_output = ""

    def __call__(self) -> None:
        job = self.job
        argv = build_argv(options(job), self.platforms, self.output, self.cache)
        with job.ctx.runner.group(f"docker buildx build {', '.join(map(str, self.platforms))}"):
            job.ctx.runner.info("docker buildx build " + " ".join(argv))
            result, self.metadata = job.docker.build(argv, self.metadata_file)
        if result.ok:
            if self.cache.local_dir:
                _swap_cache(self.cache.local_dir)
            return
        self.last_output = result.output
        if self.cache.uses_cache_backend and errors.is_cache_failure(result.output):
            job.warn(
                f"The build cache failed ({errors.final_error(result.output)}); building "
                "again without the cache backend. The image is not affected.",
                title="Build cache",
            )
            self.cache = self.cache.without_backend()
            raise Retryable("the build cache failed", after=0)
        if self.explanation().retryable:
            raise Retryable("failed with a registry or network error")
        raise self.failure()

    def explanation(self) -> errors.Explanation:
        s = self.job.s
        return errors.explain(
            self.last_output,
            what=self.what,
            dockerfile=s.file or os.path.join(s.context, "Dockerfile"),
            registries=s.registries,
        )

    def failure(self) -> ShipyardError:
        return self.explanation().error()


def build(job: Job) -> None:
    """mode: build: one build for one platform or a multi-platform builder, else one build
    per platform joined by imagetools create."""
    s = job.s
    if len(s.platforms) == 1 or job.builder.multi_platform:
        if s.push:
            output = BuildOutput("push", tuple(job.out.tags), load=s.load)
        elif s.load:
            output = BuildOutput("load", tuple(job.out.tags))
        else:
            output = BuildOutput("cacheonly")
        started = time.monotonic()
        metadata = run_build(job, s.platforms, output, "")
        seconds = time.monotonic() - started
        digest = str(metadata.get("containerimage.digest", ""))
        for platform in s.platforms:
            job.out.platforms[str(platform)] = PlatformResult(
                str(platform), digest if len(s.platforms) == 1 else "", 0, seconds
            )
        if s.push:
            job.out.pushed = True
            job.out.digest = digest
            read_back(job, job.out.decision.tags[0] if job.out.decision else digest)
        return
    build_per_platform(job, final_tags=True)


def build_per_platform(job: Job, *, final_tags: bool) -> None:
    """One build per platform, each pushed under its per-platform tag; then (final_tags)
    imagetools create writes every tag, after every platform is pushed."""
    s = job.s
    key = platform_key(s.ref.short_sha, job.out.decision.version if job.out.decision else "")
    platform_refs: list[str] = []
    for platform in s.platforms:
        refs = tuple(image.ref(platform_tag(key, platform)) for image in s.images)
        if s.push:
            output = BuildOutput("push", refs)
        elif s.load and len(s.platforms) == 1:
            output = BuildOutput("load", tuple(job.out.tags))
        else:
            output = BuildOutput("cacheonly")
        started = time.monotonic()
        metadata = run_build(job, [platform], output, platform.slug)
        digest = str(metadata.get("containerimage.digest", ""))
        job.out.platforms[str(platform)] = PlatformResult(
            str(platform), digest, 0, time.monotonic() - started
        )
        if s.push:
            if not digest:
                raise ExternalError(
                    f"buildx reported no digest for {platform}.", title="Push failed"
                )
            platform_refs += refs
            job.ctx.runner.info(f"{platform}: pushed {digest} as {', '.join(refs)}")
    if not s.push:
        return
    if not final_tags:
        job.out.pushed = True
        job.out.tags = platform_refs
        if len(s.platforms) == 1:
            job.out.digest = job.out.platforms[str(s.platforms[0])].digest
        read_back(job, None)
        return
    sources = [
        DigestSource(result.digest, platform=name) for name, result in job.out.platforms.items()
    ]
    create_tags(job, sources)


def create_tags(job: Job, sources: Sequence[DigestSource]) -> None:
    """``imagetools create`` every tag of every image from the platform digests."""
    decision = job.out.tag_decision
    for image in job.s.images:
        tags = [image.ref(tag) for tag in decision.tags]
        refs = [image.digest_ref(source.digest) for source in sources]
        with job.ctx.runner.group(f"docker buildx imagetools create {image.name}"):
            result = job.retrying(
                f"imagetools create {image.name}",
                functools.partial(job.docker.imagetools_create, tags, refs),
            )
        if not result.ok:
            raise errors.explain(
                result.output,
                what=f"creating the tags of {image.name}",
                registries=job.s.registries,
            ).error()
        job.ctx.runner.info(f"{image.name}: tagged {', '.join(decision.tags)}")
    job.out.pushed = True
    read_back(job, decision.tags[0])


def read_back(job: Job, reference: str | None) -> None:
    """Read the pushed tag (or each platform image) back: digests, platforms, sizes."""
    image = job.s.images[0]
    client = job.client(image.registry)
    try:
        if reference is None:
            for name, result in job.out.platforms.items():
                _top, images = client.platform_images(image.repository, result.digest)
                if images:
                    result.size = images[0].size
                    job.out.platforms[name] = result
            return
        top, images = client.platform_images(image.repository, reference)
    except RegistryDenied as exc:
        raise job.denied(image.registry, exc) from None
    job.out.digest = top
    seconds = {name: r.seconds for name, r in job.out.platforms.items()}
    job.out.platforms = {
        item.platform: PlatformResult(
            item.platform, item.digest, item.size, seconds.get(item.platform, 0.0)
        )
        for item in images
    }
    expected = {str(p) for p in job.s.platforms}
    if job.s.mode != "merge" and set(job.out.platforms) != expected:
        raise ExternalError(
            f"{image.ref(reference)} lists {', '.join(sorted(job.out.platforms))}, not "
            f"{', '.join(sorted(expected))}.",
            title="Pushed image is incomplete",
        )


def _swap_cache(folder: str) -> None:
    """Move ``<folder>-new`` (the export of this build) over ``<folder>`` so the local cache
    does not grow without bound (buildx appends to a local cache)."""
    new = f"{folder}-new"
    if not os.path.isdir(new):
        return
    with contextlib.suppress(OSError):
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(new, folder)


def build_digests(job: Job) -> None:
    """mode: digest: each platform built and pushed by digest under its per-platform tag."""
    build_per_platform(job, final_tags=False)
