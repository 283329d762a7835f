"""Known buildx, docker and registry failures, explained in plain words with the fix.

``explain(output)`` reads the text of a failed ``docker buildx`` / ``docker login`` command
and says what went wrong, whose fault it is (the exit code) and what to do. Everything here is
pure text processing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from shipyard.runtime import ConfigError, ExitCode, ExternalError, ShipyardError, VerdictFailure

_VERTEX = re.compile(r"^#(\d+) (\S.*)$")
_VERTEX_ERROR = re.compile(r"^#(\d+) ERROR: (.*)$")
_LOG_LINE = re.compile(r"^#(\d+) \d+\.\d+ (.*)$")
RETRYABLE = (
    "500 Internal Server Error",
    "502 Bad Gateway",
    "503 Service Unavailable",
    "504 Gateway Time",
    "status code: 50",
    "status: 50",
    "status code 50",
    "unexpected status code 50",
    "connection refused",
    "connection reset by peer",
    "i/o timeout",
    "TLS handshake timeout",
    "unexpected EOF",
    "toomanyrequests",
    "429 Too Many Requests",
    "server misbehaving",
    "Client.Timeout exceeded",
    "net/http: request canceled",
    "broken pipe",
)
_CACHE_MARKERS = (
    "exporting cache",
    "exporting to gha cache",
    "export cache",
    "cache export",
    "importing cache manifest",
    "error writing layer blob",
    "failed to get cache",
    "ACTIONS_CACHE_URL",
    "ACTIONS_RUNTIME_TOKEN",
    "cache service",
)


@dataclass(frozen=True)
class Explanation:
    """What went wrong, in words for the summary, and the exit code it deserves."""

    kind: str
    title: str
    message: str
    hint: str
    exit_code: ExitCode
    retryable: bool = False

    def error(self) -> ShipyardError:
        """The exception that ends the run with this explanation."""
        cls: type[ShipyardError] = {
            ExitCode.FAILURE: VerdictFailure,
            ExitCode.BAD_INPUT: ConfigError,
            ExitCode.EXTERNAL: ExternalError,
        }.get(self.exit_code, VerdictFailure)
        return cls(self.message, title=self.title, hint=self.hint)


@dataclass(frozen=True)
class FailedStep:
    """The build step (vertex) that failed, its error and the last lines it printed."""

    name: str
    error: str
    log: tuple[str, ...]


def failed_steps(output: str) -> list[FailedStep]:
    """The failed vertices of ``--progress=plain`` output, in order."""
    names: dict[str, str] = {}
    logs: dict[str, list[str]] = {}
    failed: list[tuple[str, str]] = []
    for line in output.splitlines():
        error = _VERTEX_ERROR.match(line)
        if error:
            failed.append((error.group(1), error.group(2)))
            continue
        log = _LOG_LINE.match(line)
        if log:
            logs.setdefault(log.group(1), []).append(log.group(2))
            continue
        vertex = _VERTEX.match(line)
        if vertex and vertex.group(1) not in names and not vertex.group(2).startswith("DONE"):
            names[vertex.group(1)] = vertex.group(2)
    return [
        FailedStep(names.get(number, f"step #{number}"), message, tuple(logs.get(number, [])[-15:]))
        for number, message in failed
    ]


def final_error(output: str) -> str:
    """The last ``ERROR: ...`` line (buildx's summary of the failure), or the last line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("ERROR:") or line.startswith("Error"):
            return line
    return lines[-1] if lines else ""


def is_retryable(output: str) -> bool:
    """A registry 5xx/429 or a network error: running the same command again may work."""
    lowered = output.lower()
    return any(marker.lower() in lowered for marker in RETRYABLE)


def is_cache_failure(output: str) -> bool:
    """The build failed in a cache import or export step, not in the Dockerfile."""
    steps = failed_steps(output)
    lowered = final_error(output).lower()
    if steps and all(
        any(marker.lower() in (step.name + " " + step.error).lower() for marker in _CACHE_MARKERS)
        for step in steps
    ):
        return True
    if "failed to compute cache key" in lowered:  # a COPY of a missing file, not the cache
        return False
    return any(marker.lower() in lowered for marker in _CACHE_MARKERS)


def _first(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    return match.group(1) if match else ""


def _step_failure(output: str, what: str) -> Explanation | None:
    """A failed step of the Dockerfile (a RUN command, a missing COPY source): exit 1."""
    for step in failed_steps(output):
        if (
            " RUN " in f" {step.name} "
            or "executor failed running" in step.error
            or ("did not complete successfully" in step.error)
        ):
            code = _first(r"exit code: (\d+)", step.error)
            shown = "\n".join(step.log[-10:])
            return Explanation(
                "run-failed",
                "A RUN step of the Dockerfile failed",
                f"{step.name.rstrip(':')} exited with code {code or '?'} in {what}."
                + (f"\nLast output:\n{shown}" if shown else ""),
                "The command in the Dockerfile failed: fix it, or run the same build locally "
                "with docker buildx build to see the whole log.",
                ExitCode.FAILURE,
            )
        if '" not found' in step.error or "not found: not found" in step.error:
            path = _first(r'"([^"]+)" not found', step.error)
            return Explanation(
                "copy-missing",
                "A file the Dockerfile copies is missing",
                f"{step.name.rstrip(':')}: {path or step.error} is not in the build context.",
                "Check the path against the context input, and that .dockerignore does not "
                "exclude it.",
                ExitCode.FAILURE,
            )
    return None


def _mount_failure(output: str) -> Explanation | None:
    """A RUN step mounts a secret or an SSH agent this build was not given: exit 2."""
    secret = _first(r"secret ([A-Za-z0-9_.-]+):? not found", output)
    if secret:
        return Explanation(
            "secret-missing",
            "The Dockerfile needs a build secret",
            f"A RUN step mounts the secret '{secret}' (RUN --mount=type=secret,id={secret}), "
            "and the secrets input does not give it.",
            f"Add '{secret}=ENV_NAME' to the secrets input and set ENV_NAME in the step's env: "
            "(e.g. from ${{ secrets.X }}).",
            ExitCode.BAD_INPUT,
        )
    ssh = _first(r"unset ssh forward key ([A-Za-z0-9_.-]+)", output) or _first(
        r'no SSH key "?([A-Za-z0-9_.-]+)"? forwarded', output
    )
    if ssh:
        return Explanation(
            "ssh-missing",
            "The Dockerfile needs an SSH agent",
            f"A RUN step mounts the SSH agent '{ssh}' (RUN --mount=type=ssh), and the ssh "
            "input does not forward it.",
            f"Set ssh: {ssh} and give the private key in ssh-key (from a secret).",
            ExitCode.BAD_INPUT,
        )
    return None


def explain(
    output: str,
    *,
    what: str = "the build",
    dockerfile: str = "Dockerfile",
    registries: Sequence[str] = (),
) -> Explanation:
    """Explain the failure of a docker/buildx command from its output."""
    final = final_error(output)
    lowered = output.lower()

    if "multi-platform build is not supported for the docker driver" in lowered:
        return Explanation(
            "multi-platform-driver",
            "Multi-platform build not supported by this builder",
            "The builder uses the 'docker' driver, which builds one platform at a time; buildx "
            "refused a build for several platforms.",
            "This action builds each platform on its own with the docker driver; if you call "
            "buildx yourself, do the same, or create a docker-container builder "
            "(docker buildx create --use), or turn on the containerd image store.",
            ExitCode.BAD_INPUT,
        )
    if "docker exporter does not currently support exporting manifest lists" in lowered:
        return Explanation(
            "manifest-list-docker-exporter",
            "A multi-platform image cannot be loaded into docker",
            "The docker image store (without containerd) holds one platform per tag, so a "
            "manifest list cannot be loaded with --load / load: true.",
            "Use load: true with a single platform, or push the multi-platform image "
            "(push: true) and pull the platform you need.",
            ExitCode.BAD_INPUT,
        )
    if "repository name must be lowercase" in lowered or "must be lowercase" in lowered:
        ref = _first(r'invalid (?:tag|reference format)[^"]*"([^"]+)"', output)
        return Explanation(
            "uppercase",
            "Image name has capital letters",
            f"Docker image names must be lower case{f': {ref}' if ref else ''}.",
            "Write the image name in lower case (this action lower-cases the images input, "
            "e.g. ghcr.io/${{ github.repository_owner }} with capitals becomes lower case).",
            ExitCode.BAD_INPUT,
        )
    if "failed to read dockerfile" in lowered or (
        "load build definition" in lowered and "no such file or directory" in final.lower()
    ):
        return Explanation(
            "missing-dockerfile",
            "Dockerfile not found",
            f"There is no Dockerfile at {dockerfile}.",
            "Set the file input to your Dockerfile's path (relative to the workspace), or the "
            "context input to the folder that holds it; check that the job checked out the "
            "repository (actions/checkout) first.",
            ExitCode.BAD_INPUT,
        )
    if "dockerfile parse error" in lowered or "unknown instruction" in final.lower():
        detail = _first(r"(dockerfile parse error.*)$", final) or final
        return Explanation(
            "dockerfile-syntax",
            "Dockerfile has a syntax error",
            f"{dockerfile}: {detail.removeprefix('ERROR: ')}",
            "Fix the Dockerfile at the line named above.",
            ExitCode.FAILURE,
        )
    if "attestation is not supported" in lowered or (
        "attestation" in lowered and "not supported" in lowered
    ):
        return Explanation(
            "attestation-driver",
            "Provenance/SBOM not supported by this builder",
            "The builder cannot attach attestations (the docker driver without the containerd "
            "image store cannot).",
            "Set provenance: false and sbom: false (the defaults), or use a docker-container "
            "builder.",
            ExitCode.BAD_INPUT,
        )
    if "cache export is not supported" in lowered or "cache export feature" in lowered:
        return Explanation(
            "cache-export-driver",
            "Cache export not supported by this builder",
            "The docker driver cannot export build cache (only inline).",
            "Use cache: auto, local or inline, or a docker-container builder.",
            ExitCode.BAD_INPUT,
        )
    failed_step = _mount_failure(output) or _step_failure(output, what)
    if failed_step is not None:
        return failed_step
    if re.search(r"\b401 unauthorized\b|\bunauthorized\b|authentication required", lowered):
        host = _first(r"(?:host|registry) ([a-z0-9.:-]+)", output) or ", ".join(registries)
        return Explanation(
            "unauthorized",
            "Registry refused the credentials",
            f"The registry {host} answered 401 Unauthorized to {what}.",
            "Check registry-username and registry-password (or registry-logins); a base image "
            "in another private registry needs a login too (registry-logins).",
            ExitCode.BAD_INPUT,
        )
    if re.search(r"\b403 forbidden\b|\bdenied\b|insufficient_scope", lowered):
        host = _first(r"(?:host|registry) ([a-z0-9.:-]+)", output) or ", ".join(registries)
        return Explanation(
            "denied",
            "Registry denied the push",
            f"The registry {host} denied {what}: {final.removeprefix('ERROR: ')}",
            "The user may log in but may not push to this repository: give it write access "
            "(on ghcr.io with the job token: permissions: packages: write).",
            ExitCode.BAD_INPUT,
        )
    if any(
        marker in lowered
        for marker in (
            "no such host",
            "connection refused",
            "i/o timeout",
            "network is unreachable",
        )
    ):
        host = _first(r"(?:dial tcp|lookup) ([^\s:]+(?::\d+)?)", output) or ", ".join(registries)
        return Explanation(
            "unreachable",
            "Registry unreachable",
            f"Could not reach {host} during {what}: {final.removeprefix('ERROR: ')}",
            "Check the registry address in images, that the registry is up, and the runner's "
            "network/proxy settings; then run the job again.",
            ExitCode.EXTERNAL,
            retryable=True,
        )
    if is_retryable(output):
        return Explanation(
            "registry-error",
            "Registry error",
            f"The registry failed during {what}: {final.removeprefix('ERROR: ')}",
            "The registry had a temporary problem; run the job again.",
            ExitCode.EXTERNAL,
            retryable=True,
        )
    if "unable to prepare context" in lowered:
        return Explanation(
            "context",
            "Build context not found",
            final.removeprefix("ERROR: "),
            "Set the context input to a folder of the workspace (default: .).",
            ExitCode.BAD_INPUT,
        )
    tail = "\n".join(output.strip().splitlines()[-12:])
    return Explanation(
        "unknown",
        "Build failed",
        f"{what} failed: {final.removeprefix('ERROR: ')}\n{tail}".strip(),
        "See the log above for the full output.",
        ExitCode.FAILURE,
    )


def registry_denied(
    *,
    registry: str,
    username: str,
    credential_source: str,
    status: int,
    action: str,
    repository: str = "",
    detail: str = "",
) -> ConfigError:
    """A 401/403 from a registry, explained: which registry, which user, what is missing."""
    who = f"user '{username}' ({credential_source})" if username else "anyone without credentials"
    where = f"{registry}/{repository}" if repository else registry
    verb = {"login": "log in to", "push": "push to", "pull": "read"}.get(action, action)
    message = (
        f"{registry} refused to let {who} {verb} {where}: "
        f"HTTP {status}{f' ({detail})' if detail else ''}."
    )
    if registry == "ghcr.io" and credential_source == "job token" and action == "push":
        hint = (
            "The job token needs the packages: write permission: add `permissions: "
            "packages: write` (and contents: read) to the job. If the package already exists "
            "and belongs to another repository, give this repository write access in the "
            "package's settings (Manage Actions access)."
        )
    elif registry == "ghcr.io":
        hint = (
            "Use the job token (leave registry-username/registry-password empty; the job "
            "needs `permissions: packages: write`) or a personal access token with "
            "write:packages as registry-password."
        )
    elif registry == "docker.io":
        hint = (
            "Use your Docker Hub user name and an access token with Read & Write scope as "
            "registry-password (an organisation name is not a user name)."
        )
    elif status == 401 or action == "login":
        hint = (
            f"Check the credentials for {registry}: registry-username and registry-password, "
            "or its line in registry-logins."
        )
    else:
        hint = f"Give {who} permission to push to {where} in the registry."
    if not username:
        hint = (
            f"No credentials were given for {registry}: set registry-username and "
            "registry-password, or a registry-logins line for it."
        )
    return ConfigError(message, title="Registry authentication failed", hint=hint)
