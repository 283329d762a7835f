"""mode: logs. The last ``log-lines`` lines (or those since ``log-since``) of each container of
the live release, from every host in parallel, with docker's timestamps: into each host's log
group and the summary, fenced (they come from the app). The ``details`` output counts the
lines per container.
"""

from __future__ import annotations

from typing import Any

from .ops import OpsMode
from .ops_steps import LogLines, Logs
from .steps import RemoteStep


class LogsMode(OpsMode):
    """mode: logs (see the module)."""

    mode = "logs"

    def step(self, name: str) -> RemoteStep[Any]:
        """The live release's logs."""
        s = self.settings
        return Logs(self.fleet.renderer, s.log_lines, s.log_since)

    def detail(self, name: str, value: LogLines | None) -> dict[str, object]:
        """The release and the lines per container."""
        if value is None:
            return {"release": "", "lines": {}}
        lines = {container: len(found) for container, found in value.lines.items()}
        return {"release": value.release, "lines": lines}

    def text(self, value: LogLines) -> str:
        """Each container's lines under its name."""
        return "\n".join(
            f"== {container}\n" + "\n".join(lines) for container, lines in value.lines.items()
        )

    def release(self, name: str, value: LogLines) -> str:
        """The live release."""
        return value.release
