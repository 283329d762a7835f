"""The linters' venvs: one per linter version in the tool cache, made with uv, reused after.

``<cache>/lint/venvs/<package>-<version>-<key>``: the key hashes what is installed (our hashed
lock, or the repository's requirement strings) and the interpreter, so a warm cache installs
nothing and starts no process. Installs take a file lock per venv (two jobs on one runner) and
write a marker last; a venv without its marker is rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from shipyard.runtime import ExternalError, Runner
from shipyard.runtime.process import ProcessTask, run_parallel, run_process
from shipyard.runtime.trust import require_trusted, venv_dirs

from .versions import Locked, ToolVersion, read_lock

MARKER = ".shipyard-installed"
BIN = "Scripts" if os.name == "nt" else "bin"
#: Our hash-locked requirements of each linter package.
LOCKS = Path(__file__).resolve().parents[3] / "locks" / "tools" / "lint"


def our_locks() -> dict[str, Locked]:
    """Our lock of each linter package (locks/tools/lint/<package>.txt), by package."""
    found = {}
    for path in sorted(LOCKS.glob("*.txt")):
        locked = read_lock(path.read_text(encoding="utf-8"), path.stem)
        if locked is not None:
            found[path.stem] = locked
    return found


@dataclass(frozen=True)
class Installed:
    """A linter ready to run."""

    venv: Path
    fresh: bool  # installed by this run

    def executable(self, name: str) -> str:
        """The path of the executable ``name`` in the venv."""
        suffix = ".exe" if os.name == "nt" else ""
        return str(self.venv / BIN / f"{name}{suffix}")


def cache_root(tool_cache: str) -> Path:
    """The lint tool cache: ``<tool cache>/shipyard/lint``."""
    root = Path(tool_cache)
    return (root if root.name == "shipyard" else root / "shipyard") / "lint"


def interpreter_id() -> str:
    """This interpreter, as part of a venv's key (a venv is made for one)."""
    return f"{os.path.realpath(sys.executable)} {sys.version} {sys.platform}"


def venv_path(root: Path, tool: ToolVersion) -> Path:
    """The venv of one linter version: named by package, version and a key of its contents."""
    digest = hashlib.sha256(f"{tool.key}\n{interpreter_id()}".encode()).hexdigest()[:12]
    version = "".join(c if c.isalnum() or c in ".-" else "_" for c in tool.version)[:40]
    return root / "venvs" / f"{tool.package}-{version}-{digest}"


def find_uv(env: Mapping[str, str], root: Path) -> str | None:
    """uv from SHIPYARD_UV, PATH, or where the bootstrap installs it."""
    if env.get("SHIPYARD_UV"):
        return env["SHIPYARD_UV"]
    found = shutil.which("uv", path=env.get("PATH"))
    if found:
        return found
    bootstrap = root.parent / "uv" / BIN / "uv"
    return str(bootstrap) if bootstrap.exists() else None


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        if os.name != "nt":
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


class ToolEnv:
    """Makes sure each linter's venv exists; installs the missing ones in parallel."""

    def __init__(self, root: Path, runner: Runner, env: Mapping[str, str]) -> None:
        self.root = root
        self.runner = runner
        self.env = dict(env)
        self.env.setdefault("UV_CACHE_DIR", str(root.parent / "cache" / "uv"))
        self.env["UV_PYTHON_DOWNLOADS"] = "never"

    def ensure(self, tools: Sequence[ToolVersion]) -> dict[str, Installed]:
        """package venvs by linter name; raises ExternalError naming what failed to install."""
        result: dict[str, Installed] = {}
        missing: dict[Path, ToolVersion] = {}
        # what runs from here runs with the job's secrets (a venv restored from GitHub's cache
        # service too): refused when another user owns it or may write it (exit 2)
        require_trusted([self.root.parent, self.root, self.root / "venvs"])
        for tool in tools:
            path = venv_path(self.root, tool)
            require_trusted(venv_dirs(path))
            if (path / MARKER).exists():
                result[tool.linter] = Installed(path, fresh=False)
            else:
                missing.setdefault(path, tool)
        if missing:
            with _locked(self.root / ".install.lock"):
                self._install({p: t for p, t in missing.items() if not (p / MARKER).exists()})
        for tool in tools:
            result.setdefault(tool.linter, Installed(venv_path(self.root, tool), fresh=True))
        return result

    def _install(self, missing: Mapping[Path, ToolVersion]) -> None:
        if not missing:
            return
        uv = find_uv(self.env, self.root)
        tasks = []
        for path, tool in missing.items():
            shutil.rmtree(path, ignore_errors=True)
            path.parent.mkdir(parents=True, exist_ok=True)
            tasks.append(self._task(uv, path, tool))
        results = run_parallel(tasks, runner=self.runner)
        failed = []
        for (path, tool), result in zip(missing.items(), results, strict=True):
            if result.ok and (path / BIN).is_dir():
                (path / MARKER).write_text(f"{tool.package} {tool.version}\n", encoding="utf-8")
            else:
                failed.append(f"{tool.linter} {tool.version} ({tool.source}):\n{result.tail(15)}")
                shutil.rmtree(path, ignore_errors=True)
        if failed:
            raise ExternalError(
                "Could not install "
                + "; ".join(f.split(" ", 1)[0] for f in failed)
                + ".\n"
                + "\n".join(failed),
                title="lint: linter install failed",
                hint="Check the runner's access to the package index (UV_INDEX_URL / "
                "PIP_INDEX_URL) and that the pinned versions exist.",
            )

    def _task(self, uv: str | None, path: Path, tool: ToolVersion) -> ProcessTask:
        """One argv that makes the venv and installs into it (a small Python driver)."""
        requirements = self.root / "requirements" / f"{path.name}.txt"
        requirements.parent.mkdir(parents=True, exist_ok=True)
        if tool.lock is not None:
            requirements.write_text(tool.lock, encoding="utf-8")
        else:
            requirements.write_text("\n".join(tool.requirements) + "\n", encoding="utf-8")
        argv = [
            sys.executable,
            "-I",
            str(Path(__file__).with_name("installer.py")),
            uv or "",
            str(path),
            str(requirements),
            "hashes" if tool.lock is not None else "plain",
        ]
        # From the cache, not the workspace: uv would obey the repository's uv.toml or
        # [tool.uv] (an index URL of its choosing).
        name = f"install {tool.linter} {tool.version}"
        return ProcessTask(name, argv, cwd=str(self.root), env=self.env)


def version_of(
    runner: Runner, argv: Sequence[str], env: Mapping[str, str], *, cwd: str | None = None
) -> tuple[str, str]:
    """A linter's version, and all its ``--version`` said (for linters from PATH)."""
    from .tools import parse_version

    result = run_process(argv, runner=runner, cwd=cwd, env=env, echo=False, timeout=60)
    if result.returncode != 0:
        return "unknown", ""
    return parse_version(result.output), result.output.strip()
