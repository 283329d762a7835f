"""The deploy lock on every host: taken (with the host's state read) before anything changes,
waited for up to ``lock-wait``, taken over past ``lock-ttl``, released at the end.

A compose-file deploy first checks the host for docker compose v2 in the same round trip: a
host without it is refused before it is locked, and the run stops before any change.
"""

from __future__ import annotations

from collections.abc import Callable

from shipyard.runtime import ConfigError, ExternalError
from shipyard.runtime.retry import Clock

from .compose_steps import COMPOSE_V2_CHECK
from .fleet import Fleet
from .releases import LockHolder
from .steps import Lock, StepFailed, Unlock

UNLOCK_TIMEOUT = 60.0
#: Pause between two tries of a held lock (at most; at least LOCK_RETRY_MIN).
LOCK_RETRY_MAX = 3.0
LOCK_RETRY_MIN = 0.5


class DeployLock:
    """One lock per app and host, held by ``holder`` (this run)."""

    def __init__(
        self,
        fleet: Fleet,
        holder: LockHolder,
        *,
        app: str,
        wait: float,
        compose: bool,
        clock: Clock,
        wall: Callable[[], float],
        space: int = 0,
        image: str = "",
        space_why: str = "",
    ) -> None:
        self.fleet = fleet
        self.holder = holder
        self.app = app
        self.wait = wait
        self.compose = compose
        self.clock = clock
        self.wall = wall
        self.space = space  # bytes the pull of ``image`` needs free (0: no disk check)
        self.image = image
        self.space_why = space_why  # how that figure was found, for the message

    def take_all(self) -> None:
        """Lock every host at once and read its state (``prepare``); a host that failed keeps
        its error. A host that cannot take a compose-file deploy stops the run (ConfigError)."""
        self.fleet.each(self.fleet.names, self.take, "prepare")
        self.refuse_unfit()

    def take(self, name: str) -> None:
        """Take the host's lock, waiting up to ``wait`` while another run holds it; the host's
        facts are kept in its state. StepFailed when it stays held or the host is unfit."""
        fleet = self.fleet
        deadline = self.clock.now() + self.wait
        precheck = COMPOSE_V2_CHECK if self.compose else ""
        step = Lock(fleet.renderer, self.holder, precheck, space=self.space, image=self.image)
        while True:
            state = fleet.run(name, step)
            if state.outcome == "no-space" and state.shortage is not None:
                fleet.mark(name, no_space=state.shortage.describe())
                raise StepFailed(f"{name}: {state.shortage.describe()}")
            if state.outcome == "no-compose":
                unfit = (
                    "has no docker compose v2 for the deploy user (found: "
                    + (state.compose_found or "none")
                    + ")"
                )
                fleet.mark(name, unfit=unfit)
                raise StepFailed(f"{name} {unfit}")
            if state.taken:
                fleet.mark(name, locked=True, facts=state.facts)
                if state.outcome == "taken-over":
                    fleet.runner.annotate(
                        "warning",
                        f"{name}: took over a lock past its TTL, held by "
                        + self._who(state.holder),
                        title="Stale deploy lock taken over",
                    )
                return
            if self.clock.now() >= deadline:
                raise StepFailed(
                    f"another deploy holds the lock of {self.app}: " + self._who(state.holder)
                )
            pause = min(LOCK_RETRY_MAX, max(LOCK_RETRY_MIN, deadline - self.clock.now()))
            self.clock.sleep(pause)

    def _who(self, holder: LockHolder | None) -> str:
        return holder.describe(self.wall()) if holder else "an unknown run"

    def refuse_unfit(self) -> None:
        """A host that cannot take a compose-file deploy, or has no room for the image, stops
        the run before any change."""
        short = [self.fleet.state(n) for n in self.fleet.names if self.fleet.state(n).no_space]
        if short:
            raise ExternalError(
                "Not enough disk space for the image ("
                + self.space_why
                + "): "
                + "; ".join(f"{h.name}: {h.no_space}" for h in short)
                + ". Nothing was changed.",
                title="Not enough disk space",
                hint="Free space on the host (`docker system df`, `docker image prune`; old "
                "releases' images go once they are past keep-releases), or lower "
                "min-free-space if the estimate is too cautious.",
            )
        unfit = [self.fleet.state(n) for n in self.fleet.names if self.fleet.state(n).unfit]
        if unfit:
            raise ConfigError(
                "compose-file needs docker compose v2 on every host; "
                + "; ".join(f"{h.name} {h.unfit}" for h in unfit)
                + ". Nothing was changed.",
                title="docker compose v2 missing",
                hint="Install Docker Compose v2 on the host (the docker-compose-plugin package "
                "of Docker's repository, docker-compose-v2 on Ubuntu, docker-compose on Debian "
                "trixie) so `docker compose version` works for the deploy user.",
            )

    def release_all(self) -> None:
        """Release the lock on every host this run holds it on (a cleanup)."""
        locked = [n for n in self.fleet.names if self.fleet.state(n).locked]
        if locked:
            self.fleet.parallel(locked, self._release)

    def _release(self, name: str) -> None:
        step = Unlock(self.fleet.renderer, self.holder.id, self.fleet.tags[name])
        reply = self.fleet.call(name, step, UNLOCK_TIMEOUT)
        released = reply.returncode == 0 and not reply.timed_out
        self.fleet.mark(name, locked=not released)
        if not released:
            self.fleet.runner.annotate(
                "warning",
                f"{name}: could not release the deploy lock ({reply.tail(2)}); it expires "
                "after lock-ttl.",
            )
