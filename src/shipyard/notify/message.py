"""What is being announced, independent of the channel: status, title, fields, links.

Pure logic: no environment, no I/O. The entry point builds a :class:`Notification` from the
typed inputs and the run's context; each channel renders it its own way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from shipyard.runtime import InputError, RunContext


@dataclass(frozen=True)
class StatusStyle:
    """How a status looks: its emoji, the color of the Slack bar and e-mail border, the verb of the
    default title."""

    emoji: str
    color: str
    verb: str


STYLES: dict[str, StatusStyle] = {
    "success": StatusStyle("\u2705", "#2eb886", "Successful"),
    "failure": StatusStyle("\u274c", "#a30200", "Failed"),
    "cancelled": StatusStyle("\u26aa", "#808080", "Cancelled"),
    "started": StatusStyle("\U0001f680", "#439fe0", "Started"),
    "skipped": StatusStyle("\u23ed\ufe0f", "#808080", "Skipped"),
}
OTHER_STYLE = StatusStyle("\u2139\ufe0f", "#439fe0", "")
_ALIASES = {
    "succeeded": "success",
    "failed": "failure",
    "canceled": "cancelled",
    "start": "started",
}


@dataclass(frozen=True)
class Link:
    """A labelled link shown under the message."""

    label: str
    url: str


@dataclass(frozen=True)
class Notification:
    """The message every channel renders: status and style, title, text, fields, links and the run
    it reports on."""

    status: str
    style: StatusStyle
    title: str
    message: str
    fields: tuple[tuple[str, str], ...]
    links: tuple[Link, ...]
    environment: str = ""
    version: str = ""
    context: RunContext = field(default_factory=RunContext)

    @property
    def headline(self) -> str:
        """The status emoji and the title: the first line everywhere."""
        return f"{self.style.emoji} {self.title}"


def normalize_status(status: str) -> str:
    """The status to report (action.yml defaults it to the job's status), else success."""
    value = (status or "success").strip()
    lowered = value.lower()
    lowered = _ALIASES.get(lowered, lowered)
    return lowered if lowered in STYLES else value


def default_title(status: str, style: StatusStyle, environment: str, context: RunContext) -> str:
    """E.g. 'Production Deployment Successful', or 'CI Failed' without an environment."""
    verb = style.verb or status
    if environment:
        return f"{environment[:1].upper()}{environment[1:]} Deployment {verb}"
    subject = context.workflow or context.repository.rsplit("/", 1)[-1] or "Workflow"
    return f"{subject} {verb}"


def parse_links(lines: Sequence[str]) -> list[Link]:
    """``Label=https://...`` lines; the URL must be http(s)."""
    from shipyard.runtime.network import url_problem

    links = []
    for line in lines:
        label, sep, url = line.partition("=")
        label, url = label.strip(), url.strip()
        if not sep or not label or not url:
            raise InputError("links", f"'{line}' is not of the form Label=https://...")
        problem = url_problem(url)
        if problem:  # a link is shown in the message, so it may be quoted here
            raise InputError("links", f"'{label}' has '{url}', which {problem}.")
        links.append(Link(label, url))
    return links


def build_notification(
    *,
    status: str,
    title: str,
    message: str,
    environment: str,
    version: str,
    links: Sequence[str],
    context: RunContext,
) -> Notification:
    """Resolve defaults and put together what every channel shows."""
    resolved = normalize_status(status)
    style = STYLES.get(resolved, OTHER_STYLE)
    fields: list[tuple[str, str]] = []
    for label, value in (
        ("Version", version),
        ("Environment", environment),
        ("Deployed by" if environment else "Triggered by", context.triggering_actor),
        ("Status", f"{style.emoji} {resolved}"),
        ("Repository", context.repository),
        ("Commit", context.short_sha),
    ):
        if value:
            fields.append((label, value))
    all_links = parse_links(links)
    if context.run_url:
        all_links.append(Link("View run", context.run_url))
    return Notification(
        status=resolved,
        style=style,
        title=title or default_title(resolved, style, environment, context),
        message=message,
        fields=tuple(fields),
        links=tuple(all_links),
        environment=environment,
        version=version,
        context=context,
    )
