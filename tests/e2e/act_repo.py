"""The caller repository act runs a workflow in: a throw-away git repo (``origin`` remote, one
commit on the branch or tag of ``ref``), the event payload, the dotenv files, a snapshot of this
checkout for ``--local-repository``, and the check that every ``uses:`` resolves offline."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.act_log import ActError

_STRIPPED_PREFIXES = ("GITHUB_", "RUNNER_", "INPUT_", "ACTIONS_", "STATE_", "ACT_", "PYTEST_")
_STRIPPED_NAMES = frozenset(
    {
        "VIRTUAL_ENV",
        "PYTHONHOME",
        "PYTHONPATH",
        "ACT",
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
    }
)


def _sanitized_env(extra: Mapping[str, str | None] | None) -> dict[str, str]:
    """act's process environment: ours without runner/pytest/venv variables (host mode leaks it)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_STRIPPED_PREFIXES) and k not in _STRIPPED_NAMES
    }
    venv = os.environ.get("VIRTUAL_ENV")
    if venv:
        venv_bin = str(Path(venv) / "bin")
        path = env.get("PATH", "").split(os.pathsep)
        env["PATH"] = os.pathsep.join(p for p in path if p != venv_bin)
    env["ACT_DISABLE_VERSION_CHECK"] = "1"
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


#: Third-party code kept for the tests (6 MB): no part of the actions, left out of snapshots.
VENDORED = "tests/e2e/vendor/"


def snapshot_checkout(src: Path, dest: Path) -> Path:
    """Copy the files a commit of ``src`` would hold (tracked + untracked, not ignored) to ``dest``.

    Falls back to a copy without VCS, venv and cache folders when ``src`` is not a git work tree.
    """
    dest.mkdir(parents=True, exist_ok=True)
    listing = subprocess.run(
        ["git", "-C", str(src), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=False,
    )
    if listing.returncode != 0:
        shutil.copytree(
            src,
            dest,
            symlinks=True,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns(
                ".git",
                ".venv",
                "venv",
                "__pycache__",
                "*.pyc",
                ".pytest_cache",
                ".mypy_cache",
                ".ruff_cache",
                "node_modules",
                "*.egg-info",
                "build",
                "dist",
            ),
        )
        return dest
    for rel in sorted({p for p in listing.stdout.decode().split("\0") if p}):
        if rel.startswith(VENDORED):
            continue  # act gets actions/cache from its own --local-repository
        source = src / rel
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the work tree
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        elif source.is_file():
            shutil.copy2(source, target)
    return dest


def _dotenv(values: Mapping[str, str]) -> str:
    """Dotenv text that godotenv (act) reads back verbatim: double quotes, ``\\ " $ LF`` escaped."""
    lines = []
    for key, value in values.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", key):
            raise ValueError(f"invalid name for act: {key!r}")
        escaped = (
            str(value)
            .replace("\\", "\\\\")
            .replace('"', '\\"')
            .replace("\n", "\\n")
            .replace("\r", "\\r")
            .replace("$", "\\$")
        )
        lines.append(f'{key}="{escaped}"\n')
    return "".join(lines)


def _write_private(path: Path, text: str) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def _workflow_events(doc: Mapping[Any, Any]) -> list[str]:
    on = doc.get("on", doc.get(True))  # PyYAML reads the key `on` as the boolean True
    if isinstance(on, str):
        return [on]
    if isinstance(on, list):
        return [str(e) for e in on]
    if isinstance(on, Mapping):
        return [str(e) for e in on]
    return []


_USES = re.compile(r"^(?P<owner>[^/@]+)/(?P<repo>[^/@]+)(?:/(?P<path>[^@]*))?@(?P<ref>.+)$")


def unresolvable_uses(doc: Mapping[str, Any], local: Iterable[str], repository: str) -> list[str]:
    """The ``uses:`` of a workflow that act would have to fetch from github.com."""
    local_keys = {name.lower() for name in local}
    problems: list[str] = []

    def check(uses: str, where: str, with_: Mapping[str, Any] | None) -> None:
        if uses.startswith(("./", "docker://")):
            return
        match = _USES.match(uses)
        if not match:
            problems.append(f"{where}: uses {uses!r} is not owner/repo[/path]@ref")
            return
        repo = f"{match['owner']}/{match['repo']}".lower()
        if f"{repo}@{match['ref']}".lower() in local_keys:
            return
        if repo == "actions/checkout":
            other = (with_ or {}).get("repository")
            if (other in (None, repository)) and "ref" not in (with_ or {}):
                return
            problems.append(
                f"{where}: actions/checkout of another repository or ref needs github.com"
            )
            return
        problems.append(f"{where}: uses {uses!r}, which is not a local repository")

    for job_id, job in (doc.get("jobs") or {}).items():
        if not isinstance(job, Mapping):
            continue
        if isinstance(job.get("uses"), str):
            check(job["uses"], f"job {job_id}", None)
        for index, step in enumerate(job.get("steps") or []):
            if isinstance(step, Mapping) and isinstance(step.get("uses"), str):
                check(step["uses"], f"job {job_id} step {step.get('id', index)}", step.get("with"))
    return problems


def _input_str(value: str | bool | int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _workflow_text(workflow: str | Path | Mapping[str, Any]) -> tuple[str, str]:
    """The workflow's YAML and the file name to give it."""
    if isinstance(workflow, Mapping):
        return yaml.safe_dump(dict(workflow), sort_keys=False), "workflow.yml"
    if isinstance(workflow, Path) or (
        "\n" not in workflow and workflow.endswith((".yml", ".yaml"))
    ):
        path = Path(workflow)
        return path.read_text(encoding="utf-8"), path.name
    return workflow, "workflow.yml"


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        [
            "git",
            "-c",
            "user.name=Shipyard Tests",
            "-c",
            "user.email=tests@example.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
            "-C",
            str(repo),
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
        env={
            **_sanitized_env(None),
            "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
            "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
        },
    )
    if proc.returncode != 0:
        raise ActError(f"git {' '.join(args)} failed in {repo}", details=proc.stderr)
    return proc.stdout.strip()


def _make_caller_repo(
    repo: Path,
    workflow_text: str,
    workflow_file: str,
    repository: str,
    ref: str,
    files: Mapping[str, str | bytes] | None,
    template: str | Path | None,
) -> str:
    """Create the caller's repository with the workflow committed; return the commit SHA."""
    if template:
        shutil.copytree(
            template, repo, symlinks=True, ignore=shutil.ignore_patterns(".git", "__pycache__")
        )
    repo.mkdir(parents=True, exist_ok=True)
    branch = ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else "main"
    _git(repo, "init", "-q", "-b", branch)
    _git(repo, "remote", "add", "origin", f"https://github.com/{repository}.git")
    for rel, content in (files or {}).items():
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    wf = repo / ".github" / "workflows" / workflow_file
    wf.parent.mkdir(parents=True, exist_ok=True)
    wf.write_text(workflow_text, encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "Test commit")
    if ref.startswith("refs/tags/"):
        _git(repo, "tag", ref.removeprefix("refs/tags/"))
    return _git(repo, "rev-parse", "HEAD")


def _event_payload(
    event: str,
    payload: Mapping[str, Any] | None,
    repository: str,
    ref: str,
    sha: str,
    actor: str,
    inputs: Mapping[str, str | bool | int] | None,
) -> dict[str, Any]:
    """The event JSON, with what GitHub always sends filled in where the test left it out."""
    owner, _, name = repository.partition("/")
    data: dict[str, Any] = dict(payload or {})
    data.setdefault(
        "repository",
        {
            "full_name": repository,
            "name": name,
            "owner": {"login": owner},
            "default_branch": "main",
            "html_url": f"https://github.com/{repository}",
            "clone_url": f"https://github.com/{repository}.git",
        },
    )
    data.setdefault("sender", {"login": actor})
    if event == "push":
        data.setdefault("ref", ref)
        data.setdefault("after", sha)
        data.setdefault("before", "0" * 40)
        data.setdefault("head_commit", {"id": sha, "message": "Test commit"})
    elif event == "workflow_dispatch":
        data.setdefault("ref", ref)
    # With -e, act reads the inputs context from the payload, not from --input(-file).
    if event == "workflow_call":
        data.setdefault("inputs", dict(inputs or {}))
    elif inputs or event == "workflow_dispatch":
        data.setdefault("inputs", {k: _input_str(v) for k, v in (inputs or {}).items()})
    return data
