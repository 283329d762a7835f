"""Build secrets and SSH agent forwarding (pure): the ``secrets``, ``ssh`` and ``ssh-key``
inputs checked against the step's environment, and the buildx flags they become.

A secret's value is never an input: ``id=ENV_NAME`` names the environment variable that holds
it, and buildx reads it from its own environment (``--secret id=x,env=NAME``), so the value is
on no command line and in no file. An SSH key is a secret input added to a private ssh-agent
(``sshagent``); the build gets the agent's socket (``--ssh default=<socket>``), never the key.
Errors name the input, the line and the id, never what follows ``=`` (it may be a value).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
#: The id a Dockerfile mounts (``RUN --mount=type=secret,id=...``, ``type=ssh,id=...``).
MOUNT_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}\Z")
ID_RULE = "letters, digits, '.', '_' and '-', up to 128"
ENV_HINT = (
    "Set the variable in the step's env: (e.g. NPM_TOKEN: ${{ secrets.NPM_TOKEN }}) and name "
    "it here (npm=NPM_TOKEN). A repository secret that does not exist, or that a pull request "
    "from a fork cannot read, expands to an empty string."
)


class SecretInputError(ValueError):
    """A bad ``secrets``/``ssh``/``ssh-key`` input; the message never holds a value."""

    def __init__(self, input_name: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.input_name = input_name
        self.hint = hint


@dataclass(frozen=True)
class BuildSecret:
    """One build secret: the id RUN steps mount, and the variable that holds its value."""

    id: str
    env: str

    @property
    def flag(self) -> str:
        """The value of buildx's ``--secret``: the variable's name, never its value."""
        return f"id={self.id},env={self.env}"

    def describe(self) -> str:
        return f"{self.id} (from ${self.env})"


@dataclass(frozen=True)
class SshForward:
    """One SSH id a build may use: the private agent of ssh-key (``socket`` empty) or an
    agent socket already running (an earlier step's, e.g. webfactory/ssh-agent)."""

    id: str
    socket: str = ""

    def flag(self, agent_socket: str) -> str:
        """The value of buildx's ``--ssh``: the id and the agent socket it forwards."""
        return f"{self.id}={self.socket or agent_socket}"

    def describe(self) -> str:
        return f"{self.id}: the agent " + (f"at {self.socket}" if self.socket else "of ssh-key")


def _lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.strip()
        if entry and not entry.startswith("#"):
            yield number, entry


def _mount_id(name: str, number: int, text: str, seen: set[str]) -> str:
    if not MOUNT_ID.match(text):
        raise SecretInputError(name, f"line {number}: the id may hold {ID_RULE}.")
    if text in seen:
        raise SecretInputError(name, f"line {number}: the id '{text}' is given twice.")
    seen.add(text)
    return text


def parse_secrets(
    text: str, env: Mapping[str, str]
) -> tuple[tuple[BuildSecret, ...], tuple[str, ...]]:
    """(the build secrets, their values: to mask) from ``id=ENV_NAME`` lines; each variable
    must be set and not empty in ``env``."""
    secrets: list[BuildSecret] = []
    values: list[str] = []
    seen: set[str] = set()
    for number, entry in _lines(text):
        raw_id, sep, name = (part.strip() for part in entry.partition("="))
        if not sep or not raw_id:
            raise SecretInputError(
                "secrets", f"line {number} is not ID=ENV_NAME (e.g. npm=NPM_TOKEN).", ENV_HINT
            )
        secret_id = _mount_id("secrets", number, raw_id, seen)
        where = f"line {number} (id '{secret_id}')"
        if not ENV_NAME.match(name):
            raise SecretInputError(
                "secrets",
                f"{where}: what follows '=' is not the name of an environment variable; "
                "build-push reads a secret's value from the environment, never from the input.",
                ENV_HINT,
            )
        if not env.get(name):
            # What follows '=' is never quoted: it may be a value pasted by mistake
            # (docker/build-push-action's secrets input takes values), and a token can be a
            # valid variable name (ghp_..., a base32 seed).
            raise SecretInputError(
                "secrets",
                f"{where}: the variable named after '=' is not set in this step's environment, "
                "or is empty.",
                ENV_HINT,
            )
        secrets.append(BuildSecret(secret_id, name))
        values.append(env[name])
    return tuple(secrets), tuple(values)


def looks_like_private_key(key: str) -> bool:
    return "-----BEGIN" in key and "PRIVATE KEY-----" in key


def normalize_key(key: str) -> str:
    """The key as ssh-add reads it: LF line ends and a final newline (a key pasted into a
    secret often has neither)."""
    return key.replace("\r\n", "\n").strip() + "\n"


def parse_ssh(
    text: str,
    ssh_key: str,
    env: Mapping[str, str],
    socket_exists: Callable[[str], bool],
) -> tuple[SshForward, ...]:
    """The SSH ids to forward, from ``id`` or ``id=/path/to/agent.sock`` lines. An id alone
    forwards the private agent of ``ssh_key``, else the agent of an earlier step
    (``SSH_AUTH_SOCK``). Keys are never read from files. ``socket_exists`` is the one look
    at the file system (the caller's)."""
    if ssh_key.strip() and not looks_like_private_key(ssh_key):
        raise SecretInputError(
            "ssh-key",
            "is not a private key: an OpenSSH or PEM private key (-----BEGIN ... PRIVATE "
            "KEY-----) is expected.",
        )
    forwards: list[SshForward] = []
    seen: set[str] = set()
    for number, entry in _lines(text):
        raw_id, sep, socket = (part.strip() for part in entry.partition("="))
        ssh_id = _mount_id("ssh", number, raw_id, seen)
        if sep and not (posixpath.isabs(socket) and socket_exists(socket)):
            raise SecretInputError(
                "ssh",
                f"line {number} (id '{ssh_id}'): what follows '=' is not an SSH agent socket.",
                hint=f"Give the private key in ssh-key and write '{ssh_id}' alone (keys are "
                "never read from files), or the socket of an agent an earlier step started.",
            )
        forwards.append(SshForward(ssh_id, socket))
    return _agents_for(tuple(forwards), ssh_key.strip(), env, socket_exists)


def _agents_for(
    forwards: tuple[SshForward, ...],
    ssh_key: str,
    env: Mapping[str, str],
    socket_exists: Callable[[str], bool],
) -> tuple[SshForward, ...]:
    """Each id without a socket gets the private agent of ssh-key, else the runner's."""
    alone = [forward for forward in forwards if not forward.socket]
    if ssh_key and not alone:
        unused = "gives a socket on every line" if forwards else "is empty"
        raise SecretInputError(
            "ssh",
            f"{unused}, so ssh-key would not be used: write 'default' to let the build's "
            "RUN --mount=type=ssh steps use its agent.",
        )
    if not alone or ssh_key:
        return forwards
    runner_agent = env.get("SSH_AUTH_SOCK", "")
    if runner_agent and socket_exists(runner_agent):
        return tuple(SshForward(f.id, f.socket or runner_agent) for f in forwards)
    raise SecretInputError(
        "ssh-key",
        f"is required for ssh: {alone[0].id}: the private key of the agent the build may use.",
        hint="Give the key as a secret (ssh-key: ${{ secrets.DEPLOY_KEY }}), or start an "
        "ssh-agent in an earlier step (SSH_AUTH_SOCK).",
    )
