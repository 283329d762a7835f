"""The build-push action's inputs and outputs: the contract, declared once."""

from __future__ import annotations

from shipyard.runtime import ActionSpec, Input, Output

CACHE_MODES = ("auto", "gha", "registry", "local", "inline", "none")
MODES = ("build", "digest", "merge")

SPEC = ActionSpec(
    name="build-push",
    title="shipyard build-push",
    description=(
        "Build and push multi-arch Docker images with the tags users expect (metadata-action "
        "rules, semver-aware latest), in one step: login, QEMU check, per-platform builds "
        "joined by digest, cache that never fails a build, fan-out and merge."
    ),
    branding=("package", "blue"),
    inputs=(
        Input(
            "images",
            "Image names, one per line, possibly in several registries (ghcr.io/owner/app, "
            "docker.io/user/app, user/app), or comma-separated on one line. Lower-cased. A "
            "line may take metadata-action's attributes: name=ghcr.io/owner/app,enable=false "
            "(a disabled image is skipped). No tags here: see tags.",
            required=True,
        ),
        Input("context", "Build context: a folder of the workspace.", default="."),
        Input("file", "Dockerfile path (default: <context>/Dockerfile)."),
        Input("target", "Build stage to stop at (--target)."),
        Input(
            "platforms",
            "Target platforms, e.g. linux/amd64,linux/arm64. In merge mode: the platforms the "
            "build jobs pushed (used when digests is empty).",
            kind="list",
            default="linux/amd64",
        ),
        Input(
            "build-args",
            "Build arguments, one KEY=VALUE per line (they win over the build-info ones).",
        ),
        Input(
            "labels",
            "Image labels, one KEY=VALUE per line (they win over the OCI labels of build-info).",
        ),
        Input(
            "tags",
            "Tag rules, one per line, in docker/metadata-action's vocabulary: "
            "type=semver,pattern={{version}} | {{major}}.{{minor}} | {{major}} (match=REGEX); "
            "type=pep440; type=match,pattern=REGEX,group=N; type=sha; "
            "type=ref,event=branch|tag|pr; type=raw,value=...; type=schedule; with prefix, "
            "suffix, enable, priority. Empty: latest + sha-<short> on the default branch, "
            "<branch>-latest + <branch>-<short> on others, the semver set on v*.*.* tags, "
            "pr-<n> + sha-<short> on pull requests.",
        ),
        Input(
            "flavor",
            "Tag flavor, one per line: latest=auto|true|false, prefix=..., suffix=... "
            "(onlatest=true to apply them to latest).",
        ),
        Input(
            "push",
            "Push the image: auto (yes on push, tag, release, schedule and dispatch events; "
            "no on pull requests and elsewhere), true, or false.",
            kind="enum",
            choices=("auto", "true", "false"),
            default="auto",
        ),
        Input(
            "load",
            "Also load the image into the local Docker engine (one platform).",
            kind="bool",
            default="false",
        ),
        Input(
            "registry-username",
            "User name for the registries of images (ghcr.io, when listed with other "
            "registries, uses the actor and github-token instead).",
        ),
        Input("registry-password", "Password or access token for registry-username.", secret=True),
        Input(
            "registry-logins",
            "Credentials per registry, one 'registry=username:password' line each (wins over "
            "registry-username/registry-password), e.g. for a private base-image registry.",
            secret=True,
        ),
        Input(
            "github-token",
            "Token for ghcr.io when no other credentials are given for it (the job needs "
            "permissions: packages: write to push).",
            secret=True,
            yaml_default="${{ github.token }}",
        ),
        Input(
            "cache",
            "Build cache: auto (GitHub Actions cache on GitHub when the builder can export "
            "it, the registry when cache-ref is set, else local), gha, registry, local, inline, "
            "or none (a clean build). A cache failure is a warning, never a failed build.",
            kind="enum",
            choices=CACHE_MODES,
            default="auto",
        ),
        Input(
            "cache-ref",
            "Registry cache reference for cache: registry (default <first image>:buildcache), "
            "or the folder for cache: local.",
        ),
        Input(
            "provenance",
            "Provenance attestation: false, true, mode=min or mode=max. Off by default so a "
            "single-platform image stays a plain manifest.",
            default="false",
        ),
        Input("sbom", "SBOM attestation.", kind="bool", default="false"),
        Input(
            "build-info",
            "Add the BUILD_VERSION, BUILD_SHA, BUILD_TIME, BUILD_NUMBER, BUILD_BRANCH build "
            "args and the OCI labels (title, description, url, source, version, created, "
            "revision, licenses).",
            kind="bool",
            default="true",
        ),
        Input(
            "pull", "Always pull newer versions of the base images.", kind="bool", default="false"
        ),
        Input("builder", "buildx builder to use (default: the current one)."),
        Input(
            "mode",
            "build: build and tag; digest: build and push each platform by digest only, under "
            "its per-platform tag sha-<short>-<os>-<arch> (a fan-out job per platform); merge: "
            "join the digests of the fan-out jobs into the tagged multi-platform image.",
            kind="enum",
            choices=MODES,
            default="build",
        ),
        Input(
            "dry-run",
            "Compute and print everything that needs no build (images, tags, labels, build "
            "args, platforms, push decision, cache plan, the metadata output) and stop: no "
            "builder, no login, no registry, no Docker needed. python -m shipyard.build_push "
            "takes --dry-run.",
            kind="bool",
            default="false",
        ),
        Input(
            "digests",
            "For mode: merge, the digests to join: lines of sha256:..., image@sha256:... or "
            "the platform-digests JSON of the build jobs. Empty: found in the registry from "
            "the per-platform tags the build jobs of this commit pushed.",
        ),
    ),
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
