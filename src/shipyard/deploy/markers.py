"""The words remote scripts report with, declared once (pure).

A step's script says what it found or did with ``say WORD ARGS...`` (the bash function every
script defines, :data:`SAY`), which prints a ``@@shipyard WORD ARGS...`` line; the action
reads those lines back with :class:`Markers`, and nothing else of a host's output. Every word
a script may say is a constant here: the scripts are rendered with these constants and the
steps parse with them, so a word cannot be said in one place and read under another name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

PREFIX = "@@shipyard"
#: The bash function that prints a marker line.
SAY = f"say() {{ printf '{PREFIX} %s\\n' \"$*\"; }}\n"

# -- the lock and the host's state ------------------------------------------------------------
LOCKED = "locked"
TAKEN_OVER = "taken-over"  # a lock past its TTL was taken over
HELD = "held"  # another run holds the lock
HOLDER = "holder"  # JSON of the lock's holder
UNLOCKED = "unlocked"
CURRENT = "current"  # the release serving
CONTAINER = "container"  # NAME RELEASE STATE
RELEASE = "release"  # JSON of a release record
COMPOSE_RELEASE = "compose-release"  # a release whose compose files are kept
COMPOSE = "compose"  # the docker compose version found
NO_COMPOSE = "no-compose"  # no docker compose v2 (the version found, or none)
# -- steps ------------------------------------------------------------------------------------
DIGEST = "digest"  # REPOSITORY@sha256:...
HOOK = "hook"
MIGRATED = "migrated"
STARTED = "started"  # NAME HOST-PORT
HEALTHY = "healthy"  # NAME CODE ATTEMPT
EXITED = "exited"  # NAME
UNHEALTHY = "unhealthy"  # NAME CODE
SERVICE_DOWN = "service-down"  # SERVICE STATE STATUS
SWITCHED = "switched"  # RELEASE SERVERS
PROXY_CHECK_FAILED = "proxy-check-failed"
PROXY_APPLIED = "proxy-applied"
PROXY_UNCONFIRMED = "proxy-unconfirmed"  # SECONDS
DRAINING = "draining"  # PID... (nginx's workers of before the switch, finishing their requests)
DRAINED = "drained"  # those workers have exited
DRAIN_TIMEOUT = "drain-timeout"  # PID... still running when the drain's time was up
CHECK = "check"  # NAME CODE (one check of the watch)
REQUESTS = "requests"  # TOTAL ERRORS (in the access log since the switch)
LOG_SIZE = "log-size"  # BYTES
STOPPED = "stopped"
REVERTED = "reverted"
PRUNED = "pruned"  # RELEASE
PRUNE_FAILED = "prune-failed"  # RELEASE
STOPPED_STEP = "stopped-step"  # PID
STOP_STEPS_UNSUPPORTED = "stop-steps-unsupported"
# -- disk space and old images ----------------------------------------------------------------
DISK_OK = "disk-ok"  # ROOT FREE, or "present" (the image is there: no room needed)
DISK_UNKNOWN = "disk-unknown"  # ROOT (df could not say: not checked)
NO_SPACE = "no-space"  # ROOT FREE NEEDED
IMAGE_PRUNED = "image-pruned"  # ID
IMAGE_PRUNE_FAILED = "image-prune-failed"  # ID
IMAGES_KEPT = "images-kept"  # REASON (no image pruned at all)
# -- HTTPS ------------------------------------------------------------------------------------
TLS_INSTALLED = "tls-installed"  # NAME (the certificate's file name: its fingerprint)
TLS_OWNER = "tls-owner"  # USER (could not give the files to root)
SITE_WRITTEN = "site-written"
SITE_UNCHANGED = "site-unchanged"
SITE_RESTORED = "site-restored"  # a failed check through TLS: the block before is back
TLS_HEALTHY = "tls-healthy"  # CODE
TLS_UNHEALTHY = "tls-unhealthy"  # CODE
TLS_UNCHECKED = "tls-unchecked"  # REASON
# -- running the app: exec, logs, status, maintenance -------------------------------------------
NO_LIVE = "no-live"  # REASON (no live release, or none of its containers runs)
EXEC_IN = "exec-in"  # NAME RELEASE
EXEC_EXIT = "exec-exit"  # CODE
LOG_OF = "log-of"  # NAME
LIVE = "live"  # NAME RELEASE STATE STARTED-EPOCH HEALTH DOCKER-HEALTH IMAGE
NOW = "now"  # EPOCH (the host's clock)
MAINTENANCE = "maintenance"  # on PORT SINCE, or off
MAINTENANCE_KEPT = "maintenance-kept"  # PORT (a switch while maintenance is on)

#: Every word, for the test that finds each ``say WORD`` of the scripts here.
WORDS = frozenset(
    value
    for name, value in dict(globals()).items()
    if name.isupper() and name not in ("PREFIX", "SAY")
)


@dataclass(frozen=True)
class Markers:
    """The marker lines of one step's output, split into words."""

    lines: tuple[tuple[str, ...], ...]
    raw: tuple[str, ...]  # each marker line as printed, for the JSON ones

    @classmethod
    def read(cls, output: str) -> Markers:
        """The ``@@shipyard`` lines of ``output`` (anything else the host printed is ignored)."""
        raw = tuple(line for line in output.splitlines() if line.startswith(PREFIX + " "))
        return cls(tuple(tuple(line.split()[1:]) for line in raw), raw)

    def all(self, word: str) -> list[list[str]]:
        """The arguments of every ``word`` line, in order."""
        return [list(words[1:]) for words in self.lines if words and words[0] == word]

    def first(self, word: str) -> str:
        """The first argument of the first ``word`` line ('' when there is none)."""
        found = self.all(word)
        return found[0][0] if found and found[0] else ""

    def has(self, word: str) -> bool:
        """Whether the script said ``word`` at all."""
        return any(words and words[0] == word for words in self.lines)

    def json(self, word: str) -> list[Mapping[str, object]]:
        """The JSON objects of the ``word`` lines (a line that is not JSON is skipped)."""
        prefix = f"{PREFIX} {word} "
        found: list[Mapping[str, object]] = []
        for line in self.raw:
            if line.startswith(prefix):
                try:
                    value = json.loads(line[len(prefix) :])
                except ValueError:
                    continue
                if isinstance(value, dict):
                    found.append(value)
        return found
