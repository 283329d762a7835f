"""The docker adapter: ``docker login``, ``docker buildx build`` / ``inspect`` / ``imagetools``.

Every docker command runs through :class:`Docker` as a subprocess (never a shell), with the
environment of the run plus a private DOCKER_CONFIG when the action logs in: a directory of its
own (mode 0700, under RUNNER_TEMP, removed at the end) holding a copy of the user's config.json
without its credential store, so ``docker login --password-stdin`` never writes to the user's
~/.docker/config.json or keychain. The user's cli-plugins, buildx builders and contexts stay
reachable through symlinks. Passwords only ever go to stdin.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shipyard.runtime import ConfigError, ExternalError, Runner, child_env
from shipyard.runtime.process import run_process

from .platforms import Platform, parse_platform

BINFMT = Path("/proc/sys/fs/binfmt_misc")
OUTPUT_LINES_KEPT = 4000
#: Credential-looking variables every docker command may read: the CLI's own credentials
#: (DOCKER_AUTH_CONFIG) and the agent of an ssh:// DOCKER_HOST.
DOCKER_ENV = ("DOCKER_AUTH_CONFIG", "SSH_AUTH_SOCK")
#: What buildx's gha cache backend reads from the environment; ``buildx build`` only.
GHA_CACHE_ENV = (
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_CACHE_URL",
    "ACTIONS_RESULTS_URL",
    "ACTIONS_CACHE_SERVICE_V2",
)


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        """Exit status 0."""
        return self.returncode == 0


@dataclass(frozen=True)
class BuilderInfo:
    """What the buildx builder can do."""

    name: str
    driver: str
    platforms: tuple[Platform, ...]
    containerd_store: bool = False
    buildkit: str = ""

    @property
    def multi_platform(self) -> bool:
        """Builds several platforms in one build (and exports cache)."""
        return self.driver != "docker" or self.containerd_store

    @property
    def cache_export(self) -> bool:
        """Whether the builder can export a build cache (only a multi-platform one can)."""
        return self.multi_platform

    @property
    def native(self) -> Platform | None:
        """The builder's own platform: the first it lists."""
        return self.platforms[0] if self.platforms else None

    def describe(self) -> str:
        """The builder in words, for the log and the summary."""
        store = " with the containerd image store" if self.containerd_store else ""
        return f"'{self.name}' ({self.driver} driver{store}, BuildKit {self.buildkit or '?'})"


def parse_inspect(text: str) -> tuple[str, str, list[Platform], str]:
    """(name, driver, platforms, buildkit version) from ``docker buildx inspect``."""
    name = driver = buildkit = ""
    platforms: list[Platform] = []
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key == "Name" and not name:
            name = value
        elif key == "Driver" and not driver:
            driver = value
        elif key == "BuildKit version" and not buildkit:
            buildkit = value
        elif key == "Platforms" and not platforms:
            for item in value.split(","):
                item = item.strip().rstrip("*")
                if item:
                    with contextlib.suppress(ValueError):
                        platforms.append(parse_platform(item))
    return name, driver, platforms, buildkit


def qemu_registered(platform: Platform) -> bool:
    """Whether this machine's kernel has an enabled binfmt_misc handler for the platform's
    architecture (qemu-user-static / tonistiigi/binfmt)."""
    for name in (f"qemu-{platform.qemu_name}", f"qemu-{platform.arch}"):
        try:
            first = (BINFMT / name).read_text().splitlines()[0].strip()
        except (OSError, IndexError):
            continue
        if first == "enabled":
            return True
    return False


def user_docker_config(env: Mapping[str, str]) -> Path:
    """The docker config directory the user's docker CLI reads."""
    configured = env.get("DOCKER_CONFIG", "")
    if configured:
        return Path(configured)
    return Path(env.get("HOME") or str(Path.home())) / ".docker"


class PrivateDockerConfig:
    """A DOCKER_CONFIG directory of this run's own; ``close()`` removes it (credentials)."""

    LINKED = ("cli-plugins", "buildx", "contexts")

    def __init__(self, parent: str, source: Path, logins: Iterable[str]) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="shipyard-docker-config-", dir=parent))
        self.path.chmod(0o700)
        config: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):
            loaded = json.loads((source / "config.json").read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                config = loaded
        # Our logins must land in this file, never in the user's keychain or helper.
        config.pop("credsStore", None)
        helpers = config.get("credHelpers")
        if isinstance(helpers, dict):
            for registry in logins:
                helpers.pop(registry, None)
        auths = config.get("auths")
        if isinstance(auths, dict):
            for registry in logins:
                auths.pop(registry, None)
        target = self.path / "config.json"
        target.write_text(json.dumps(config, indent=2), encoding="utf-8")
        target.chmod(0o600)
        for name in self.LINKED:
            if (source / name).is_dir():
                (self.path / name).symlink_to((source / name).resolve(), target_is_directory=True)
        self._stored = config

    def auth_for(self, registry: str) -> tuple[str, str] | None:
        """(user, password) the copied config holds for a registry (from an earlier login
        step), when it is stored in the file."""
        import base64

        auths = self._stored.get("auths")
        if not isinstance(auths, dict):
            return None
        keys = [registry, f"https://{registry}", f"http://{registry}"]
        if registry == "docker.io":
            keys += ["https://index.docker.io/v1/", "index.docker.io"]
        for key in keys:
            entry = auths.get(key)
            if isinstance(entry, dict) and entry.get("auth"):
                try:
                    user, _, password = base64.b64decode(str(entry["auth"])).decode().partition(":")
                except (ValueError, UnicodeDecodeError):
                    return None
                return (user, password) if user and password else None
        return None

    def close(self) -> None:
        """Remove the private config directory and the credentials in it."""
        shutil.rmtree(self.path, ignore_errors=True)


@dataclass
class Docker:
    """Runs docker commands through the runtime's processes: argument lists, output streamed
    to the log (fenced: a build's output cannot issue workflow commands, and redacted), the
    whole process group stopped on a timeout or a cancel."""

    binary: str
    env: Mapping[str, str]
    runner: Runner
    config_dir: Path | None = None
    #: The variables holding the build secrets: given to ``buildx build`` only.
    secret_env: tuple[str, ...] = ()

    @classmethod
    def find(cls, env: Mapping[str, str], runner: Runner) -> Docker:
        binary = env.get("SHIPYARD_DOCKER") or shutil.which("docker", path=env.get("PATH"))
        if not binary:
            raise ConfigError(
                "The docker CLI is not installed on this runner.",
                title="docker not found",
                hint="Use a runner with Docker (ubuntu-latest has it), or install docker and "
                "the buildx plugin before this step.",
            )
        return cls(binary, env, runner)

    def _env(self, *, build: bool = False) -> dict[str, str]:
        """The run's environment without credential-looking variables (the runtime's
        child_env) but the docker CLI's own; ``buildx build`` also gets the build secrets'
        variables (``--secret id=x,env=NAME`` reads them) and the gha cache's token. No other
        docker command sees a build secret, whatever its variable is called."""
        allow = (*DOCKER_ENV, *GHA_CACHE_ENV, *self.secret_env) if build else DOCKER_ENV
        env = child_env(self.env, allow=allow)
        if not build:
            for name in self.secret_env:
                env.pop(name, None)
        if self.config_dir is not None:
            env["DOCKER_CONFIG"] = str(self.config_dir)
        env.setdefault("BUILDX_NO_DEFAULT_ATTESTATIONS", "1")
        return env

    def run(
        self,
        args: Sequence[str],
        *,
        input_text: str | None = None,
        timeout: float | None = 120,
        stream: bool = False,
        build: bool = False,
    ) -> CommandResult:
        """Run ``docker <args>``; never raises for a non-zero exit. With ``stream`` every
        output line goes to the log (fenced) as it comes; ``build``: the environment of a
        build (see ``_env``)."""
        argv = (self.binary, *args)
        try:
            done = run_process(
                argv,
                runner=self.runner,
                env=self._env(build=build),
                stdin=input_text,
                timeout=timeout,
                echo=stream,
                untrusted=True,
            )
        except ExternalError as exc:
            return CommandResult(argv, 127, exc.message)
        if done.timed_out:
            return CommandResult(argv, 124, f"docker {args[0]} timed out after {timeout}s")
        lines = done.output.splitlines()[-OUTPUT_LINES_KEPT:]
        return CommandResult(argv, done.returncode, "\n".join(lines))

    # -- commands -------------------------------------------------------------------------
    def buildx_version(self) -> str:
        """``docker buildx version``; a missing plugin is a configuration error that says how to
        install it."""
        result = self.run(["buildx", "version"], timeout=60)
        if not result.ok:
            raise ConfigError(
                f"docker buildx is not available: {result.output.strip()[-300:]}",
                title="buildx not found",
                hint="Install the buildx plugin (ubuntu-latest runners have it; on Debian: the "
                "docker-buildx package), or run docker/setup-buildx-action before this step.",
            )
        return result.output.strip()

    def builder_info(self, builder: str = "", *, detect_store: bool = True) -> BuilderInfo:
        """What the builder (the current one, or ``builder``) can do: ``docker buildx inspect
        --bootstrap``, and whether the engine stores images in containerd."""
        args = ["buildx", "inspect", "--bootstrap"] + ([builder] if builder else [])
        result = self.run(args, timeout=300)
        if not result.ok and "is not a docker command" in result.output:
            self.buildx_version()  # raises the "buildx not found" explanation
        if not result.ok:
            raise ConfigError(
                f"docker buildx inspect {builder} failed: {result.output.strip()[-400:]}",
                title="buildx builder not usable",
                hint="Check the builder input (docker buildx ls lists the builders) and that "
                "the Docker engine runs.",
            )
        name, driver, platforms, buildkit = parse_inspect(result.output)
        containerd = False
        if driver == "docker" and detect_store:
            info = self.run(["info", "--format", "{{json .DriverStatus}}"], timeout=60)
            containerd = info.ok and "io.containerd.snapshotter" in info.output
        return BuilderInfo(
            name or builder or "default", driver, tuple(platforms), containerd, buildkit
        )

    def login(self, registry: str, username: str, password: str) -> CommandResult:
        """``docker login --password-stdin`` into this Docker's config directory."""
        return self.run(
            ["login", "--username", username, "--password-stdin", registry],
            input_text=password,
            timeout=120,
        )

    def build(
        self, args: Sequence[str], metadata_file: Path
    ) -> tuple[CommandResult, dict[str, Any]]:
        """``docker buildx build`` with the output streamed; returns the metadata file too."""
        with contextlib.suppress(OSError):
            metadata_file.unlink()
        result = self.run(
            ["buildx", "build", "--progress=plain", "--metadata-file", str(metadata_file), *args],
            timeout=None,
            stream=True,
            build=True,
        )
        metadata: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):
            loaded = json.loads(metadata_file.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                metadata = loaded
        return result, metadata

    def imagetools_create(self, tags: Sequence[str], sources: Sequence[str]) -> CommandResult:
        """Join ``sources`` (digests) into one tagged image: ``docker buildx imagetools create``."""
        args = ["buildx", "imagetools", "create", "--progress=plain"]
        for tag in tags:
            args += ["--tag", tag]
        return self.run([*args, *sources], timeout=600, stream=True)


def is_local_engine(env: Mapping[str, str]) -> bool:
    """Whether the Docker engine runs on this machine (so its binfmt handlers are ours)."""
    host = env.get("DOCKER_HOST", "")
    return not host or host.startswith("unix://") or host.startswith("npipe://")
