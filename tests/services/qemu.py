"""QEMU user emulation for arm64: the kernel's binfmt_misc entry for aarch64 ELF binaries.

With it (and its F flag, so the interpreter is opened at registration time), arm64 containers
and arm64 ``RUN`` steps work on this amd64 machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.services._common import (
    INSTALL_HINT,
    ServiceUnavailable,
    cache_dir,
    output_tail,
    require_binary,
    run,
)

BINFMT = Path("/proc/sys/fs/binfmt_misc")
ENTRY = "qemu-aarch64"


@dataclass(frozen=True)
class QemuStatus:
    """The registered aarch64 binfmt handler."""

    enabled: bool
    interpreter: str
    flags: str

    @property
    def fix_binary(self) -> bool:
        """F flag: the handler works inside containers (other mount namespaces)."""
        return "F" in self.flags


def status() -> QemuStatus | None:
    """The aarch64 handler as the kernel sees it, or None when it is not registered."""
    try:
        text = (BINFMT / ENTRY).read_text()
    except OSError:
        return None
    fields = dict(
        line.split(" ", 1) for line in text.splitlines() if " " in line and line[0] != " "
    )
    enabled = text.splitlines()[0].strip() == "enabled" if text else False
    return QemuStatus(enabled, fields.get("interpreter", ""), fields.get("flags:", "").strip())


def _mount_binfmt() -> None:
    if (BINFMT / "register").exists():
        return
    result = run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)], timeout=30)
    if result.returncode != 0 or not (BINFMT / "register").exists():
        raise ServiceUnavailable(
            "qemu", f"cannot mount binfmt_misc at {BINFMT}: {output_tail(result)}"
        )


def ensure() -> QemuStatus:
    """Register and enable the aarch64 handler if needed; raise ServiceUnavailable."""
    current = status()
    if current is not None and current.enabled:
        return current
    _mount_binfmt()
    update = require_binary("qemu", "update-binfmts")
    if not Path(f"/usr/share/binfmts/{ENTRY}").exists():
        raise ServiceUnavailable("qemu", f"qemu-user-static is not installed ({INSTALL_HINT})")
    if status() is None:
        # Known to binfmt-support (imported at install) but not registered with the kernel.
        run([update, "--import", ENTRY], timeout=30)
    result = run([update, "--enable", ENTRY], timeout=30)
    current = status()
    if current is None or not current.enabled:
        raise ServiceUnavailable(
            "qemu", f"update-binfmts --enable {ENTRY} failed: {output_tail(result)}"
        )
    return current


def check_arm64_binary() -> str:
    """Run the cached arm64 busybox ``uname -m`` through the handler; '' or the problem."""
    busybox = cache_dir() / "busybox" / "arm64" / "busybox"
    if not busybox.exists():
        return f"{busybox} is missing ({INSTALL_HINT})"
    result = run([str(busybox), "uname", "-m"], timeout=30)
    if result.returncode != 0 or result.stdout.strip() != "aarch64":
        return f"arm64 busybox did not run: {output_tail(result)}"
    return ""
