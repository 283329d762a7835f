"""Secret files: 0600 files in a private 0700 directory, removed by the cleanup stack.

For what a tool reads only from a file (an SSH key, known_hosts, a docker config, an env file).
The directory is under RUNNER_TEMP (wiped by the runner after the job) or the system temp dir.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from .cleanup import Cleanup

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class SecretFiles:
    """Creates secret files in one private directory, made on first use."""

    def __init__(self, base_dir: str | None, cleanup: Cleanup) -> None:
        self._base_dir = base_dir or None
        self._cleanup = cleanup
        self._dir: Path | None = None

    @property
    def directory(self) -> Path:
        """The private 0700 directory, made on first use (under the base directory when it exists)
        and removed by the cleanup stack."""
        if self._dir is None:
            base = self._base_dir if self._base_dir and os.path.isdir(self._base_dir) else None
            path = Path(tempfile.mkdtemp(prefix="shipyard-secrets-", dir=base))
            os.chmod(path, 0o700)
            self._dir = path
            self._cleanup.push(lambda: shutil.rmtree(path, ignore_errors=True), "secret files")
        return self._dir

    def write(self, content: str | bytes, *, name: str) -> Path:
        """A new 0600 file holding ``content``; ``name`` is a plain file name."""
        if not _NAME.match(name) or name in (".", ".."):
            raise ValueError(f"not a plain file name: {name!r}")
        path = self.directory / name
        data = content.encode("utf-8") if isinstance(content, str) else content
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        self._cleanup.push(lambda: path.unlink(missing_ok=True), f"secret file {name}")
        return path


def secret_file(
    content: str | bytes, *, name: str, cleanup: Cleanup, base_dir: str | None = None
) -> Path:
    """One secret file in its own private directory (both removed by ``cleanup``)."""
    return SecretFiles(base_dir, cleanup).write(content, name=name)


__all__ = ["SecretFiles", "secret_file"]
