"""mode: exec. One command in the live release's container on one host (``exec-host``) or on
every host, in parallel: a migration, a console task, run from a ``workflow_dispatch``.

The command goes into the step's script quoted (``sh -c``), and the script reaches the host
over SSH's stdin; it runs with ``docker exec`` in the first running routed container of the
release that serves (with that container's environment). Each host's exit code is in the
``details`` output and the summary; its output, from the container, is fenced. A command
that exits non-zero fails the job (exit 1). A cancel stops the local client; the command
itself goes on in the container (``docker exec`` has no way to stop it from outside).
"""

from __future__ import annotations

from typing import Any

from .ops import OpsMode
from .ops_steps import Exec, ExecResult
from .steps import RemoteStep


class ExecMode(OpsMode):
    """mode: exec (see the module)."""

    mode = "exec"

    def hosts(self) -> list[str]:
        """exec-host, or every host."""
        return [self.settings.exec_host] if self.settings.exec_host else self.fleet.names

    def step(self, name: str) -> RemoteStep[Any]:
        """The command in the live container."""
        return Exec(self.fleet.renderer, self.settings.command or "")

    def detail(self, name: str, value: ExecResult | None) -> dict[str, object]:
        """Where it ran and its exit code (None when it could not run)."""
        if value is None:
            return {"container": "", "release": "", "exit": None}
        return {"container": value.container, "release": value.release, "exit": value.code}

    def text(self, value: ExecResult) -> str:
        """Its output."""
        return value.output

    def release(self, name: str, value: ExecResult) -> str:
        """The release it ran in."""
        return value.release

    def ok(self, value: ExecResult) -> bool:
        """Exit code 0."""
        return value.code == 0
