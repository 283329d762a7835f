"""Whether an approval request on an issue can be trusted. No I/O here.

The request's facts (who started the run) live in a hidden marker in the issue body, which a
repository writer can edit. So a request counts only when: the issue was opened by the
token's own identity; its body is what the action wrote, apart from ticked checklist boxes
(GitHub's record of edits, GraphQL ``userContentEdits``, tells); and, in check mode, the
workflow run it names still says who started it (read by run id: a writer cannot edit that).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .body import Request, format_time

_TICKED = re.compile(r"^(\s{0,3}(?:[-*+]|\d{1,9}[.)])\s+)\[[xX]\]", re.MULTILINE)


@dataclass(frozen=True)
class TextHistory:
    """GitHub's record of edits to an issue body (GraphQL ``lastEditedAt``, ``editor``,
    ``includesCreatedEdit``, ``userContentEdits``)."""

    author: str
    last_edited_at: str = ""
    editor: str = ""
    includes_created_edit: bool = False
    total: int = 0
    #: The text of every revision (the original among them); None when GitHub hid it.
    revisions: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class RunActors:
    """Who started a workflow run, as the API says (by run id)."""

    actor: str
    triggering_actor: str


class Untrusted(Exception):
    """The request cannot be trusted; the message says why, for the person reading the log."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def unticked(text: str) -> str:
    """The text with every task-list box unticked and line ends made plain."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(_TICKED.sub(r"\1[ ]", line).rstrip() for line in lines).strip()


def body_problem(body: str, history: TextHistory) -> str | None:
    """None when ``body`` is as it was written, apart from ticked or unticked boxes; else
    what happened to it."""
    if not history.last_edited_at:
        return None
    who = f" by {history.editor}" if history.editor else ""
    edited = f"was edited{who} at {format_time(history.last_edited_at)}"
    revisions = history.revisions
    complete = (
        history.includes_created_edit
        and history.total == len(revisions)
        and all(text is not None for text in revisions)
    )
    if not complete:
        return f"{edited}, and GitHub's history of its edits cannot be read in full"
    current = unticked(body)
    if all(unticked(text or "") == current for text in revisions):
        return None
    return f"{edited} (more than ticking checklist boxes)"


def author_problem(author: str, own: str | None) -> str | None:
    """None when the issue was opened by the token's identity. ``own`` is None when the
    token cannot say who it is (GITHUB_TOKEN and GitHub App tokens cannot read GET /user):
    then the author must be a GitHub App (a ``[bot]`` login), which a person cannot be."""
    if own is not None:
        if author.lower() == own.lower():
            return None
        return f"was opened by {author or 'nobody'}, not by this token's identity ({own})"
    if author.lower().endswith("[bot]"):
        return None
    return (
        f"was opened by {author or 'nobody'}, and this token cannot say who it is (GET /user "
        "was refused), so only a request opened by a GitHub App ([bot]) is accepted"
    )


def check_request(number: int, body: str, history: TextHistory, own: str | None) -> None:
    """Raise :class:`Untrusted` unless issue ``number`` was opened by the token's identity and
    its body is as the action wrote it."""
    problem = author_problem(history.author, own) or body_problem(body, history)
    if problem:
        raise Untrusted(
            f"Issue #{number} {problem}: its approval request cannot be trusted. Close it and "
            "request approval again."
        )


def request_initiators(number: int, request: Request, run: RunActors | None) -> tuple[str, ...]:
    """The request's initiators, with the actor and triggering actor of the workflow run it
    names added (a re-run by someone else makes them an initiator too)."""
    if not request.run_id:
        raise Untrusted(
            f"Issue #{number}'s approval request names no workflow run, so who started it "
            "cannot be checked."
        )
    if run is None:
        raise Untrusted(
            f"Cannot check who asked for the approval of issue #{number}: workflow run "
            f"{request.run_id} of {request.repository or 'this repository'} cannot be read "
            "(it was deleted, or the token cannot see it)."
        )
    people = list(request.initiators)
    for login in (run.actor, run.triggering_actor):
        if login and login.lower() not in {p.lower() for p in people}:
            people.append(login)
    return tuple(people)
