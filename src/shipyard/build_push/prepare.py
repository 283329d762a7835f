"""Before any build: the builder, the registries, the tags, the metadata and the logins."""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from shipyard.runtime import ConfigError, ExternalError, InputError, ShipyardError

from . import errors
from .buildx import PrivateDockerConfig, is_local_engine, qemu_registered, user_docker_config
from .images import ImageName
from .job import Job
from .metadata import build_info_args, merged, oci_labels
from .plan import NoTagsError, gha_available, push_without_tags, qemu_hint, unbuildable
from .platforms import Platform
from .registry import Credentials, RegistryDenied
from .tags import TagDecision, TagRuleError, compute_tags, needs_registry_versions


def start(job: Job) -> None:
    """Everything before the mode's work: the private docker config, the builder and the
    registries (asked at the same time; nothing is built or pushed before both answer), the
    tags, the build args and labels, and the logins."""
    s = job.s
    job.ctx.runner.info(
        f"build-push: {', '.join(i.name for i in s.images)} for "
        f"{', '.join(str(p) for p in s.platforms)}; mode {s.mode}; {s.push_reason}"
    )
    for image in s.images:
        if image.lowered:
            job.note(f"image name lower-cased: {image.name}")
    # Rules that make no tag here are known before any registry is asked (whether the
    # registry's versions remove the last tag is known only once they are read).
    settle_untagged(job, tag_decision(job, None))
    s = job.s
    start_ssh_agent(job)
    # Log in whenever there are credentials: a pull request build (not pushed) may still
    # need them for a private base image.
    needs_config = (
        s.push or bool(s.extra_logins) or any(c is not None for c in s.credentials.values())
    )
    if needs_config:
        ours = [r for r, c in s.credentials.items() if c is not None]
        job.config = PrivateDockerConfig(
            str(job.workdir), user_docker_config(job.ctx.env), [*ours, *s.extra_logins]
        )
        job.docker.config_dir = job.config.path
    job.stage("checking the builder and the registries")
    check_builder_and_registries(job)
    job.stage("computing the tags")
    decide_tags(job)
    compute_metadata(job)
    if needs_config:
        job.stage("logging in")
        login(job)


def start_ssh_agent(job: Job) -> None:
    """The private ssh-agent holding ssh-key, when an ssh id forwards it (stopped by the
    cleanup stack, whatever happens). A key ssh-add refuses is exit 2 naming ssh-key."""
    s = job.s
    ids = [forward.id for forward in s.ssh if not forward.socket]
    if not s.ssh_key or not ids:
        return
    from .sshagent import SshAgent

    agent = SshAgent.start(s.ssh_key, runner=job.ctx.runner, env=job.ctx.env)
    job.ctx.cleanup.push(agent.stop, "the build's ssh-agent")
    job.agent_socket = agent.socket
    job.ctx.runner.info(f"ssh: a private ssh-agent holds ssh-key for {', '.join(ids)}")


def check_builder_and_registries(job: Job) -> None:
    """The builder (docker) and the registries (HTTP) at the same time. A builder problem
    (no QEMU) is reported first."""

    def builder() -> None:
        if job.s.mode == "merge":
            job.docker.buildx_version()
        else:
            check_builder(job)

    with ThreadPoolExecutor(max_workers=1) as pool:
        asked = pool.submit(builder)
        registry_problem: ShipyardError | None = None
        try:
            if job.s.push:
                preflight(job)
        except ShipyardError as exc:
            registry_problem = exc
        asked.result()
    if registry_problem is not None:
        raise registry_problem


def check_builder(job: Job) -> None:
    """Inspect the builder; a platform it cannot build (no QEMU) fails here, with the fix."""
    s = job.s
    env = job.ctx.env
    # Whether the docker driver uses the containerd image store changes only multi-platform
    # builds, load and cache export: ask `docker info` only then.
    store_matters = (
        len(s.platforms) > 1
        or s.load
        or s.cache in ("gha", "registry", "local")
        or (s.cache == "auto" and bool(s.cache_ref or gha_available(env)))
    )
    builder = job.docker.builder_info(s.builder, detect_store=store_matters)
    job.builder = builder
    job.out.builder = builder.describe()
    job.ctx.runner.info(
        f"builder {builder.describe()}: {', '.join(str(p) for p in builder.platforms)}"
    )

    def emulated(platform: Platform) -> bool:
        return is_local_engine(job.ctx.env) and qemu_registered(platform)

    missing = unbuildable(s.platforms, builder, emulated)
    if missing:
        names = ", ".join(str(p) for p in missing)
        raise ConfigError(
            f"Cannot build {names}: the builder {builder.describe()} runs "
            f"{', '.join(str(p) for p in builder.platforms) or 'no platform'} and no QEMU "
            f"emulator is registered for {', '.join(sorted({p.arch for p in missing}))}.",
            title="Platform needs QEMU",
            hint=qemu_hint(missing),
        )
    if s.load and len(s.platforms) > 1 and not builder.containerd_store:
        raise InputError(
            "load",
            "can load one platform only: the Docker image store (without containerd) "
            "holds one platform per tag.",
            hint="Build one platform with load: true, or push the multi-platform image.",
        )


def preflight(job: Job) -> None:
    """Every registry accepts the credentials and the push, before anything is built."""
    for image in job.s.images:
        client = job.client(image.registry)
        try:
            client.ping()
            client.check_push(image.repository)
        except RegistryDenied as exc:
            raise job.denied(image.registry, exc) from None
        who = client.credentials.username if client.credentials else "anonymous"
        job.ctx.runner.info(f"{image.registry}: {who} may push to {image.repository}")


def decide_tags(job: Job, *, read_registry: bool = True) -> None:
    """The tags; the registry's versions decide latest and the moving tags of a release."""
    s = job.s
    existing: list[str] | None = None
    if needs_registry_versions(s.rules, s.ref) and not read_registry:
        job.note(
            "dry run: the registry's tags were not read; latest and the moving tags are "
            "given as if this release were the highest"
        )
    elif needs_registry_versions(s.rules, s.ref):
        existing = [tag for image in s.images for tag in _registry_tags(job, image)]
    decision = tag_decision(job, existing)
    job.out.decision = decision
    for text in decision.notes:
        job.note(text)
    settle_untagged(job, decision)
    job.out.tags = [image.ref(tag) for image in s.images for tag in decision.tags]
    job.ctx.runner.info("tags: " + (", ".join(decision.tags) or "(none)"))


def tag_decision(job: Job, existing: list[str] | None) -> TagDecision:
    """The tags of this run (``existing``: the registry's tags; None: not read)."""
    s = job.s
    try:
        return compute_tags(s.rules, s.flavor, s.ref, existing)
    except TagRuleError as exc:
        raise InputError("flavor" if "flavor" in str(exc) else "tags", str(exc)) from None


def settle_untagged(job: Job, decision: TagDecision) -> None:
    """No tag is not always an error: with push: auto or false the image is built and checked
    but not pushed (``job.s`` becomes a run that does not push, with a notice naming the
    rules); with push: true it is exit 2. mode: digest needs no tag (it pushes by digest)."""
    s = job.s
    if decision.tags or s.mode == "digest" or job.out.untagged:
        return
    event = f"{s.ref.event_name} event" if s.ref.event_name else "no event"
    where = f"{s.ref.ref or 'this run'} ({event})"
    try:
        reason, notice = push_without_tags(s.push_setting, [rule.text for rule in s.rules], where)
    except NoTagsError as exc:
        raise InputError(
            "tags",
            str(exc),
            hint="Add a rule that applies here (e.g. type=sha or type=raw,value=...), leave "
            "tags empty for the defaults, or set push: auto to build without pushing when no "
            "rule applies.",
        ) from None
    job.out.untagged = notice
    job.ctx.runner.annotate("notice", notice, title="No tags: built, not pushed")
    job.out.notes.append(notice)
    if s.load:
        job.warn("load: there is no tag to load the image under; it is built, not loaded.")
    job.s = replace(s, push=False, push_reason=reason, load=False)


def _registry_tags(job: Job, image: ImageName) -> list[str]:
    """The tags of one image's repository; a failure is a warning unless pushing."""
    try:
        return job.client(image.registry).tags(image.repository)
    except RegistryDenied as exc:
        if job.s.push:
            raise job.denied(image.registry, exc) from None
        job.warn(
            f"Could not list the tags of {image.name} (HTTP {exc.status}); "
            "latest and the moving tags are computed without them."
        )
    except ExternalError as exc:
        if job.s.push:
            raise
        job.warn(f"Could not list the tags of {image.name}: {exc.message}")
    return []


def compute_metadata(job: Job) -> None:
    """The build args and labels: build-info's, with the user's on top."""
    s = job.s
    version = job.out.decision.version if job.out.decision else ""
    defaults_args: dict[str, str] = {}
    defaults_labels: dict[str, str] = {}
    if s.build_info:
        defaults_args = build_info_args(s.ref, version, s.run_number, s.now)
        defaults_labels = oci_labels(s.ref, s.repo, version, s.now)
    job.out.build_args = merged(defaults_args, s.user_build_args)
    job.out.labels = merged(defaults_labels, s.user_labels)


def login(job: Job) -> None:
    """``docker login --password-stdin`` into the private config, for every registry."""
    logins: dict[str, Credentials] = {
        r: c for r, c in job.s.credentials.items() if c is not None and c.source != "docker config"
    }
    logins.update(job.s.extra_logins)
    for registry, creds in logins.items():
        job.ctx.runner.mask(creds.password)
        result = job.retrying(
            f"docker login {registry}",
            functools.partial(job.docker.login, registry, creds.username, creds.password),
        )
        if result.ok:
            job.ctx.runner.info(f"logged in to {registry} as {creds.username}")
            continue
        if not job.s.push:
            job.warn(
                f"docker login {registry} as {creds.username} failed "
                f"({errors.final_error(result.output)}); building without it (nothing is "
                "pushed).",
                title="Registry login failed",
            )
            continue
        raise _login_error(registry, creds, result.output)


def _login_error(registry: str, creds: Credentials, output: str) -> ShipyardError:
    explanation = errors.explain(output, what=f"docker login {registry}")
    if explanation.kind in ("unauthorized", "denied", "unknown") and (
        "unauthorized" in output.lower() or "denied" in output.lower()
    ):
        return errors.registry_denied(
            registry=registry,
            username=creds.username,
            credential_source=creds.source,
            status=401,
            action="login",
            detail=errors.final_error(output).removeprefix("Error response from daemon: "),
        )
    return explanation.error()
