"""only-changed: the files a pull request changes, from git or from the PR files API.

The decision and the pagination are pure; git and HTTP come in as callables (``Git``,
``GetPage``) so that the adapters stay one line each in ``__main__`` and tests drive both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})
#: The PR files API lists at most this many files.
API_LIMIT = 3000

#: ``git(args) -> (exit code, stdout)``, run in the linted folder.
Git = Callable[[Sequence[str]], "tuple[int, str]"]
#: ``get(url) -> (items of the page, URL of the next page or None)``.
GetPage = Callable[[str], "tuple[list[Any], str | None]"]


@dataclass(frozen=True)
class Scope:
    """The files to lint: ``files`` None means every file."""

    files: tuple[str, ...] | None
    how: str  # for the summary


class ChangedFilesError(Exception):
    """Neither git nor the API could say which files changed."""


def wanted(only_changed: str, event_name: str) -> bool:
    """Whether only the changed files are linted (auto: on pull request events)."""
    if only_changed == "auto":
        return event_name in PULL_REQUEST_EVENTS
    return only_changed == "true"


def pull_request(event: Mapping[str, Any]) -> tuple[int, str, str] | None:
    """(number, base sha, head sha) of the event's pull request."""
    pull = event.get("pull_request")
    if not isinstance(pull, Mapping):
        return None
    number = pull.get("number", event.get("number"))
    if not isinstance(number, int) or isinstance(number, bool):
        return None
    return number, _sha(pull.get("base")), _sha(pull.get("head"))


def _sha(side: object) -> str:
    return str(side.get("sha") or "") if isinstance(side, Mapping) else ""


def _has_commit(git: Git, sha: str) -> bool:
    return bool(sha) and git(["cat-file", "-e", f"{sha}^{{commit}}"])[0] == 0


def from_git(git: Git, base: str, head: str) -> list[str] | None:
    """Files changed between the merge base of ``base`` and ``head`` (HEAD when absent),
    relative to the linted folder; None when the history is not there (a shallow clone)."""
    if not _has_commit(git, base):
        return None
    tip = head if _has_commit(git, head) else "HEAD"
    for spec in ([f"{base}...{tip}"], [base, tip]):  # no merge base in a shallow clone: 2-dot
        code, out = git(["diff", "--name-only", "-z", "--relative", "--diff-filter=d", *spec])
        if code == 0:
            return [name for name in out.split("\0") if name]
    return None


def api_items(get: GetPage, first_url: str) -> list[Mapping[str, Any]]:
    """Every entry of the PR files API (all pages): ``filename``, ``status``, ``patch``..."""
    items: list[Mapping[str, Any]] = []
    url: str | None = first_url
    pages = 0
    while url is not None:
        page, url = get(url)
        pages += 1
        items += [item for item in page if isinstance(item, Mapping)]
        if pages > API_LIMIT // 30 + 1:  # a server that never ends its Link chain
            raise ChangedFilesError("the pull request files API did not stop paginating")
    return items


def api_names(items: Sequence[Mapping[str, Any]], prefix: str) -> list[str]:
    """The files of the PR files API's entries, but removed ones, under ``prefix`` (the
    linted folder relative to the repository root, "" for the root), made relative."""
    files: list[str] = []
    for item in items:
        name = str(item.get("filename") or "")
        if item.get("status") == "removed" or not name:
            continue
        if not prefix:
            files.append(name)
        elif name.startswith(prefix.rstrip("/") + "/"):
            files.append(name[len(prefix.rstrip("/")) + 1 :])
    return files


def from_api(get: GetPage, first_url: str, prefix: str) -> list[str]:
    """Every file of the PR files API (all pages), but removed ones, under ``prefix``."""
    return api_names(api_items(get, first_url), prefix)


def has_commit(git: Git, sha: str) -> bool:
    """Whether commit ``sha`` is in the checkout."""
    return _has_commit(git, sha)


def files_url(api_url: str, repository: str, number: int) -> str:
    """The first page of the pull request files API."""
    return f"{api_url.rstrip('/')}/repos/{repository}/pulls/{number}/files?per_page=100"


def scope(
    *,
    only_changed: str,
    event_name: str,
    event: Mapping[str, Any],
    git: Git,
    api: Callable[[int], list[str]] | None,
) -> Scope:
    """Every file, or the files the pull request changes (git first, then ``api(number)``)."""
    if not wanted(only_changed, event_name):
        return Scope(None, "all files")
    pull = pull_request(event)
    if pull is None:
        reason = f"a {event_name or 'local'} event has no pull request"
        return Scope(None, f"all files (only-changed: {reason})")
    number, base, head = pull
    found = from_git(git, base, head)
    if found is not None:
        return Scope(tuple(sorted(set(found))), f"files changed by PR #{number} (git)")
    if api is None:
        raise ChangedFilesError(
            f"the checkout lacks the base commit of PR #{number} and no token was given for "
            "the pull request files API"
        )
    files = api(number)
    return Scope(tuple(sorted(set(files))), f"files changed by PR #{number} (files API)")
