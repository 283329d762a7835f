"""The decisions of a build: push or not, whose credentials, which cache, which buildx flags,
which platforms this builder cannot build, and the digests a merge joins. No I/O of its own, but
not declared pure while ``Credentials`` and ``BuilderInfo`` live in the registry and docker
adapters (``PURE_MODULES``)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from .buildx import BuilderInfo
from .images import DIGEST, ImageName, check_registry, parse_image
from .platforms import Platform, supported_by
from .registry import Credentials
from .tags import sanitize_tag

#: Events that push with ``push: auto``. Pull requests (and anything else) only build.
PUSH_EVENTS = frozenset(
    {"push", "release", "schedule", "workflow_dispatch", "repository_dispatch", "create"}
)


def resolve_push(setting: str, event_name: str) -> tuple[bool, str]:
    """(push?, why) for ``push: auto|true|false``."""
    if setting == "true":
        return True, "push: true"
    if setting == "false":
        return False, "push: false"
    if event_name in PUSH_EVENTS:
        return True, f"push: auto on a {event_name} event"
    if event_name.startswith("pull_request"):
        return False, "push: auto does not push for pull requests"
    if not event_name:
        return False, "push: auto does not push outside a workflow run"
    return False, f"push: auto does not push on a {event_name} event"


class NoTagsError(ValueError):
    """``push: true`` on a run whose tag rules made no tag: nothing to push the image under."""


def push_without_tags(setting: str, rules: Sequence[str], where: str) -> tuple[str, str]:
    """(why it is not pushed, the notice) for a run whose tag rules made no tag for ``where``
    (``refs/heads/x (push event)``): with ``push: auto`` or ``false`` the image is built and
    checked, not pushed (what metadata-action and build-push-action do: no tags, a build).
    With ``push: true`` it is an error (NoTagsError): the run was asked to push and cannot."""
    named = "; ".join(rules) or "(none)"
    if setting == "true":
        raise NoTagsError(
            f"made no tag for {where} (rules: {named}), and push: true needs one to push the "
            "image under."
        )
    reason = f"push: {setting}, and the tag rules made no tag for {where}"
    notice = (
        f"The tag rules made no tag for {where}: {named}. The image is built and checked, "
        "not pushed."
    )
    return reason, notice


# ------------------------------------------------------------------------------- credentials


class CredentialError(ValueError):
    def __init__(self, input_name: str, message: str) -> None:
        super().__init__(message)
        self.input_name = input_name


def parse_logins(text: str) -> dict[str, Credentials]:
    """``registry=username:password`` lines (the password may hold ``:`` and ``=``)."""
    result: dict[str, Credentials] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        registry, sep, rest = entry.partition("=")
        username, sep2, password = rest.partition(":")
        registry, username = registry.strip().lower(), username.strip()
        if not sep or not sep2 or not registry or not username or not password:
            # Never quote the line: it holds a password.
            raise CredentialError(
                "registry-logins",
                f"line {number} is not 'registry=username:password' (e.g. ghcr.io=octocat:ghp_...)",
            )
        try:
            check_registry(registry, f"line {number}: the registry")
        except ValueError as exc:  # the line is not quoted: it holds a password
            raise CredentialError("registry-logins", str(exc)) from None
        result[registry] = Credentials(username, password, "registry-logins")
    return result


def resolve_credentials(
    registries: Sequence[str],
    *,
    username: str,
    password: str,
    logins: Mapping[str, Credentials],
    github_token: str,
    actor: str,
) -> dict[str, Credentials | None]:
    """The credentials for each registry of ``images``:

    a ``registry-logins`` line wins; ghcr.io uses registry-username/password only when every
    image is on ghcr.io, else (and by default) the actor with the job token; every other
    registry uses registry-username/password, or nothing."""
    if password and not username and any(r != "ghcr.io" for r in registries):
        raise CredentialError("registry-username", "is required with registry-password.")
    if username and not password:
        raise CredentialError("registry-password", "is required with registry-username.")
    explicit = Credentials(username, password, "registry-username") if password else None
    only_ghcr = all(registry == "ghcr.io" for registry in registries)
    result: dict[str, Credentials | None] = {}
    for registry in registries:
        if registry in logins:
            result[registry] = logins[registry]
        elif registry == "ghcr.io":
            if explicit and only_ghcr:
                result[registry] = Credentials(username or actor, password, "registry-username")
            elif github_token:
                result[registry] = Credentials(actor or "github-actions", github_token, "job token")
            else:
                result[registry] = explicit
        else:
            result[registry] = explicit
    return result


# -------------------------------------------------------------------------------------- cache


@dataclass(frozen=True)
class CachePlan:
    """The cache flags of one build and what to tell the user about them."""

    mode: str
    cache_from: tuple[str, ...] = ()
    cache_to: tuple[str, ...] = ()
    no_cache: bool = False
    description: str = ""
    warning: str = ""
    #: For local caches exported to ``<dir>-new``: the folder to swap in after the build.
    local_dir: str = ""

    @property
    def uses_cache_backend(self) -> bool:
        """Whether the build imports or exports a cache (gha, registry, local, inline)."""
        return bool(self.cache_from or self.cache_to)

    def without_backend(self) -> CachePlan:
        """The same build on the builder's own cache, after the cache backend failed."""
        return CachePlan("engine", description="the builder's own cache (the cache backend failed)")


def gha_available(env: Mapping[str, str]) -> bool:
    """Whether buildx can reach the GitHub Actions cache (a composite action's steps get
    ACTIONS_RUNTIME_TOKEN only when an earlier step exports it)."""
    return bool(env.get("ACTIONS_RUNTIME_TOKEN")) and bool(
        env.get("ACTIONS_CACHE_URL") or env.get("ACTIONS_RESULTS_URL")
    )


def resolve_cache(
    requested: str,
    *,
    cache_ref: str,
    builder: BuilderInfo,
    on_github: bool,
    gha: bool,
    image: ImageName,
    source_tag: str,
    scope: str,
    local_root: str,
    pushing: bool,
) -> CachePlan:
    """The cache of one build. ``scope`` keeps platforms built separately apart."""
    suffix = f"-{scope}" if scope else ""
    engine = CachePlan(
        "local",
        description=f"the Docker engine's own build cache (builder {builder.describe()})",
    )
    if requested == "none":
        return CachePlan("none", no_cache=True, description="none: a clean build (--no-cache)")
    mode = requested
    if requested == "auto":
        if cache_ref:
            mode = "registry"
        elif on_github and gha and builder.cache_export:
            mode = "gha"
        else:
            mode = "local"
    if mode == "gha":
        problem = ""
        if not builder.cache_export:
            problem = (
                f"the builder {builder.describe()} cannot export cache (turn on the containerd "
                "image store or use a docker-container builder)"
            )
        elif not gha:
            problem = (
                "ACTIONS_RUNTIME_TOKEN and ACTIONS_CACHE_URL/ACTIONS_RESULTS_URL are not in the "
                "step's environment (export them in an earlier step, e.g. with "
                "crazy-max/ghaction-github-runtime)"
            )
        if problem:
            warning = "" if requested == "auto" else f"cache: gha is not possible here: {problem}."
            return CachePlan(
                "local",
                description=engine.description,
                warning=warning + (" Using the builder's own cache." if warning else ""),
            )
        name = f"{image.repository.replace('/', '-')}{suffix}"
        return CachePlan(
            "gha",
            cache_from=(f"type=gha,scope={name}",),
            cache_to=(f"type=gha,scope={name},mode=max,ignore-error=true",),
            description=f"GitHub Actions cache, scope {name}",
        )
    if mode == "registry":
        ref = (cache_ref or image.ref("buildcache")) + suffix
        if builder.cache_export:
            return CachePlan(
                "registry",
                cache_from=(f"type=registry,ref={ref}",),
                cache_to=(f"type=registry,ref={ref},mode=max,ignore-error=true",),
                description=f"registry cache {ref}",
            )
        return CachePlan(
            "inline",
            cache_from=(f"type=registry,ref={ref}",),
            cache_to=("type=inline",) if pushing else (),
            description=f"imported from {ref}; exported inline in the pushed image",
            warning=(
                f"cache: registry cannot export {ref} with the builder {builder.describe()}: "
                "importing it only, exporting the cache inline in the pushed image instead. "
                "Turn on the containerd image store or use a docker-container builder to "
                "export it."
            ),
        )
    if mode == "inline":
        source = image.ref(source_tag) if source_tag else ""
        return CachePlan(
            "inline",
            cache_from=(f"type=registry,ref={source}",) if source else (),
            cache_to=("type=inline",),
            description=f"inline cache in the pushed image (imported from {source or 'none'})",
        )
    # local
    if not builder.cache_export:
        return engine
    folder = (cache_ref or f"{local_root}/{image.repository.replace('/', '-')}") + suffix
    return CachePlan(
        "local",
        cache_from=(f"type=local,src={folder}",),
        cache_to=(f"type=local,dest={folder}-new,mode=max,ignore-error=true",),
        description=f"local folder {folder}",
        local_dir=folder,
    )


# ------------------------------------------------------------------------------------ argv


@dataclass(frozen=True)
class BuildOptions:
    context: str
    file: str = ""
    target: str = ""
    build_args: Mapping[str, str] | None = None
    labels: Mapping[str, str] | None = None
    provenance: str = "false"
    sbom: bool = False
    pull: bool = False
    builder: str = ""
    #: ``--secret`` values (``id=x,env=NAME``: names, never values) and ``--ssh`` values.
    secrets: tuple[str, ...] = ()
    ssh: tuple[str, ...] = ()


OutputKind = Literal["push", "load", "cacheonly"]


@dataclass(frozen=True)
class BuildOutput:
    """Where the image goes: pushed under ``refs`` (tags), loaded into docker under them, or
    nowhere (the cache only)."""

    kind: OutputKind
    refs: tuple[str, ...] = ()
    load: bool = False


def build_argv(
    options: BuildOptions,
    platforms: Sequence[Platform],
    output: BuildOutput,
    cache: CachePlan,
) -> list[str]:
    """The arguments after ``docker buildx build``."""
    argv = ["--platform", ",".join(str(p) for p in platforms)]
    if options.builder:
        argv += ["--builder", options.builder]
    if options.file:
        argv += ["--file", options.file]
    if options.target:
        argv += ["--target", options.target]
    argv += _input_flags(options)
    provenance = options.provenance
    argv.append(f"--provenance={provenance}")
    argv.append(f"--sbom={'true' if options.sbom else 'false'}")
    if options.pull:
        argv.append("--pull")
    if cache.no_cache:
        argv.append("--no-cache")
    for item in cache.cache_from:
        argv += ["--cache-from", item]
    for item in cache.cache_to:
        argv += ["--cache-to", item]
    argv += _output_flags(output)
    argv.append(options.context)
    return argv


def _input_flags(options: BuildOptions) -> list[str]:
    """Build args, labels, secrets (by variable name) and SSH forwards."""
    argv: list[str] = []
    for key, value in (options.build_args or {}).items():
        argv += ["--build-arg", f"{key}={value}"]
    for key, value in (options.labels or {}).items():
        argv += ["--label", f"{key}={value}"]
    for item in options.secrets:
        argv += ["--secret", item]
    for item in options.ssh:
        argv += ["--ssh", item]
    return argv


def _output_flags(output: BuildOutput) -> list[str]:
    if output.kind == "cacheonly":
        return ["--output", "type=cacheonly"]
    argv: list[str] = []
    for ref in output.refs:
        argv += ["--tag", ref]
    if output.kind == "push":
        argv.append("--push")
    if output.kind == "load" or output.load:
        argv.append("--load")
    return argv


# ---------------------------------------------------------------------------------- platforms


def unbuildable(
    platforms: Iterable[Platform],
    builder: BuilderInfo,
    emulated: Callable[[Platform], bool],
) -> list[Platform]:
    """The platforms this builder can neither run natively nor through QEMU."""
    missing = []
    native = builder.native
    for platform in platforms:
        if supported_by(platform, builder.platforms):
            continue
        if native is not None and platform.runs_natively_on(native):
            continue
        if emulated(platform):
            continue
        missing.append(platform)
    return missing


def qemu_hint(missing: Sequence[Platform]) -> str:
    """What to do when the runner cannot emulate the ``missing`` platforms."""
    arches = ",".join(sorted({p.arch for p in missing}))
    return (
        "Register QEMU emulators on the runner before this step: `docker run --privileged --rm "
        f"tonistiigi/binfmt --install {arches}` (what docker/setup-qemu-action does), or on "
        "Debian/Ubuntu `sudo apt-get install -y qemu-user-static binfmt-support`. Or build "
        "these platforms natively: one job per platform on a matching runner with mode: "
        "digest, then a job with mode: merge."
    )


def platform_tag(key: str, platform: Platform) -> str:
    """The tag a per-platform image is pushed under before the tags join them:
    ``sha-0123abc-linux-arm64``."""
    return sanitize_tag(f"{key}-{platform.slug}")


def platform_key(short_sha: str, version: str) -> str:
    """The tag that names one platform's digest in a fan-out (``sha-<short sha>``, else
    ``build-<version>``)."""
    return f"sha-{short_sha}" if short_sha else f"build-{version or 'local'}"


# ------------------------------------------------------------------------------------ digests


@dataclass(frozen=True)
class DigestSource:
    """One image to join: a digest, maybe with the image it lives in and its platform."""

    digest: str
    image: str = ""
    platform: str = ""


class DigestError(ValueError):
    """A digest input that cannot be read; the message says why."""

    pass


_JSON_START = re.compile(r"^\s*[\[{]")


def _from_json(data: object) -> list[DigestSource]:
    if isinstance(data, dict):
        return [
            source for key, value in data.items() for source in _one(str(value), platform=str(key))
        ]
    if isinstance(data, list):
        return [source for item in data for source in _from_json(item)]
    if isinstance(data, str):
        return _one(data)
    raise DigestError(f"{data!r} is not a digest")


def _one(text: str, platform: str = "") -> list[DigestSource]:
    value = text.strip()
    image = ""
    if "@" in value:
        image, _, value = value.partition("@")
        try:
            image = parse_image(image).name
        except ValueError as exc:
            raise DigestError(str(exc)) from None
    if not DIGEST.match(value):
        raise DigestError(f"'{text.strip()}' is not a sha256:<64 hex> digest")
    return [DigestSource(value, image, platform)]


def parse_digests(text: str) -> list[DigestSource]:
    """Digests from lines of ``sha256:...``, ``image@sha256:...``, or JSON (the
    platform-digests output: ``{"linux/amd64": "sha256:..."}``), in any mix."""
    if not text.strip():
        return []
    if _JSON_START.match(text):
        try:
            return _dedupe(_from_json(json.loads(text)))
        except ValueError:
            pass
    sources: list[DigestSource] = []
    for line in text.splitlines():
        item = line.strip().strip(",")
        if not item or item.startswith("#"):
            continue
        if _JSON_START.match(item):
            try:
                sources.extend(_from_json(json.loads(item)))
            except json.JSONDecodeError:
                raise DigestError(f"'{item[:60]}' is not valid JSON") from None
        else:
            sources.extend(_one(item))
    return _dedupe(sources)


def _dedupe(sources: Iterable[DigestSource]) -> list[DigestSource]:
    seen: set[str] = set()
    result = []
    for source in sources:
        if source.digest in seen:
            continue
        seen.add(source.digest)
        result.append(source)
    return result
