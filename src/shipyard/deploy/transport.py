"""The seam between the deploy and its hosts: a :class:`Transport` runs a step's script.

The SSH adapter (:class:`shipyard.deploy.ssh.SshTransport`) sends the script to ``bash -s`` on
the host; the tests' in-memory fleet (``tests/deploy/memory_fleet.py``) simulates the hosts
instead and answers as the script would (it reads the step value, not the bash). Everything
above this seam (the fleet, the lock, the strategies, the modes) is the same for both (pure).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from shipyard.runtime import ShipyardError

from .steps import RemoteStep, Reply
from .targets import Target

#: The exit code of a reply when the transport itself failed (ssh's own 255), not the script.
CONNECTION_FAILED = 255


@dataclass(frozen=True)
class Script:
    """A step and the script it rendered (what a transport sends)."""

    step: RemoteStep[Any]
    text: str

    @classmethod
    def of(cls, step: RemoteStep[Any]) -> Script:
        """Render ``step``."""
        return cls(step, step.script())


class Transport(Protocol):
    """How steps reach the hosts."""

    def connect(self, host: Target, /) -> Reply:
        """Open the connection to ``host`` (its key checked); ok or why not."""
        ...

    def connect_error(self, host: Target, reply: Reply, /) -> tuple[str, ShipyardError]:
        """For a failed :meth:`connect`: the host's error line, and the error to raise."""
        ...

    def run(self, host: Target, script: Script, timeout: float, tag: str, /) -> Reply:
        """Run ``script`` on ``host``; past ``timeout`` seconds it is stopped (``timed_out``).
        ``tag`` (not secret; may be empty) names the remote process so that
        :class:`~shipyard.deploy.steps.StopSteps` can find it."""
        ...
