"""From the typed inputs (``spec.Settings``) to the checked plan of one run (``BuildSettings``).

Pure but for one look at the workspace (the context folder and the Dockerfile must exist):
no environment (the run context and the clock come in as arguments), no network, no Docker.
Every problem is an InputError naming the input (exit 2).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from shipyard.runtime import InputError, RunContext, parse_key_values

from .buildsecrets import BuildSecret, SecretInputError, SshForward, parse_secrets, parse_ssh
from .images import ImageName, parse_image_lines
from .metadata import RepositoryInfo, input_lines
from .plan import (
    CredentialError,
    DigestError,
    DigestSource,
    parse_digests,
    parse_logins,
    resolve_credentials,
    resolve_push,
)
from .platforms import Platform, parse_platforms
from .registry import Credentials
from .spec import CacheMode, Mode, Settings
from .tags import (
    Flavor,
    RefContext,
    TagRule,
    TagRuleError,
    context_from_event,
    default_rule_lines,
    parse_flavor,
    parse_rules,
)

PROVENANCE_VALUES = ("false", "true", "mode=min", "mode=max")


@dataclass(frozen=True)
class BuildSettings:
    """Every input, parsed and checked, before anything is contacted."""

    images: tuple[ImageName, ...]
    platforms: tuple[Platform, ...]
    context: str
    file: str
    target: str
    user_build_args: Mapping[str, str]
    user_labels: Mapping[str, str]
    rules: tuple[TagRule, ...]
    default_rules: bool
    flavor: Flavor
    push: bool
    push_reason: str
    #: The push input as given (auto, true, false); ``push`` is what it means for this run.
    push_setting: str
    load: bool
    cache: CacheMode
    cache_ref: str
    provenance: str
    sbom: bool
    build_info: bool
    pull: bool
    builder: str
    mode: Mode
    dry_run: bool
    digests: tuple[DigestSource, ...]
    #: Per registry of ``images``: the credentials to use (None: none given). Credentials an
    #: earlier login step left in the docker config are added when found.
    credentials: dict[str, Credentials | None]
    extra_logins: Mapping[str, Credentials]
    ref: RefContext
    repo: RepositoryInfo
    now: datetime
    run_number: str
    #: Build secrets (ids and the variables holding them) and the SSH ids to forward.
    build_secrets: tuple[BuildSecret, ...] = ()
    ssh: tuple[SshForward, ...] = ()
    ssh_key: str = field(default="", repr=False)
    #: Every secret value of the run (passwords, build secrets, the SSH key): to mask.
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def registries(self) -> list[str]:
        return list(dict.fromkeys(image.registry for image in self.images))


def _resolve_path(base: str, path: str) -> str:
    if _is_remote(path):
        return path
    return path if os.path.isabs(path) else os.path.normpath(os.path.join(base, path))


def _is_remote(path: str) -> bool:
    return "://" in path or path.startswith("git@")


def read_images(settings: Settings) -> tuple[ImageName, ...]:
    """The ``images`` input as parsed image names; at least one (exit 2 naming the input)."""
    try:
        images = parse_image_lines(input_lines(settings.images))
    except ValueError as exc:
        raise InputError("images", str(exc)) from None
    if not images:
        raise InputError("images", "is required: one or more image names (enabled).")
    return tuple(images)


def read_platforms(settings: Settings) -> tuple[Platform, ...]:
    """The ``platforms`` input, parsed; at least one."""
    try:
        platforms = parse_platforms(settings.platforms)
    except ValueError as exc:
        raise InputError("platforms", str(exc)) from None
    if not platforms:
        raise InputError("platforms", "is empty; give at least one, e.g. linux/amd64.")
    return tuple(platforms)


def read_paths(settings: Settings, workspace: str) -> tuple[str, str]:
    """(context, Dockerfile path or ''): the context folder and the Dockerfile must exist
    (not checked for a remote context, nor in merge mode, which builds nothing)."""
    context = _resolve_path(workspace, settings.context or ".")
    file_path = _resolve_path(workspace, settings.file) if settings.file else ""
    if settings.mode == "merge" or _is_remote(context):
        return context, file_path
    if not os.path.isdir(context):
        raise InputError(
            "context",
            f"'{settings.context or '.'}' is not a folder ({context}).",
            hint="Check out the repository first (actions/checkout) and give a folder of it.",
        )
    dockerfile = file_path or os.path.join(context, "Dockerfile")
    if not os.path.isfile(dockerfile):
        raise InputError(
            "file" if settings.file else "context",
            f"there is no Dockerfile at {dockerfile}.",
            hint="Set file to the Dockerfile's path (relative to the workspace) or context "
            "to the folder that holds it; check out the repository first.",
        )
    return context, file_path


def read_key_values(name: str, text: str) -> dict[str, str]:
    """``KEY=VALUE`` lines of input ``name`` as a dict."""
    return dict(parse_key_values(name, text))


def read_tags(settings: Settings, ref: RefContext) -> tuple[tuple[TagRule, ...], bool, Flavor]:
    """(rules, whether they are the defaults, flavor)."""
    lines = input_lines(settings.tags)
    default_rules = not [line for line in lines if not line.strip().startswith("#")]
    try:
        rules = parse_rules(default_rule_lines(ref) if default_rules else lines)
    except TagRuleError as exc:
        raise InputError("tags", str(exc)) from None
    try:
        flavor = parse_flavor(input_lines(settings.flavor))
    except TagRuleError as exc:
        raise InputError("flavor", str(exc)) from None
    return tuple(rules), default_rules, flavor


def read_provenance(settings: Settings) -> str:
    """The ``provenance`` input, checked against the values buildx knows."""
    provenance = settings.provenance.strip().lower()
    if provenance not in PROVENANCE_VALUES:
        raise InputError(
            "provenance", f"'{provenance}' is not one of {', '.join(PROVENANCE_VALUES)}."
        )
    return provenance


def read_mode_inputs(settings: Settings) -> tuple[DigestSource, ...]:
    """The inputs that depend on the mode: load (build only) and digests (merge only)."""
    if settings.load and settings.mode != "build":
        raise InputError("load", f"works with mode: build, not mode: {settings.mode}.")
    try:
        digests = parse_digests(settings.digests)
    except DigestError as exc:
        raise InputError("digests", str(exc)) from None
    if digests and settings.mode != "merge":
        raise InputError("digests", "is only used with mode: merge.")
    return tuple(digests)


def read_credentials(
    settings: Settings, registries: list[str], actor: str
) -> tuple[dict[str, Credentials | None], dict[str, Credentials]]:
    """(credentials per registry of images, logins for other registries)."""
    try:
        logins = parse_logins(settings.registry_logins)
        credentials = resolve_credentials(
            registries,
            username=settings.registry_username.strip(),
            password=settings.registry_password.strip(),
            logins=logins,
            github_token=settings.github_token.strip(),
            actor=actor,
        )
    except CredentialError as exc:
        raise InputError(exc.input_name, str(exc)) from None
    extra = {host: c for host, c in logins.items() if host not in registries}
    return credentials, extra


def is_socket(path: str) -> bool:
    """Whether ``path`` is a unix socket (an SSH agent's)."""
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


def read_build_secrets(
    settings: Settings, env: Mapping[str, str]
) -> tuple[tuple[BuildSecret, ...], tuple[SshForward, ...], tuple[str, ...]]:
    """(build secrets, SSH ids, the secret values to mask): checked against the environment
    (each variable set; an agent for each SSH id)."""
    try:
        secrets, values = parse_secrets(settings.secrets, env)
        ssh = parse_ssh(settings.ssh, settings.ssh_key, env, is_socket)
    except SecretInputError as exc:
        raise InputError(exc.input_name, str(exc), hint=exc.hint or None) from None
    if settings.mode == "merge":
        for name, given in (("secrets", secrets), ("ssh", ssh)):
            if given:
                raise InputError(name, "is used by builds; mode: merge builds nothing.")
    key = (settings.ssh_key.strip(),) if settings.ssh_key.strip() else ()
    return secrets, ssh, (*values, *key)


def ref_context(run: RunContext, now: datetime) -> RefContext:
    """The run context as the tags see it: a view of the runtime's RunContext, whose ``commit``
    (the PR head on pull requests) is the one commit every action builds, tags and reports."""
    return context_from_event(
        event_name=run.event_name,
        ref=run.ref,
        sha=run.commit or run.sha,
        event=run.event,
        head_ref=run.head_ref,
        now=now,
    )


def read_settings(
    settings: Settings,
    run: RunContext,
    now: datetime,
    env: Mapping[str, str] | None = None,
) -> BuildSettings:
    """Check every input and derive the run's plan; raise InputError naming the input.
    ``env`` (the run's environment) holds the build secrets' values."""
    images = read_images(settings)
    platforms = read_platforms(settings)
    context, file_path = read_paths(settings, run.workspace or os.getcwd())
    ref = ref_context(run, now)
    rules, default_rules, flavor = read_tags(settings, ref)
    push, push_reason = resolve_push(settings.push, run.event_name)
    digests = read_mode_inputs(settings)
    registries = list(dict.fromkeys(image.registry for image in images))
    credentials, extra = read_credentials(settings, registries, run.actor)
    build_secrets, ssh, secret_values = read_build_secrets(settings, env or {})
    passwords = tuple(c.password for c in [*credentials.values(), *extra.values()] if c)
    return BuildSettings(
        images=images,
        platforms=platforms,
        context=context,
        file=file_path,
        target=settings.target.strip(),
        user_build_args=read_key_values("build-args", settings.build_args),
        user_labels=read_key_values("labels", settings.labels),
        rules=rules,
        default_rules=default_rules,
        flavor=flavor,
        push=push,
        push_reason=push_reason,
        push_setting=settings.push,
        load=settings.load,
        cache=settings.cache,
        cache_ref=settings.cache_ref.strip(),
        provenance=read_provenance(settings),
        sbom=settings.sbom,
        build_info=settings.build_info,
        pull=settings.pull,
        builder=settings.builder.strip(),
        mode=settings.mode,
        dry_run=settings.dry_run,
        digests=digests,
        credentials=credentials,
        extra_logins=extra,
        ref=ref,
        repo=RepositoryInfo.from_event(run.event, run.repository, run.server_url),
        now=now,
        run_number=run.run_number,
        build_secrets=build_secrets,
        ssh=ssh,
        ssh_key=settings.ssh_key.strip(),
        secrets=(*passwords, *secret_values),
    )
