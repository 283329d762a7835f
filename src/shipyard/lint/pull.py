"""The pull request a lint run judges (I/O): the lines it changes, from git or from the PR
files API's patches (the review comments posted on them: ``posting``).

From git, the linted files (the working tree) are compared with the merge base of the base
commit (``base...``), so the lines are the linted files' own, also when the checkout is
GitHub's merge commit or the fixers changed files. Review comments need the PR head's lines:
when the working tree differs from the head commit, its lines are mapped back to the head's
with ``git diff <head>``, and the comments go on the hunks of ``base...head``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from shipyard.runtime import ExternalError, RunContext

from . import changed
from .lines import FileChanges, PullDiff, from_api_files, read_diff, with_context
from .posting import post_review as post_review  # run.py posts through pull.post_review
from .repo import Repo
from .spec import Settings

#: ``files(number) -> the PR files API's entries`` (fetched once per run).
FilesApi = Callable[[int], Sequence[Mapping[str, Any]]]
DIFF = (
    "diff",
    "-U0",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "-M",
    "--relative",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "--ignore-submodules",
)


def wanted(settings: Settings) -> bool:
    """Whether the run needs the pull request's lines."""
    return settings.changed_lines_only or settings.review != "none"


def pull_diff(
    settings: Settings, facts: RunContext, repo: Repo, files: FilesApi | None
) -> PullDiff | None:
    """The lines the pull request changes (None: not wanted, or not a pull request): from
    git when the base commit is in the checkout, else from the PR files API's patches."""
    if not wanted(settings) or facts.event_name not in changed.PULL_REQUEST_EVENTS:
        return None
    pull = changed.pull_request(facts.event)
    if pull is None:
        return None
    number, base, head = pull
    if changed.has_commit(repo.git, base):
        return from_git(repo, number, base, head)
    if files is None:
        raise ExternalError(
            f"the checkout lacks the base commit of PR #{number} and no token was given for "
            "the pull request files API",
            title="lint: cannot read the changed lines",
        )
    found = from_api_files(files(number), repo.prefix(facts.workspace))
    how = f"lines changed by PR #{number} (files API patches)"
    return PullDiff(number, head, how, found, found)


def diff_of(repo: Repo, *spec: str) -> dict[str, FileChanges]:
    """``git diff -U0 <spec>`` in the linted folder, read."""
    code, out = repo.git([*DIFF, *spec, "--"])
    if code != 0:
        raise ExternalError(
            f"git diff {' '.join(spec)} failed (exit {code}).",
            title="lint: cannot read the changed lines",
        )
    return read_diff(out)


def from_git(repo: Repo, number: int, base: str, head: str) -> PullDiff:
    """The working tree against the merge base of ``base`` (the base itself when a shallow
    history holds no merge base), and the head's lines for the review."""
    code, out = repo.git(["merge-base", base, "HEAD"])
    start = out.strip() if code == 0 and out.strip() else base
    found = diff_of(repo, start)
    how = f"lines changed by PR #{number} (git)"
    same = not head or not changed.has_commit(repo.git, head)
    if not same:
        same = repo.git(["diff", "--quiet", "--relative", head, "--"])[0] == 0
    if same:  # the working tree is the head (or the head is not here: its lines are ours)
        return PullDiff(number, head, how, found, _with_context(found))
    code, _ = repo.git(["merge-base", base, head])
    at_head = diff_of(repo, *([f"{base}...{head}"] if code == 0 else [base, head]))
    return PullDiff(number, head, how, found, _with_context(at_head), to_head=diff_of(repo, head))


def _with_context(changes: Mapping[str, FileChanges]) -> dict[str, FileChanges]:
    return {path: with_context(file) for path, file in changes.items()}
