"""The build-push action's contract: its inputs (the typed settings, declared once) and outputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shipyard.runtime import ActionSpec, Output
from shipyard.runtime.settings import Secret, Text, setting

CacheMode = Literal["auto", "gha", "registry", "local", "inline", "none"]
Mode = Literal["build", "digest", "merge"]


@dataclass(frozen=True)
class Settings:
    """Every input of build-push, typed (``ctx.settings``)."""

    images: Text = setting(
        (
            "Image names, one per line, possibly in several registries (ghcr.io/owner/app, "
            "docker.io/user/app, user/app), or comma-separated on one line. Lower-cased. A line "
            "may take metadata-action's attributes: name=ghcr.io/owner/app,enable=false (a "
            "disabled image is skipped). No tags here: see tags."
        ),
        required=True,
    )
    context: str = setting("Build context: a folder of the workspace.", default=".")
    file: str = setting("Dockerfile path (default: <context>/Dockerfile).")
    target: str = setting("Build stage to stop at (--target).")
    platforms: list[str] = setting(
        (
            "Target platforms, e.g. linux/amd64,linux/arm64. In merge mode: the platforms the "
            "build jobs pushed (used when digests is empty)."
        ),
        default="linux/amd64",
    )
    build_args: Text = setting(
        "Build arguments, one KEY=VALUE per line (they win over the build-info ones)."
    )
    labels: Text = setting(
        "Image labels, one KEY=VALUE per line (they win over the OCI labels of build-info)."
    )
    secrets: Text = setting(
        "Build secrets, one id=ENV_NAME per line (docker/build-push-action's secret-envs): the "
        "value is read from the environment variable ENV_NAME (set it from a secret in the "
        "step's env:), masked, and reaches only the RUN steps that "
        "mount it (RUN --mount=type=secret,id=npm): never a layer, the cache, the build record "
        "or a command line. The variable must be set and not empty."
    )
    ssh: Text = setting(
        "SSH agent forwarding, one id per line (default, or another id a RUN "
        "--mount=type=ssh,id=... step names): the build may use the agent of ssh-key (a "
        "private ssh-agent for this build only), else the agent of an earlier step "
        "(SSH_AUTH_SOCK); id=/path/to/agent.sock forwards that agent. Keys are never read "
        "from files."
    )
    ssh_key: Secret = setting(
        "Private SSH key for ssh (OpenSSH or PEM, without a passphrase, e.g. a deploy key): "
        "added over stdin to a private ssh-agent that is stopped when the step ends."
    )
    tags: Text = setting(
        "Tag rules, one per line, in docker/metadata-action's vocabulary: "
        "type=semver,pattern={{version}} | {{major}}.{{minor}} | {{major}} (match=REGEX); "
        "type=pep440; type=match,pattern=REGEX,group=N; type=sha; "
        "type=ref,event=branch|tag|pr; type=raw,value=...; type=schedule; with prefix, "
        "suffix, enable, priority. Empty: latest + sha-<short> on the default branch, "
        "<branch>-latest + <branch>-<short> on others, the semver set on v*.*.* tags, pr-<n> "
        "+ sha-<short> on pull requests."
    )
    flavor: Text = setting(
        "Tag flavor, one per line: latest=auto|true|false, prefix=..., suffix=... "
        "(onlatest=true to apply them to latest)."
    )
    push: Literal["auto", "true", "false"] = setting(
        (
            "Push the image: auto (yes on push, tag, release, schedule and dispatch events; no on "
            "pull requests and elsewhere), true, or false."
        ),
        default="auto",
    )
    load: bool = setting(
        "Also load the image into the local Docker engine (one platform).", default="false"
    )
    registry_username: str = setting(
        "User name for the registries of images (ghcr.io, when listed with other registries, "
        "uses the actor and github-token instead)."
    )
    registry_password: Secret = setting("Password or access token for registry-username.")
    registry_logins: Secret = setting(
        "Credentials per registry, one 'registry=username:password' line each (wins over "
        "registry-username/registry-password), e.g. for a private base-image registry."
    )
    github_token: Secret = setting(
        (
            "Token for ghcr.io when no other credentials are given for it (the job needs "
            "permissions: packages: write to push)."
        ),
        yaml_default="${{ github.token }}",
    )
    cache: CacheMode = setting(
        (
            "Build cache: auto (GitHub Actions cache on GitHub when the builder can export it, "
            "the registry when cache-ref is set, else local), gha, registry, local, inline, or "
            "none (a clean build). A cache failure is a warning, never a failed build."
        ),
        default="auto",
    )
    cache_ref: str = setting(
        "Registry cache reference for cache: registry (default <first image>:buildcache), or "
        "the folder for cache: local."
    )
    provenance: str = setting(
        (
            "Provenance attestation: false, true, mode=min or mode=max. Off by default so a "
            "single-platform image stays a plain manifest."
        ),
        default="false",
    )
    sbom: bool = setting("SBOM attestation.", default="false")
    build_info: bool = setting(
        (
            "Add the BUILD_VERSION, BUILD_SHA, BUILD_TIME, BUILD_NUMBER, BUILD_BRANCH build args "
            "and the OCI labels (title, description, url, source, version, created, revision, "
            "licenses)."
        ),
        default="true",
    )
    pull: bool = setting("Always pull newer versions of the base images.", default="false")
    builder: str = setting("buildx builder to use (default: the current one).")
    mode: Mode = setting(
        (
            "build: build and tag; digest: build and push each platform by digest only, under its "
            "per-platform tag sha-<short>-<os>-<arch> (a fan-out job per platform); merge: join "
            "the digests of the fan-out jobs into the tagged multi-platform image."
        ),
        default="build",
    )
    dry_run: bool = setting(
        (
            "Compute and print everything that needs no build (images, tags, labels, build args, "
            "platforms, push decision, cache plan, the metadata output) and stop: no builder, no "
            "login, no registry, no Docker needed. python -m shipyard.build_push takes --dry-run."
        ),
        default="false",
    )
    digests: Text = setting(
        "For mode: merge, the digests to join: lines of sha256:..., image@sha256:... or the "
        "platform-digests JSON of the build jobs. Empty: found in the registry from the "
        "per-platform tags the build jobs of this commit pushed."
    )


SPEC = ActionSpec(
    name="build-push",
    title="shipyard build-push",
    description=(
        "Build and push multi-arch Docker images with the tags users expect (metadata-action "
        "rules, semver-aware latest), in one step: login, QEMU check, per-platform builds "
        "joined by digest, cache that never fails a build, fan-out and merge."
    ),
    branding=("package", "blue"),
    settings=Settings,
    outputs=(
        Output("digest", "Digest of the pushed image: the index when multi-platform."),
        Output("tags", "The image references tagged, one per line (image:tag)."),
        Output("image-refs", "The pushed images by digest, one per line (image@sha256:...)."),
        Output(
            "platform-digests",
            'JSON object: each platform and its image digest, e.g. {"linux/amd64": "sha256:..."}.',
        ),
        Output("version", "The main version tag (e.g. 1.2.3, sha-0123abc, pr-12)."),
        Output("pushed", "true when the image was pushed."),
        Output(
            "metadata",
            "JSON: images, tags, version, digest, platforms, labels, build args, cache, notes.",
        ),
    ),
)
