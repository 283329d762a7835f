"""Workflow commands and file commands, with the semantics of @actions/core.

Everything that writes to the runner goes through a :class:`Runner`, so tests can point one
at temporary files and a buffer. Outside a runner (``GITHUB_ACTIONS`` unset) annotations are
printed as plain ``error: ...`` lines and outputs as ``name=value`` so ``python -m`` reads well.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal, TextIO

AnnotationLevel = Literal["error", "warning", "notice"]


def escape_data(value: str) -> str:
    """Escape a command's message, as @actions/core's ``escapeData``."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a command property, as @actions/core's ``escapeProperty``."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def format_command(
    command: str, message: str, properties: Mapping[str, object] | None = None
) -> str:
    """Render ``::command key=value,...::message`` with every part escaped."""
    props = ""
    if properties:
        parts = [
            f"{key}={escape_property(str(val))}"
            for key, val in properties.items()
            if val is not None and val != ""
        ]
        if parts:
            props = " " + ",".join(parts)
    return f"::{command}{props}::{escape_data(message)}"


def _uuid4() -> str:
    """A random UUID4 string (without importing uuid, which costs start-up time)."""
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def file_command_entry(key: str, value: str, delimiter: str | None = None) -> str:
    """Render one ``key<<delimiter`` entry of GITHUB_OUTPUT / GITHUB_ENV.

    The delimiter is random (``ghadelimiter_<uuid4>``); a key or value that contains it is
    refused, so a value can never forge a second entry.
    """
    delimiter = delimiter or f"ghadelimiter_{_uuid4()}"
    if delimiter in key:
        raise ValueError(f'Unexpected input: name should not contain the delimiter "{delimiter}"')
    if delimiter in value:
        raise ValueError(f'Unexpected input: value should not contain the delimiter "{delimiter}"')
    return f"{key}<<{delimiter}\n{value}\n{delimiter}\n"


#: The runner's old command form, honoured anywhere in a line (``foo ##[add-mask]x``).
OLD_COMMAND_PREFIX = "##["


def _leading_blank(ch: str) -> bool:
    """Characters the runner may skip before ``::`` (it trims white space; format and control
    characters are skipped here too, to be on the safe side)."""
    import unicodedata

    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf")


def neutralize(text: str) -> str:
    """One line of external text made safe to embed in our own log line or message.

    The runner (actions/runner ``ActionCommandManager``) reads a line as a workflow command in
    two forms: ``::name ...::data`` at the start of the line (after trimming white space), and
    the old ``##[name ...]data`` anywhere in it. So line breaks (CR, LF) become spaces, every
    ``##[`` becomes ``## [``, and a line that starts with ``::`` is prefixed with ``| ``.
    """
    line = text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    line = line.replace(OLD_COMMAND_PREFIX, "## [")
    if "::" not in line:
        return line
    start = 0
    while start < len(line) and _leading_blank(line[start]):
        start += 1
    return "| " + line if line.startswith("::", start) else line


def neutralize_lines(text: str) -> str:
    """Every line of ``text`` kept, each one that would read as a workflow command made inert."""
    return "\n".join(neutralize(line) for line in text.splitlines()) if text else text


def may_be_command(text: str) -> bool:
    """Whether some line of ``text`` could be read as a workflow command (either form)."""
    return "::" in text or OLD_COMMAND_PREFIX in text


_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@'\"<>]+@")
_URL_QUERY = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s?#'\"<>]*)\?[^\s#'\"<>]*")


def redact_urls(text: str) -> str:
    """Hide the parts of URLs that carry credentials: userinfo (``user:pass@``) and query
    strings (``?token=...``). For tracebacks and messages that may quote a URL."""
    text = _URL_USERINFO.sub(r"\1***@", text)
    return _URL_QUERY.sub(r"\1?***", text)


def stop_commands_token() -> str:
    """A fresh, unguessable token for ``::stop-commands::``."""
    return os.urandom(16).hex()


def secret_fragments(secret: str) -> list[str]:
    """What to mask for one secret: the whole value and each non-blank line of it.

    The runner matches masks line by line in the log, so a multi-line secret (a PEM key, a
    JSON credential) must have every line masked on its own.
    """
    fragments: list[str] = []
    for candidate in [secret, *secret.splitlines()]:
        candidate = candidate.strip()
        if candidate and candidate not in fragments:
            fragments.append(candidate)
    return fragments


#: GitHub shows at most this many annotations of each level (error, warning, notice) per step
#: and drops the rest without a word.
ANNOTATION_LIMIT = 10
#: Room kept in each level for the action's own annotations (the verdict or error the runtime
#: prints at the end): findings never take it.
ANNOTATION_RESERVE = 1
ANNOTATION_LEVELS: tuple[AnnotationLevel, ...] = ("error", "warning", "notice")


def hidden_annotations_line(hidden: Mapping[str, int], limit: int = ANNOTATION_LIMIT) -> str:
    """'' when nothing was left out, else e.g. '3 errors and 1 warning not shown as
    annotations (GitHub shows 10 of each per step); see the full list.'"""
    parts = [
        f"{count} {level}{'' if count == 1 else 's'}"
        for level in ANNOTATION_LEVELS
        if (count := hidden.get(level))
    ]
    if not parts:
        return ""
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return (
        f"{listed} not shown as annotations (GitHub shows {limit} of each per step); "
        "see the full list."
    )


@dataclass
class AnnotationBudget:
    """The annotations of the whole step, per level.

    Every annotation the runner prints is counted here. The action's own ones (``annotate``:
    warnings, the verdict, the error the runtime reports at the end) may use all ``limit``
    places; findings (``emit_annotations``) stop ``reserve`` places short, so the verdict is
    never the one GitHub drops. What does not fit is counted in ``hidden``, and the runtime
    says so in the job summary."""

    limit: int = ANNOTATION_LIMIT
    reserve: int = ANNOTATION_RESERVE
    shown: dict[str, int] = field(default_factory=dict)
    hidden: dict[str, int] = field(default_factory=dict)

    def room_for_findings(self, level: str) -> int:
        """How many more findings of ``level`` may be shown."""
        return max(0, self.limit - self.reserve - self.shown.get(level, 0))

    def take(self, level: str) -> bool:
        """Count one annotation of ``level``: True if GitHub will show it, False (and counted
        as hidden) if the level is full."""
        if self.shown.get(level, 0) >= self.limit:
            self.skip(level)
            return False
        self.shown[level] = self.shown.get(level, 0) + 1
        return True

    def skip(self, level: str, count: int = 1) -> None:
        """Count ``count`` annotations of ``level`` that were not shown."""
        if count > 0:
            self.hidden[level] = self.hidden.get(level, 0) + count

    def summary_line(self) -> str:
        """For the job summary: how many were not shown ('' when none)."""
        return hidden_annotations_line(self.hidden, self.limit)


@dataclass
class Runner:
    """The runner's channels: stdout for commands, file commands, and the summary file."""

    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    stream: TextIO = field(default_factory=lambda: sys.stdout)
    masked: list[str] = field(default_factory=list)
    #: Held while a block of lines is written, so parallel output is never interleaved.
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    #: The step's annotations per level (GitHub shows 10 of each).
    budget: AnnotationBudget = field(default_factory=AnnotationBudget, compare=False)

    @property
    def on_runner(self) -> bool:
        """True under GitHub Actions or act: workflow commands are understood."""
        return self.env.get("GITHUB_ACTIONS", "") == "true"

    @property
    def debug_enabled(self) -> bool:
        """Whether the run asks for debug output (RUNNER_DEBUG=1, a re-run with debug logging, or
        SHIPYARD_DEBUG=1)."""
        return self.env.get("RUNNER_DEBUG", "") == "1" or self.env.get("SHIPYARD_DEBUG", "") == "1"

    # -- plain output ---------------------------------------------------------------------
    def write_line(self, line: str) -> None:
        """Write one line of OUR OWN output as it is (it may be a workflow command). Text
        from outside (servers, tools, remote hosts) goes through :meth:`untrusted` or
        :meth:`info`, never here."""
        with self.lock:
            self.stream.write(self.redact(line) + "\n")
            self.stream.flush()

    def write_lines(self, lines: list[str]) -> None:
        """Write lines as one block (no other thread's output in between)."""
        with self.lock:
            for line in lines:
                self.stream.write(self.redact(line) + "\n")
            self.stream.flush()

    def untrusted(self, text: str, *, fence: bool | None = None) -> None:
        """Print external text (a server's reply, a tool's or a remote host's output) so that
        it cannot issue workflow commands: on a runner, between ``::stop-commands::<token>``
        and ``::<token>::`` with a random token; outside one, each line neutralized."""
        lines = text.splitlines() or [""]
        if fence if fence is not None else self.on_runner:
            token = stop_commands_token()
            self.write_lines([format_command("stop-commands", token), *lines, f"::{token}::"])
        else:
            self.write_lines([neutralize(line) for line in lines])

    def redact(self, text: str) -> str:
        """Replace masked values in text we print ourselves (the runner masks only its log)."""
        for secret in sorted(self.masked, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    def info(self, message: str) -> None:
        """A log line. Never a workflow command: a line that would read as one (e.g. external
        text inside the message) is neutralized."""
        self.write_line(neutralize_lines(message) if may_be_command(message) else message)

    def debug(self, message: str) -> None:
        """Debug output, shown only when RUNNER_DEBUG=1 (or SHIPYARD_DEBUG=1)."""
        if self.debug_enabled:
            self.write_line(
                format_command("debug", message) if self.on_runner else f"debug: {message}"
            )

    # -- masking --------------------------------------------------------------------------
    def mask(self, secret: str) -> None:
        """Mask a secret at once: every line of it, before anything can log it.

        On a runner this is ``::add-mask::``; outside one nothing is printed (that would show
        the secret on the terminal), but our own output still redacts it."""
        for fragment in secret_fragments(secret):
            if fragment in self.masked:
                continue
            if self.on_runner:
                # Written before recording the mask, so the command itself is not redacted.
                self.stream.write(format_command("add-mask", fragment) + "\n")
            self.masked.append(fragment)
        self.stream.flush()

    # -- annotations ----------------------------------------------------------------------
    def annotate(
        self,
        level: AnnotationLevel,
        message: str,
        *,
        title: str | None = None,
        file: str | None = None,
        line: int | None = None,
        end_line: int | None = None,
        col: int | None = None,
        end_column: int | None = None,
    ) -> None:
        """An error, warning or notice annotation, with the properties @actions/core knows.

        It counts against the step's budget (:class:`AnnotationBudget`): once GitHub would
        drop it, it is printed as a plain (inert) log line instead and counted for the summary.
        """
        with self.lock:  # one count per annotation, whatever thread prints it
            shown = self.budget.take(level)
        if shown and self.on_runner:
            props: dict[str, object] = {
                "title": title,
                "file": file,
                "line": line,
                "endLine": end_line,
                "col": col,
                "endColumn": end_column,
            }
            self.write_line(format_command(level, message, props))
            return
        where = ""
        if file:
            where = f"{file}:{line}:" if line else f"{file}:"
            where += f"{col}: " if col and line else " "
        heading = f"{title}: " if title else ""
        self.write_line(neutralize_lines(f"{level}: {where}{heading}{message}"))

    # -- groups ---------------------------------------------------------------------------
    @contextmanager
    def group(self, name: str) -> Iterator[None]:
        """A collapsible log group; the group is closed even when the body raises."""
        self.write_line(format_command("group", name) if self.on_runner else f"== {name}")
        try:
            yield
        finally:
            if self.on_runner:
                self.write_line("::endgroup::")

    # -- file commands --------------------------------------------------------------------
    def _append_file_command(self, variable: str, key: str, value: str) -> bool:
        path = self.env.get(variable)
        if not path:
            return False
        entry = file_command_entry(key, value)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(entry)
        return True

    def set_output(self, name: str, value: str, *, redact: bool = True) -> None:
        """Set a step output (GITHUB_OUTPUT); outside a runner print ``name=value``.
        Masked values in ``value`` become ``***`` unless ``redact=False``: for a value the
        action makes itself (a status, an id), which later steps compare as it is."""
        value = self.redact(value) if redact else value
        if not self._append_file_command("GITHUB_OUTPUT", name, value):
            if "\n" in value:
                self.write_line(f"{name}<<EOF\n{value}\nEOF")
            else:
                self.write_line(f"{name}={value}")

    def summary_path(self) -> str | None:
        """Where the job summary goes: GITHUB_STEP_SUMMARY, else SHIPYARD_SUMMARY_FILE."""
        return self.env.get("GITHUB_STEP_SUMMARY") or self.env.get("SHIPYARD_SUMMARY_FILE") or None

    def write_summary(self, markdown: str) -> None:
        """Append to the job summary; outside a runner with no file, print it."""
        text = self.redact(markdown)
        path = self.summary_path()
        if path:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(text if text.endswith("\n") else text + "\n")
            return
        if may_be_command(text):  # the summary quotes external text; here it is in the log
            text = neutralize_lines(text)
        self.stream.write("\n" + text + ("" if text.endswith("\n") else "\n"))
        self.stream.flush()
