"""One run of build-push: its settings, what it found so far, and the adapters it talks through
(the docker CLI, the registries' API, a private docker config), with the cleanup of each.

The modes (``prepare``, ``build``, ``merge``, ``dryrun``) are functions of a :class:`Job`; what
they find goes into ``job.out`` (a :class:`Result`), which ``report`` turns into the outputs
and the summary.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from shipyard.runtime import (
    SYSTEM_CLOCK,
    ActionContext,
    Clock,
    ConfigError,
    HttpClient,
    Retryable,
    RetryPolicy,
    ShipyardError,
    retry_call,
)

from . import errors
from .buildx import BuilderInfo, CommandResult, Docker, PrivateDockerConfig
from .metadata import runner_temp
from .registry import Credentials, RegistryClient, RegistryDenied
from .settings import BuildSettings
from .spec import Settings
from .tags import TagDecision

#: Docker commands that fail on a registry 5xx / network error run up to 3 more times.
RETRY_POLICY = RetryPolicy(attempts=4, base_delay=2.0, factor=2.0, max_delay=8.0, jitter=0.1)


@dataclass
class PlatformResult:
    """What one platform's build gave: its digest, size and how long it took."""

    platform: str
    digest: str = ""
    size: int = 0
    seconds: float = 0.0


@dataclass
class Result:
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
    #: The notice of a run whose tag rules made no tag (built, not pushed); "" otherwise.
    untagged: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def tag_decision(self) -> TagDecision:
        """The tags (computed before any build or merge starts)."""
        if self.decision is None:
            raise RuntimeError("the tags are computed before building")
        return self.decision


class Job:
    """The state and the adapters of one run; ``close()`` releases them."""

    #: The retry policy and the clock of docker commands (tests use a FakeClock).
    retry_policy: RetryPolicy = RETRY_POLICY
    clock: Clock = SYSTEM_CLOCK

    def __init__(self, ctx: ActionContext[Settings], settings: BuildSettings) -> None:
        self.ctx = ctx
        self.s = settings
        self.out = Result()
        self._docker: Docker | None = None
        self.http: HttpClient | None = None
        self.clients: dict[str, RegistryClient] = {}
        self.config: PrivateDockerConfig | None = None
        #: The socket of the private ssh-agent holding ssh-key ("" when none runs).
        self.agent_socket = ""
        self._builder: BuilderInfo | None = None
        self._stage_started = time.monotonic()
        self.workdir = Path(
            tempfile.mkdtemp(prefix="shipyard-build-push-", dir=runner_temp(ctx.env))
        )

    # -- adapters ----------------------------------------------------------------------------
    @property
    def docker(self) -> Docker:
        """The docker CLI, found on first use (a dry run never looks for it)."""
        if self._docker is None:
            self._docker = Docker.find(self.ctx.env, self.ctx.runner)
            self._docker.secret_env = tuple(secret.env for secret in self.s.build_secrets)
        return self._docker

    @property
    def builder(self) -> BuilderInfo:
        """The builder, inspected before anything is built."""
        if self._builder is None:
            raise ConfigError("The buildx builder was not inspected.", title="Internal error")
        return self._builder

    @builder.setter
    def builder(self, value: BuilderInfo) -> None:
        """Record the builder, once inspected."""
        self._builder = value

    def client(self, registry: str) -> RegistryClient:
        """The registry API client of one registry of ``images`` (created once)."""
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

    def close(self) -> None:
        """Remove the private docker config, close the registry sessions, delete the work
        folder."""
        if self.config is not None:
            self.config.close()
        if self.http is not None:
            self.http.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # -- reporting as it goes ----------------------------------------------------------------
    def stage(self, name: str) -> None:
        """Start a stage (named in the summary if the run stops there); log the time of the
        previous one in the debug output."""
        now = time.monotonic()
        self.out.timings[self.out.stage] = now - self._stage_started
        self.ctx.runner.debug(f"{self.out.stage}: {now - self._stage_started:.2f}s")
        self.out.stage = name
        self._stage_started = now

    def note(self, text: str) -> None:
        """Log ``text`` and keep it for the summary's details."""
        self.out.notes.append(text)
        self.ctx.runner.info(text)

    def warn(self, text: str, title: str | None = None) -> None:
        """A warning annotation, kept for the summary's details too."""
        self.out.notes.append(f"warning: {text}")
        self.ctx.runner.annotate("warning", text, title=title)

    def denied(self, registry: str, exc: RegistryDenied) -> ShipyardError:
        """The exit-2 error of a registry that refused these credentials."""
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

    # -- retries ------------------------------------------------------------------------------
    def retry(self, what: str, attempt: Callable[[], object]) -> None:
        """Call ``attempt`` again (per the retry policy) while it raises Retryable."""
        retry_call(
            attempt,
            policy=self.retry_policy,
            clock=self.clock,
            log=self.ctx.runner.info,
            what=what,
        )

    def retrying(self, what: str, command: Callable[[], CommandResult]) -> CommandResult:
        """Run a docker command; again after a registry 5xx / network error (the last result
        is returned when the retries run out)."""
        results: list[CommandResult] = []

        def attempt() -> None:
            result = command()
            results.append(result)
            if not result.ok and errors.is_retryable(result.output):
                raise Retryable(
                    f"failed with a registry or network error ({errors.final_error(result.output)})"
                )

        with contextlib.suppress(Retryable):  # the retries ran out: the last result says why
            self.retry(what, attempt)
        return results[-1]
