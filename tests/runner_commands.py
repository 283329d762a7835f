"""What the GitHub runner takes as workflow commands in a log: a port of actions/runner's rules.

``ActionCommandManager.TryProcessCommand`` reads each line of a step's output (split at CR, LF
or CRLF, as .NET's ``ReadLine``) and tries two parsers, the first that succeeds wins:

* ``ActionCommand.TryParseV2``: the line, trimmed of leading white space, starts with ``::``;
  the command info runs to the next ``::``; the name is the info up to its first space.
* ``ActionCommand.TryParse`` (the old form): ``##[`` ANYWHERE in the line; the info runs to
  the next ``]``; the name is the info up to its first space.

Either way the name must be a registered command (compared ignoring case). ``stop-commands``
stops all processing, of both forms, until a command named by its token (in either form)
resumes it. Lines that are not commands are plain output.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: The commands the runner registers (ActionCommandManager.cs).
REGISTERED = frozenset(
    {
        "set-env",
        "set-output",
        "save-state",
        "add-mask",
        "add-path",
        "add-matcher",
        "remove-matcher",
        "debug",
        "warning",
        "error",
        "notice",
        "group",
        "endgroup",
        "echo",
        "stop-commands",
    }
)


@dataclass(frozen=True)
class Command:
    name: str
    data: str
    line: str


def _dotnet_whitespace(ch: str) -> bool:
    """.NET's ``char.IsWhiteSpace`` (what ``TrimStart()`` removes)."""
    return ch in "\t\n\v\f\r\x85\xa0" or unicodedata.category(ch) in ("Zs", "Zl", "Zp")


def _name_of(info: str, registered: set[str]) -> str | None:
    name = info.split(" ", 1)[0]
    return name if name.lower() in registered else None


def parse_v2(line: str, registered: set[str]) -> Command | None:
    message = line
    while message and _dotnet_whitespace(message[0]):
        message = message[1:]
    if not message.startswith("::"):
        return None
    end = message.find("::", 2)
    if end < 0:
        return None
    name = _name_of(message[2:end], registered)
    return Command(name, message[end + 2 :], line) if name else None


def parse_old(line: str, registered: set[str]) -> Command | None:
    start = line.find("##[")
    if start < 0:
        return None
    end = line.find("]", start)
    if end < 0:
        return None
    name = _name_of(line[start + 3 : end], registered)
    return Command(name, line[end + 1 :], line) if name else None


def runner_lines(log: str) -> list[str]:
    """The lines as the runner reads them (CR, LF and CRLF end a line)."""
    return re.split(r"\r\n|\r|\n", log)


def issued_commands(log: str) -> list[Command]:
    """Every command the runner would process in ``log`` (the stop/resume pairs excluded)."""
    registered = {name.lower() for name in REGISTERED}
    token: str | None = None
    issued: list[Command] = []
    for line in runner_lines(log):
        if "##[" not in line and "::" not in line:
            continue
        command = parse_v2(line, registered) or parse_old(line, registered)
        if command is None:
            continue
        if token is not None:  # stopped: only the token resumes
            if command.name.lower() == token.lower():
                registered.discard(token.lower())
                token = None
            continue
        if command.name.lower() == "stop-commands":
            token = command.data
            registered.add(token.lower())
            continue
        issued.append(command)
    return issued


def issued(log: str) -> list[str]:
    """The names of the commands issued, in order (e.g. ``['group', 'endgroup']``)."""
    return [command.name.lower() for command in issued_commands(log)]
