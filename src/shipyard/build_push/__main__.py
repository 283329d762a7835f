"""Entry point of the build-push action: ``python -m shipyard.build_push``.

Order of work, so that a mistake costs nothing and nothing is ever half-tagged:

1. every input is read and checked (exit 2 naming the input); the Dockerfile must exist;
2. the builder is inspected; a platform it cannot build (no QEMU) fails here, with the fix;
3. each registry is asked whether the credentials may push (exit 2 with who/what/which
   permission when not; exit 3 when the registry stays down after retries);
4. the tags are computed (the registry's versions decide ``latest`` and the moving tags of a
   release); ``docker login --password-stdin`` into a private DOCKER_CONFIG;
5. build: one buildx build for a single platform or a multi-platform builder; with the docker
   driver one build per platform, each pushed under a per-platform tag, then
   ``buildx imagetools create`` writes every tag, only after every platform is pushed;
6. the pushed index is read back for the digests, platforms and sizes of the summary.

A failed RUN step is the verdict (exit 1). A cache import/export failure is a warning and the
build runs again without the cache backend. Registry 5xx and network errors are retried.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from shipyard.runtime import (
    ActionContext,
    ConfigError,
    ExitCode,
    ExternalError,
    HttpClient,
    InputError,
    ShipyardError,
    main_for,
)
from shipyard.runtime.summary import Markdown

from . import dryrun, errors
from .buildx import (
    BuilderInfo,
    CommandResult,
    Docker,
    PrivateDockerConfig,
    is_local_engine,
    qemu_registered,
    user_docker_config,
)
from .images import ImageName, parse_image_lines
from .metadata import (
    KeyValueError,
    RepositoryInfo,
    build_info_args,
    clock,
    input_lines,
    merged,
    oci_labels,
    parse_key_values,
    runner_temp,
)
from .plan import (
    BuildOptions,
    BuildOutput,
    CachePlan,
    CredentialError,
    DigestError,
    DigestSource,
    build_argv,
    gha_available,
    parse_digests,
    parse_logins,
    platform_key,
    platform_tag,
    qemu_hint,
    resolve_cache,
    resolve_credentials,
    resolve_push,
    unbuildable,
)
from .platforms import Platform, parse_platforms
from .registry import Credentials, RegistryClient, RegistryDenied, human_size
from .spec import SPEC
from .tags import (
    Flavor,
    RefContext,
    TagDecision,
    TagRule,
    TagRuleError,
    compute_tags,
    context_from_event,
    default_rule_lines,
    needs_registry_versions,
    parse_flavor,
    parse_rules,
)

#: Waits between attempts of a docker command that failed on a registry 5xx / network error.
RETRY_DELAYS: tuple[float, ...] = (2.0, 4.0, 8.0)
PROVENANCE_VALUES = ("false", "true", "mode=min", "mode=max")
_sleep: Callable[[float], None] = time.sleep


# ---------------------------------------------------------------------------------- settings


@dataclass
class Settings:
    """Every input, parsed and checked, before anything is contacted."""

    images: list[ImageName]
    platforms: list[Platform]
    context: str
    file: str
    target: str
    user_build_args: dict[str, str]
    user_labels: dict[str, str]
    rules: list[TagRule]
    default_rules: bool
    flavor: Flavor
    push: bool
    push_reason: str
    load: bool
    cache: str
    cache_ref: str
    provenance: str
    sbom: bool
    build_info: bool
    pull: bool
    builder: str
    mode: str
    dry_run: bool
    digests: list[DigestSource]
    credentials: dict[str, Credentials | None]
    extra_logins: dict[str, Credentials]
    ref: RefContext
    repo: RepositoryInfo
    now: datetime
    run_number: str

    @property
    def registries(self) -> list[str]:
        seen: list[str] = []
        for image in self.images:
            if image.registry not in seen:
                seen.append(image.registry)
        return seen


def _text(ctx: ActionContext, name: str) -> str:
    return ctx.inputs.str(name).strip()


def _bool(ctx: ActionContext, name: str) -> bool:
    return bool(ctx.inputs.get(name))


def _resolve_path(base: str, path: str) -> str:
    if "://" in path or path.startswith("git@"):
        return path
    return path if os.path.isabs(path) else os.path.normpath(os.path.join(base, path))


def read_settings(ctx: ActionContext, now: datetime | None = None) -> Settings:
    """Parse and check every input; raise InputError (exit 2) naming the input."""
    try:
        images = parse_image_lines(input_lines(ctx.inputs.str("images")))
    except ValueError as exc:
        raise InputError("images", str(exc)) from None
    if not images:
        raise InputError("images", "is required: one or more image names (enabled).")
    try:
        platforms = parse_platforms(ctx.inputs.get("platforms"))  # type: ignore[arg-type]
    except ValueError as exc:
        raise InputError("platforms", str(exc)) from None
    if not platforms:
        raise InputError("platforms", "is empty; give at least one, e.g. linux/amd64.")

    mode = _text(ctx, "mode")
    workspace = ctx.github.workspace or os.getcwd()
    context = _resolve_path(workspace, _text(ctx, "context") or ".")
    file = _text(ctx, "file")
    file_path = _resolve_path(workspace, file) if file else ""
    remote_context = "://" in context or context.startswith("git@")
    if mode != "merge" and not remote_context:
        if not os.path.isdir(context):
            raise InputError(
                "context",
                f"'{_text(ctx, 'context') or '.'}' is not a folder ({context}).",
                hint="Check out the repository first (actions/checkout) and give a folder of it.",
            )
        dockerfile = file_path or os.path.join(context, "Dockerfile")
        if not os.path.isfile(dockerfile):
            name = "file" if file else "context"
            raise InputError(
                name,
                f"there is no Dockerfile at {dockerfile}.",
                hint="Set file to the Dockerfile's path (relative to the workspace) or context "
                "to the folder that holds it; check out the repository first.",
            )

    try:
        user_build_args = parse_key_values(input_lines(_text(ctx, "build-args")), "KEY")
    except KeyValueError as exc:
        raise InputError("build-args", str(exc)) from None
    try:
        user_labels = parse_key_values(input_lines(_text(ctx, "labels")), "KEY")
    except KeyValueError as exc:
        raise InputError("labels", str(exc)) from None

    event = ctx.github.event
    moment = now or clock(ctx.env)
    ref = context_from_event(
        event_name=ctx.github.event_name,
        ref=ctx.github.ref,
        sha=ctx.github.sha,
        event=event,
        head_ref=ctx.github.head_ref,
        now=moment,
    )
    tag_lines = input_lines(_text(ctx, "tags"))
    default_rules = not [line for line in tag_lines if not line.strip().startswith("#")]
    try:
        rules = parse_rules(default_rule_lines(ref) if default_rules else tag_lines)
    except TagRuleError as exc:
        raise InputError("tags", str(exc)) from None
    try:
        flavor = parse_flavor(input_lines(_text(ctx, "flavor")))
    except TagRuleError as exc:
        raise InputError("flavor", str(exc)) from None

    push, push_reason = resolve_push(_text(ctx, "push"), ctx.github.event_name)
    provenance = _text(ctx, "provenance").lower()
    if provenance not in PROVENANCE_VALUES:
        raise InputError(
            "provenance", f"'{provenance}' is not one of {', '.join(PROVENANCE_VALUES)}."
        )
    load = _bool(ctx, "load")
    if load and mode != "build":
        raise InputError("load", f"works with mode: build, not mode: {mode}.")

    try:
        digests = parse_digests(_text(ctx, "digests"))
    except DigestError as exc:
        raise InputError("digests", str(exc)) from None
    if digests and mode != "merge":
        raise InputError("digests", "is only used with mode: merge.")

    try:
        logins = parse_logins(ctx.inputs.str("registry-logins"))
    except CredentialError as exc:
        raise InputError(exc.input_name, str(exc)) from None
    registries = list(dict.fromkeys(image.registry for image in images))
    try:
        credentials = resolve_credentials(
            registries,
            username=_text(ctx, "registry-username"),
            password=ctx.inputs.str("registry-password").strip(),
            logins=logins,
            github_token=ctx.inputs.str("github-token").strip(),
            actor=ctx.github.actor,
        )
    except CredentialError as exc:
        raise InputError(exc.input_name, str(exc)) from None
    for creds in credentials.values():
        if creds is not None:
            ctx.runner.mask(creds.password)
    extra = {host: c for host, c in logins.items() if host not in registries}

    return Settings(
        images=images,
        platforms=platforms,
        context=context,
        file=file_path,
        target=_text(ctx, "target"),
        user_build_args=user_build_args,
        user_labels=user_labels,
        rules=rules,
        default_rules=default_rules,
        flavor=flavor,
        push=push,
        push_reason=push_reason,
        load=load,
        cache=_text(ctx, "cache"),
        cache_ref=_text(ctx, "cache-ref"),
        provenance=provenance,
        sbom=_bool(ctx, "sbom"),
        build_info=_bool(ctx, "build-info"),
        pull=_bool(ctx, "pull"),
        builder=_text(ctx, "builder"),
        mode=mode,
        dry_run=_bool(ctx, "dry-run"),
        digests=digests,
        credentials=credentials,
        extra_logins=extra,
        ref=ref,
        repo=RepositoryInfo.from_event(event, ctx.github.repository, ctx.github.server_url),
        now=moment,
        run_number=ctx.github.run_number,
    )


# ------------------------------------------------------------------------------------ the job


@dataclass
class PlatformResult:
    platform: str
    digest: str = ""
    size: int = 0
    seconds: float = 0.0


@dataclass
class Outcome:
    """What happened, for the outputs and the summary."""

    decision: TagDecision | None = None
    pushed: bool = False
    digest: str = ""
    tags: list[str] = field(default_factory=list)
    platforms: dict[str, PlatformResult] = field(default_factory=dict)
    build_args: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    cache: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    builder: str = ""
    stage: str = "starting"
    timings: dict[str, float] = field(default_factory=dict)


class BuildPush:
    """One run of the action (see the module docstring for the order of work)."""

    def __init__(self, ctx: ActionContext, settings: Settings) -> None:
        self.ctx = ctx
        self.s = settings
        self.out = Outcome()
        self._docker: Docker | None = None
        self.http: HttpClient | None = None
        self.clients: dict[str, RegistryClient] = {}
        self.config: PrivateDockerConfig | None = None
        self.builder: BuilderInfo | None = None
        self._stage_started = time.monotonic()
        self.workdir = Path(
            tempfile.mkdtemp(prefix="shipyard-build-push-", dir=runner_temp(ctx.env))
        )

    # -- plumbing --------------------------------------------------------------------------
    @property
    def docker(self) -> Docker:
        """The docker CLI, found on first use (a dry run never looks for it)."""
        if self._docker is None:
            self._docker = Docker.find(self.ctx.env, self._log_line)
        return self._docker

    def stage(self, name: str) -> None:
        """Start a stage (named in the summary if the run stops there); log the time of the
        previous one in the debug output."""
        now = time.monotonic()
        self.out.timings[self.out.stage] = now - self._stage_started
        self.ctx.runner.debug(f"{self.out.stage}: {now - self._stage_started:.2f}s")
        self.out.stage = name
        self._stage_started = now

    def _log_line(self, line: str) -> None:
        self.ctx.runner.info(line)

    def note(self, text: str) -> None:
        self.out.notes.append(text)
        self.ctx.runner.info(text)

    def warn(self, text: str, title: str | None = None) -> None:
        self.out.notes.append(f"warning: {text}")
        self.ctx.runner.annotate("warning", text, title=title)

    def close(self) -> None:
        if self._docker is not None:
            self._docker.terminate()
        if self.config is not None:
            self.config.close()
        if self.http is not None:
            self.http.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def client(self, registry: str) -> RegistryClient:
        if registry not in self.clients:
            if self.http is None:
                self.http = self.ctx.http("registry", timeout=30.0, attempts=4)
            image = next(i for i in self.s.images if i.registry == registry)
            creds = self.s.credentials.get(registry)
            if creds is None and self.config is not None:
                stored = self.config.auth_for(registry)
                if stored:
                    self.ctx.runner.mask(stored[1])
                    creds = Credentials(stored[0], stored[1], "docker config")
                    self.s.credentials[registry] = creds
            self.clients[registry] = RegistryClient(
                self.http, registry, image.api_base, creds, self.ctx.runner.mask
            )
        return self.clients[registry]

    def denied(self, registry: str, exc: RegistryDenied) -> ShipyardError:
        creds = self.s.credentials.get(registry)
        return errors.registry_denied(
            registry=registry,
            username=creds.username if creds else "",
            credential_source=creds.source if creds else "no credentials",
            status=exc.status,
            action=exc.action,
            repository=exc.repository,
            detail=exc.detail,
        )

    def retrying(self, what: str, command: Callable[[], CommandResult]) -> CommandResult:
        """Run a docker command; again after a registry 5xx / network error."""
        result = command()
        for delay in RETRY_DELAYS:
            if result.ok or not errors.is_retryable(result.output):
                return result
            self.ctx.runner.info(
                f"{what} failed with a registry or network error "
                f"({errors.final_error(result.output)}); retrying in {delay:.0f}s"
            )
            _sleep(delay)
            result = command()
        return result

    # -- steps -----------------------------------------------------------------------------
    def run(self) -> ExitCode:
        s = self.s
        self.ctx.runner.info(
            f"build-push: {', '.join(i.name for i in s.images)} for "
            f"{', '.join(str(p) for p in s.platforms)}; mode {s.mode}; {s.push_reason}"
        )
        for image in s.images:
            if image.lowered:
                self.note(f"image name lower-cased: {image.name}")
        # Log in whenever there are credentials: a pull request build (not pushed) may still
        # need them for a private base image.
        needs_config = (
            s.push or bool(s.extra_logins) or any(c is not None for c in s.credentials.values())
        )
        if needs_config:
            ours = [r for r, c in s.credentials.items() if c is not None]
            self.config = PrivateDockerConfig(
                str(self.workdir), user_docker_config(self.ctx.env), [*ours, *s.extra_logins]
            )
            self.docker.config_dir = self.config.path
        self.stage("checking the builder and the registries")
        # The builder (docker) and the registries (HTTP) are asked at the same time. A builder
        # problem (no QEMU) is reported first; nothing is built or pushed before both answer.
        with ThreadPoolExecutor(max_workers=1) as pool:
            builder = pool.submit(
                self.docker.buildx_version if s.mode == "merge" else self.check_builder
            )
            registry_problem: ShipyardError | None = None
            try:
                if s.push:
                    self.preflight()
            except ShipyardError as exc:
                registry_problem = exc
            builder.result()
        if registry_problem is not None:
            raise registry_problem
        self.stage("computing the tags")
        self.compute_tags()
        self.compute_metadata()
        if needs_config:
            self.stage("logging in")
            self.login()
        if s.mode == "merge":
            self.stage("merging the digests")
            self.merge()
        elif s.mode == "digest":
            self.stage("building")
            self.build_per_platform(final_tags=False)
        else:
            self.stage("building")
            self.build()
        self.stage("done")
        self.report()
        return ExitCode.OK

    def dry_run(self) -> ExitCode:
        """Everything that needs no build, printed; no builder, login, registry or Docker."""
        s = self.s
        self.stage("computing the tags")
        self.compute_tags(read_registry=False)
        self.compute_metadata()
        self.builder = dryrun.assumed_builder(s.builder, s.platforms)
        self.out.builder = f"not inspected (dry run; planned for a {dryrun.ASSUMED_DRIVER} builder)"
        multi = len(s.platforms) > 1 and s.mode != "build"
        scopes = [p.slug for p in s.platforms] if multi else [""]
        if s.mode != "merge":
            for scope in scopes:
                cache = self.cache_plan(scope)
                self.out.cache.append(f"{scope or 'build'}: {cache.description}")
        self.stage("done")
        plan: dict[str, Any] = {
            "images": [image.name for image in s.images],
            "tags": self.out.tags,
            "version": self.out.decision.version if self.out.decision else "",
            "platforms": [str(p) for p in s.platforms],
            "mode": s.mode,
            "push": f"{'yes' if s.push else 'no'} ({s.push_reason})",
            "builds": dryrun.build_plan(s.mode, s.platforms, s.push),
            "build args": self.out.build_args,
            "labels": self.out.labels,
            "cache": self.out.cache,
            "notes": self.out.notes,
        }
        for line in dryrun.plan_lines(plan):
            self.ctx.runner.info(line)
        self.report()
        return ExitCode.OK

    def check_builder(self) -> None:
        s = self.s
        env = self.ctx.env
        # Whether the docker driver uses the containerd image store changes only multi-platform
        # builds, load and cache export: ask `docker info` only then.
        store_matters = (
            len(s.platforms) > 1
            or s.load
            or s.cache in ("gha", "registry", "local")
            or (s.cache == "auto" and bool(s.cache_ref or gha_available(env)))
        )
        builder = self.docker.builder_info(s.builder, detect_store=store_matters)
        self.builder = builder
        self.out.builder = builder.describe()
        self.ctx.runner.info(
            f"builder {builder.describe()}: {', '.join(str(p) for p in builder.platforms)}"
        )

        def emulated(platform: Platform) -> bool:
            return is_local_engine(self.ctx.env) and qemu_registered(platform)

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

    def preflight(self) -> None:
        """Every registry accepts the credentials and the push, before anything is built."""
        for image in self.s.images:
            client = self.client(image.registry)
            try:
                client.ping()
                client.check_push(image.repository)
            except RegistryDenied as exc:
                raise self.denied(image.registry, exc) from None
            who = client.credentials.username if client.credentials else "anonymous"
            self.ctx.runner.info(f"{image.registry}: {who} may push to {image.repository}")

    def compute_tags(self, *, read_registry: bool = True) -> None:
        s = self.s
        existing: list[str] | None = None
        if needs_registry_versions(s.rules, s.ref) and not read_registry:
            self.note(
                "dry run: the registry's tags were not read; latest and the moving tags are "
                "given as if this release were the highest"
            )
        elif needs_registry_versions(s.rules, s.ref):
            existing = []
            for image in s.images:
                try:
                    existing += self.client(image.registry).tags(image.repository)
                except RegistryDenied as exc:
                    if s.push:
                        raise self.denied(image.registry, exc) from None
                    self.warn(
                        f"Could not list the tags of {image.name} (HTTP {exc.status}); "
                        "latest and the moving tags are computed without them."
                    )
                except ExternalError as exc:
                    if s.push:
                        raise
                    self.warn(f"Could not list the tags of {image.name}: {exc.message}")
        try:
            decision = compute_tags(s.rules, s.flavor, s.ref, existing)
        except TagRuleError as exc:
            raise InputError("flavor" if "flavor" in str(exc) else "tags", str(exc)) from None
        self.out.decision = decision
        for text in decision.notes:
            self.note(text)
        if not decision.tags and s.mode != "digest":
            raise ConfigError(
                f"The tag rules made no tag for {s.ref.ref or 'this run'} "
                f"({s.ref.event_name or 'no event'}).",
                title="No tags",
                hint="Add a rule that applies here (e.g. type=sha or type=raw,value=...), or "
                "leave tags empty for the defaults.",
            )
        self.out.tags = [image.ref(tag) for image in s.images for tag in decision.tags]
        self.ctx.runner.info("tags: " + ", ".join(decision.tags))

    def compute_metadata(self) -> None:
        s = self.s
        version = self.out.decision.version if self.out.decision else ""
        defaults_args: dict[str, str] = {}
        defaults_labels: dict[str, str] = {}
        if s.build_info:
            defaults_args = build_info_args(s.ref, version, s.run_number, s.now)
            defaults_labels = oci_labels(s.ref, s.repo, version, s.now)
        self.out.build_args = merged(defaults_args, s.user_build_args)
        self.out.labels = merged(defaults_labels, s.user_labels)

    def login(self) -> None:
        logins: dict[str, Credentials] = {
            r: c
            for r, c in self.s.credentials.items()
            if c is not None and c.source != "docker config"
        }
        logins.update(self.s.extra_logins)
        for registry, creds in logins.items():
            self.ctx.runner.mask(creds.password)
            result = self.retrying(
                f"docker login {registry}",
                lambda r=registry, c=creds: self.docker.login(r, c.username, c.password),  # type: ignore[misc]
            )
            if result.ok:
                self.ctx.runner.info(f"logged in to {registry} as {creds.username}")
                continue
            if not self.s.push:
                self.warn(
                    f"docker login {registry} as {creds.username} failed "
                    f"({errors.final_error(result.output)}); building without it (nothing is "
                    "pushed).",
                    title="Registry login failed",
                )
                continue
            explanation = errors.explain(result.output, what=f"docker login {registry}")
            if explanation.kind in ("unauthorized", "denied", "unknown") and (
                "unauthorized" in result.output.lower() or "denied" in result.output.lower()
            ):
                raise errors.registry_denied(
                    registry=registry,
                    username=creds.username,
                    credential_source=creds.source,
                    status=401,
                    action="login",
                    detail=errors.final_error(result.output).removeprefix(
                        "Error response from daemon: "
                    ),
                )
            raise explanation.error()

    # -- building --------------------------------------------------------------------------
    def options(self) -> BuildOptions:
        s = self.s
        return BuildOptions(
            context=s.context,
            file=s.file,
            target=s.target,
            build_args=self.out.build_args,
            labels=self.out.labels,
            provenance=s.provenance,
            sbom=s.sbom,
            pull=s.pull,
            builder=s.builder,
        )

    def cache_plan(self, scope: str) -> CachePlan:
        s = self.s
        assert self.builder is not None
        decision = self.out.decision
        source = ""
        if decision and decision.tags:
            source = next((t for t in decision.tags if t.endswith("latest")), decision.tags[0])
        env = self.ctx.env
        cache_root = os.path.join(
            env.get("RUNNER_TOOL_CACHE") or os.path.join(tempfile.gettempdir(), "shipyard"),
            "shipyard-buildx-cache",
        )
        return resolve_cache(
            s.cache,
            cache_ref=s.cache_ref,
            builder=self.builder,
            on_github=env.get("GITHUB_ACTIONS") == "true" and not env.get("ACT"),
            gha=gha_available(env),
            image=s.images[0],
            source_tag=source,
            scope=scope,
            local_root=cache_root,
            pushing=s.push,
        )

    def run_build(
        self, platforms: Sequence[Platform], output: BuildOutput, scope: str
    ) -> dict[str, Any]:
        """One buildx build, with the cache fallback and registry retries; returns the
        metadata file's content. Raises the explained failure."""
        cache = self.cache_plan(scope)
        if cache.warning:
            self.warn(cache.warning, title="Build cache")
        self.out.cache.append(f"{scope or 'build'}: {cache.description}")
        what = f"the build of {', '.join(str(p) for p in platforms)}"
        metadata_file = self.workdir / f"metadata-{scope or 'all'}.json"
        attempts = 0
        while True:
            attempts += 1
            argv = build_argv(self.options(), platforms, output, cache)
            with self.ctx.runner.group(f"docker buildx build {', '.join(map(str, platforms))}"):
                self.ctx.runner.info("docker buildx build " + " ".join(argv))
                result, metadata = self.docker.build(argv, metadata_file)
            if result.ok:
                if cache.local_dir:
                    _swap_cache(cache.local_dir)
                return metadata
            if cache.uses_cache_backend and errors.is_cache_failure(result.output):
                self.warn(
                    f"The build cache failed ({errors.final_error(result.output)}); building "
                    "again without the cache backend. The image is not affected.",
                    title="Build cache",
                )
                cache = cache.without_backend()
                continue
            explanation = errors.explain(
                result.output,
                what=what,
                dockerfile=self.s.file or os.path.join(self.s.context, "Dockerfile"),
                registries=self.s.registries,
            )
            if explanation.retryable and attempts <= len(RETRY_DELAYS):
                delay = RETRY_DELAYS[attempts - 1]
                self.ctx.runner.info(
                    f"{what} failed with a registry or network error; retrying in {delay:.0f}s"
                )
                _sleep(delay)
                continue
            raise explanation.error()

    def build(self) -> None:
        s = self.s
        assert self.builder is not None
        if len(s.platforms) == 1 or self.builder.multi_platform:
            if s.push:
                output = BuildOutput("push", tuple(self.out.tags), load=s.load)
            elif s.load:
                output = BuildOutput("load", tuple(self.out.tags))
            else:
                output = BuildOutput("cacheonly")
            started = time.monotonic()
            metadata = self.run_build(s.platforms, output, "")
            seconds = time.monotonic() - started
            digest = str(metadata.get("containerimage.digest", ""))
            for platform in s.platforms:
                self.out.platforms[str(platform)] = PlatformResult(
                    str(platform), digest if len(s.platforms) == 1 else "", 0, seconds
                )
            if s.push:
                self.out.pushed = True
                self.out.digest = digest
                self.read_back(self.out.decision.tags[0] if self.out.decision else digest)
            return
        self.build_per_platform(final_tags=True)

    def build_per_platform(self, *, final_tags: bool) -> None:
        """One build per platform, each pushed under its per-platform tag; then (final_tags)
        imagetools create writes every tag, after every platform is pushed."""
        s = self.s
        key = platform_key(s.ref.short_sha, self.out.decision.version if self.out.decision else "")
        platform_refs: list[str] = []
        for platform in s.platforms:
            refs = tuple(image.ref(platform_tag(key, platform)) for image in s.images)
            if s.push:
                output = BuildOutput("push", refs)
            elif s.load and len(s.platforms) == 1:
                output = BuildOutput("load", tuple(self.out.tags))
            else:
                output = BuildOutput("cacheonly")
            started = time.monotonic()
            metadata = self.run_build([platform], output, platform.slug)
            digest = str(metadata.get("containerimage.digest", ""))
            self.out.platforms[str(platform)] = PlatformResult(
                str(platform), digest, 0, time.monotonic() - started
            )
            if s.push:
                if not digest:
                    raise ExternalError(
                        f"buildx reported no digest for {platform}.", title="Push failed"
                    )
                platform_refs += refs
                self.ctx.runner.info(f"{platform}: pushed {digest} as {', '.join(refs)}")
        if not s.push:
            return
        if not final_tags:
            self.out.pushed = True
            self.out.tags = platform_refs
            if len(s.platforms) == 1:
                self.out.digest = self.out.platforms[str(s.platforms[0])].digest
            self.read_back(None)
            return
        sources = [
            DigestSource(result.digest, platform=name)
            for name, result in self.out.platforms.items()
        ]
        self.create_tags(sources)

    def create_tags(self, sources: Sequence[DigestSource]) -> None:
        """``imagetools create`` every tag of every image from the platform digests."""
        decision = self.out.decision
        assert decision is not None
        for image in self.s.images:
            tags = [image.ref(tag) for tag in decision.tags]
            refs = [image.digest_ref(source.digest) for source in sources]
            with self.ctx.runner.group(f"docker buildx imagetools create {image.name}"):
                result = self.retrying(
                    f"imagetools create {image.name}",
                    lambda t=tags, r=refs: self.docker.imagetools_create(t, r),  # type: ignore[misc]
                )
            if not result.ok:
                raise errors.explain(
                    result.output,
                    what=f"creating the tags of {image.name}",
                    registries=self.s.registries,
                ).error()
            self.ctx.runner.info(f"{image.name}: tagged {', '.join(decision.tags)}")
        self.out.pushed = True
        self.read_back(decision.tags[0])

    def merge(self) -> None:
        """mode: merge: the digests of the fan-out jobs become the tagged image."""
        s = self.s
        decision = self.out.decision
        assert decision is not None
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
                    found = self.client(image.registry).manifest(image.repository, tag)
                except RegistryDenied as exc:
                    raise self.denied(image.registry, exc) from None
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
                    found = self.client(image.registry).manifest(image.repository, source.digest)
                except RegistryDenied as exc:
                    raise self.denied(image.registry, exc) from None
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
            self.out.platforms[name] = PlatformResult(name, source.digest)
        if not s.push:
            self.note(f"not pushed ({s.push_reason}): the tags were not created")
            return
        self.out.platforms.clear()
        self.create_tags(sources)

    def read_back(self, reference: str | None) -> None:
        """Read the pushed tag (or each platform image) back: digests, platforms, sizes."""
        image = self.s.images[0]
        client = self.client(image.registry)
        try:
            if reference is None:
                for name, result in self.out.platforms.items():
                    _top, images = client.platform_images(image.repository, result.digest)
                    if images:
                        result.size = images[0].size
                        self.out.platforms[name] = result
                return
            top, images = client.platform_images(image.repository, reference)
        except RegistryDenied as exc:
            raise self.denied(image.registry, exc) from None
        self.out.digest = top
        seconds = {name: r.seconds for name, r in self.out.platforms.items()}
        self.out.platforms = {
            item.platform: PlatformResult(
                item.platform, item.digest, item.size, seconds.get(item.platform, 0.0)
            )
            for item in images
        }
        expected = {str(p) for p in self.s.platforms}
        if self.s.mode != "merge" and set(self.out.platforms) != expected:
            raise ExternalError(
                f"{image.ref(reference)} lists {', '.join(sorted(self.out.platforms))}, not "
                f"{', '.join(sorted(expected))}.",
                title="Pushed image is incomplete",
            )

    # -- outputs and summary ---------------------------------------------------------------
    def outputs(self) -> dict[str, Any]:
        decision = self.out.decision
        platform_digests = {name: r.digest for name, r in self.out.platforms.items() if r.digest}
        image_refs = (
            [image.digest_ref(self.out.digest) for image in self.s.images]
            if self.out.pushed and self.out.digest
            else []
        )
        metadata = {
            "images": [image.name for image in self.s.images],
            "tags": list(decision.tags) if decision else [],
            "refs": self.out.tags,
            "version": decision.version if decision else "",
            "latest": decision.latest if decision else False,
            "digest": self.out.digest,
            "pushed": self.out.pushed,
            "mode": self.s.mode,
            "platforms": self.platform_names(),
            "platform-digests": platform_digests,
            "sizes": {name: r.size for name, r in self.out.platforms.items() if r.size},
            "labels": self.out.labels,
            "build-args": {k: v for k, v in self.out.build_args.items() if k.startswith("BUILD_")},
            "cache": self.out.cache,
            "builder": self.out.builder,
            "notes": self.out.notes,
            "timings": {stage: round(seconds, 2) for stage, seconds in self.out.timings.items()},
            "dry-run": self.s.dry_run,
            "push-decision": self.s.push_reason,
        }
        return {
            "digest": self.out.digest,
            "tags": "\n".join(self.out.tags),
            "image-refs": "\n".join(image_refs),
            "platform-digests": platform_digests,
            "version": decision.version if decision else "",
            "pushed": self.out.pushed,
            "metadata": metadata,
        }

    def platform_names(self) -> list[str]:
        """The platforms of the image: as pushed when known, else as asked."""
        pushed = [name for name in self.out.platforms if "/" in name]
        return pushed or [str(p) for p in self.s.platforms]

    def report(self) -> None:
        values = self.outputs()
        for name, value in values.items():
            self.ctx.set_output(name, value)
        self.summary(done=True)

    def summary(self, *, done: bool) -> None:
        s = self.s
        summary = self.ctx.summary
        decision = self.out.decision
        verb = {"merge": "Merged", "digest": "Built by digest"}.get(s.mode, "Built")
        if s.dry_run:
            verb = "Dry run (nothing built or pushed)"
        pushed = " and pushed" if self.out.pushed else ""
        platforms = ", ".join(self.platform_names())
        if done:
            summary.heading(f"\U0001f433 {verb}{pushed}: {s.images[0].name} ({platforms})", 3)
        else:
            summary.heading(f"build-push stopped while {self.out.stage}", 3)
        sizes = " / ".join(f"{human_size(r.size)}" for r in self.out.platforms.values() if r.size)
        tag_names = (
            ", ".join(decision.tags)
            if decision and s.mode != "digest"
            else ", ".join(t.rsplit(":", 1)[-1] for t in self.out.tags)
        )
        rows = []
        for image in s.images:
            rows.append(
                [
                    image.name,
                    tag_names or "(none)",
                    Markdown(f"`{self.out.digest}`") if self.out.digest else "(not pushed)",
                    ", ".join(self.out.platforms) or platforms,
                    sizes or "",
                ]
            )
        summary.table(["Image", "Tags", "Digest", "Platforms", "Size"], rows)
        if self.out.platforms and any(r.digest or r.size for r in self.out.platforms.values()):
            summary.table(
                ["Platform", "Digest", "Size", "Build time"],
                [
                    [
                        r.platform,
                        Markdown(f"`{r.digest}`") if r.digest else "",
                        human_size(r.size) if r.size else "",
                        f"{r.seconds:.1f}s" if r.seconds else "",
                    ]
                    for r in self.out.platforms.values()
                ],
            )
        if self.out.pushed:
            image = s.images[0]
            pull = (
                f"docker pull {image.digest_ref(self.out.digest)}"
                if self.out.digest
                else f"docker pull {self.out.tags[0]}"
            )
            if decision and decision.tags and s.mode != "digest":
                pull = f"docker pull {image.ref(decision.tags[0])}\n# or, pinned:\n{pull}"
            summary.raw("**Pull:**")
            summary.code(pull, "sh")
        elif done and s.dry_run:
            summary.paragraph(
                f"A real run would push: {'yes' if s.push else 'no'} ({s.push_reason})."
            )
        elif done:
            summary.paragraph(f"Not pushed: {s.push_reason}.")
        facts = [f"mode: {s.mode}", s.push_reason]
        if self.out.builder:
            facts.append(f"builder: {self.out.builder}")
        facts += [f"cache {entry}" for entry in self.out.cache]
        facts += self.out.notes
        summary.details("Details", "\n".join(f"- {_md_escape(f)}" for f in facts))


def _md_escape(text: str) -> str:
    from shipyard.runtime.summary import escape_text

    return escape_text(text)


def _swap_cache(folder: str) -> None:
    """Move ``<folder>-new`` (the export of this build) over ``<folder>`` so the local cache
    does not grow without bound (buildx appends to a local cache)."""
    new = f"{folder}-new"
    if not os.path.isdir(new):
        return
    with contextlib.suppress(OSError):
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(new, folder)


def run(ctx: ActionContext) -> ExitCode:
    settings = read_settings(ctx)
    job = BuildPush(ctx, settings)
    try:
        return job.dry_run() if settings.dry_run else job.run()
    except ShipyardError:
        with contextlib.suppress(Exception):
            job.summary(done=False)
        raise
    finally:
        job.close()


_main = main_for(SPEC, run)
#: Boolean inputs that may be given as a bare flag on the command line (``--dry-run``).
BARE_FLAGS = ("--dry-run",)


def bare_flags(argv: Sequence[str]) -> list[str]:
    """``--dry-run`` alone (last, or followed by another flag) means ``--dry-run true``."""
    out: list[str] = []
    for index, item in enumerate(argv):
        out.append(item)
        following = argv[index + 1] if index + 1 < len(argv) else "--"
        if item in BARE_FLAGS and following.startswith("--"):
            out.append("true")
    return out


def main(argv: list[str] | None = None) -> int:
    import sys

    return _main(bare_flags(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    raise SystemExit(main(None))
