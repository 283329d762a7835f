"""The ssh-agent adapter: a private agent for one build, holding the ``ssh-key`` input.

The agent listens on a socket in a private 0700 directory of the system temp dir (a socket
path is at most 107 bytes; RUNNER_TEMP paths can be longer), the key goes in over stdin
(``ssh-add -``: never a file, never an argument), the build gets ``--ssh default=<socket>``,
and ``stop`` (on the cleanup stack: success, failure, cancel) ends the agent and removes the
directory. The agent and ssh-add see none of the run's credential-looking variables.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import tempfile
import time
from collections.abc import Mapping

from shipyard.runtime import ConfigError, ExternalError, InputError, Runner, child_env
from shipyard.runtime.process import run_process

from .buildsecrets import normalize_key

_PID = re.compile(r"SSH_AGENT_PID=(\d+)")
#: Seconds to wait for the agent to end after each signal.
STOP_WAIT = 2.0


class SshAgent:
    """A running private ssh-agent; ``stop()`` ends it."""

    def __init__(self, socket: str, pid: int, directory: str) -> None:
        self.socket = socket
        self.pid = pid
        self.directory = directory

    @classmethod
    def start(cls, key: str, *, runner: Runner, env: Mapping[str, str]) -> SshAgent:
        """Start an agent and add ``key`` to it; InputError("ssh-key") when ssh-add refuses
        the key (e.g. it has a passphrase)."""
        directory = tempfile.mkdtemp(prefix="shipyard-ssh-")
        socket = os.path.join(directory, "agent.sock")
        try:
            done = run_process(
                ["ssh-agent", "-s", "-a", socket],
                runner=runner,
                env=child_env(env),
                timeout=30,
                echo=False,
            )
        except ExternalError:
            shutil.rmtree(directory, ignore_errors=True)
            raise ConfigError(
                "ssh-agent is not installed on this runner.",
                title="ssh-agent not found",
                hint="Install openssh-client (GitHub's ubuntu runners have it).",
            ) from None
        found = _PID.search(done.output)
        if not done.ok or found is None:
            shutil.rmtree(directory, ignore_errors=True)
            raise ConfigError(f"ssh-agent did not start: {done.tail(5)}", title="ssh-agent failed")
        agent = cls(socket, int(found.group(1)), directory)
        try:
            agent.add(key, runner=runner, env=env)
        except BaseException:
            agent.stop()
            raise
        return agent

    def add(self, key: str, *, runner: Runner, env: Mapping[str, str]) -> None:
        """``ssh-add -`` with the key on stdin; never prompts for a passphrase."""
        done = run_process(
            ["ssh-add", "-"],
            runner=runner,
            env=child_env(
                env, extra={"SSH_AUTH_SOCK": self.socket, "SSH_ASKPASS_REQUIRE": "never"}
            ),
            stdin=normalize_key(key),
            timeout=30,
            echo=False,
        )
        if not done.ok:
            raise InputError(
                "ssh-key",
                f"was refused by ssh-add: {done.tail(3).strip() or f'exit {done.returncode}'}.",
                hint="Give a private key without a passphrase (a deploy key made with "
                "ssh-keygen -N ''), in OpenSSH or PEM form.",
            )

    def stop(self) -> None:
        """End the agent (only while that pid is an ssh-agent: SIGTERM, then SIGKILL if it
        is still there after a moment) and remove its socket."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if not _is_ssh_agent(self.pid):
                break
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)
            deadline = time.monotonic() + STOP_WAIT
            while _is_ssh_agent(self.pid) and time.monotonic() < deadline:
                time.sleep(0.02)
        shutil.rmtree(self.directory, ignore_errors=True)


def _is_ssh_agent(pid: int) -> bool:
    """Whether ``pid`` is a running (not zombie) ssh-agent; where /proc cannot tell, whether
    the pid exists."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            name, _, rest = handle.read().partition(") ")
    except FileNotFoundError:
        if os.path.isdir("/proc/self"):
            return False
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    except OSError:
        return False
    return name.endswith("(ssh-agent") and not rest.startswith("Z")
