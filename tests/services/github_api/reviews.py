"""The pull request reviews API: a review with its comments, the reviews and the review
comments of a pull request, with GitHub's validation of where a comment may go.

- ``POST /repos/{o}/{r}/pulls/{n}/reviews``: ``event`` COMMENT, APPROVE or REQUEST_CHANGES
  (absent: a PENDING review), ``body``, ``commit_id`` and ``comments``. A comment gives
  ``path`` and either ``line`` (with ``side`` RIGHT, the default, or LEFT; and for a range
  ``start_line``/``start_side``) or ``position`` (lines below the file's first ``@@``). It
  must be on a line of the pull request's diff: the ``patch`` of its file in the PR files
  (``set_pull_files``), context lines included; a range within one hunk. Anything else is
  GitHub's 422 "Unprocessable Entity" with the reason in ``errors``, and nothing is created.
  COMMENT and REQUEST_CHANGES need a body or comments (422).
- ``GET .../pulls/{n}/reviews`` and ``GET .../pulls/{n}/comments`` (the review comments,
  oldest first), paginated.

Who may review: anyone who sees the repository (as on GitHub, where a read-only token is
refused by its permissions, not by the repository's: queue a 403 fault for that).
Not emulated: pending reviews' submission, dismissals, replies, suggestions being applied,
resolving threads (GraphQL), outdated comments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Response, request

from tests.services.emulator_server import Route, json_response
from tests.services.github_api.model import Account, Repo, utc_now
from tests.services.github_api.pulls import PullsApi
from tests.services.github_api.wire import (
    REPO,
    ApiError,
    node_id,
    not_found,
    paginate,
    request_object,
)

DOCS = "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"
HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")
STATES = {"COMMENT": "COMMENTED", "APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED"}


@dataclass
class Review:
    """A pull request review."""

    id: int
    number: int
    user: str
    body: str
    state: str
    commit_id: str
    submitted_at: str = field(default_factory=utc_now)


@dataclass
class ReviewComment:
    """A comment of a review, on a line (or a range) of a file of the diff."""

    id: int
    review_id: int
    number: int
    user: str
    body: str
    path: str
    line: int
    side: str
    position: int
    diff_hunk: str
    commit_id: str
    start_line: int | None = None
    start_side: str | None = None
    created_at: str = field(default_factory=utc_now)


@dataclass(frozen=True)
class DiffLine:
    """One line of a file's patch: its hunk, its position below the first ``@@`` and its
    number on each side (None on the side it is not on)."""

    hunk: int
    position: int
    old: int | None
    new: int | None


def diff_lines(patch: str) -> list[DiffLine]:
    """The lines of a patch a comment may go on (hunk headers are positions, not lines)."""
    lines: list[DiffLine] = []
    hunk, old, new = -1, 0, 0
    for position, raw in enumerate(patch.splitlines()):
        match = HUNK.match(raw)
        if match:
            hunk, old, new = hunk + 1, int(match[1]), int(match[2])
            continue
        if hunk < 0 or raw.startswith("\\"):
            continue
        kind = raw[:1]
        lines.append(
            DiffLine(hunk, position, old if kind != "+" else None, new if kind != "-" else None)
        )
        old += kind != "+"
        new += kind != "-"
    return lines


def unprocessable(reason: str) -> ApiError:
    """GitHub's 422 for a review it cannot create: the reason as a string in ``errors``."""
    error = ApiError(422, "Unprocessable Entity", doc=DOCS)
    error.errors = [reason]  # type: ignore[list-item]  # strings here, as GitHub sends them
    return error


class ReviewsApi(PullsApi):
    """Pull request reviews and their comments (kept per repository and pull request)."""

    def reset(self) -> None:
        """Drop every review and review comment, with the rest of the state."""
        with self._lock:
            super().reset()
            self._reviews: dict[tuple[str, int], list[Review]] = {}
            self._review_comments: dict[tuple[str, int], list[ReviewComment]] = {}

    def _routes(self, route: Route) -> None:
        super()._routes(route)
        route(
            f"{REPO}/pulls/<int:number>/reviews",
            self._v_reviews,
            ("GET", "POST"),
            permission="pull_requests",
        )
        route(
            f"{REPO}/pulls/<int:number>/comments",
            self._v_review_comments,
            permission="pull_requests",
        )

    # ------------------------------------------------------------------------ for tests

    def reviews(self, repo: str, number: int) -> list[dict[str, Any]]:
        """The reviews of pull request ``number``, oldest first, as the API renders them."""
        with self._lock:
            target = self._repo(repo)
            key = (target.full_name.lower(), number)
            return [self._review_json(target, r) for r in self._reviews.get(key, [])]

    def review_comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        """The review comments of pull request ``number``, oldest first."""
        with self._lock:
            target = self._repo(repo)
            key = (target.full_name.lower(), number)
            return [
                self._review_comment_json(target, c) for c in self._review_comments.get(key, [])
            ]

    def review(
        self, repo: str, number: int, user: str, body: str, comments: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Review as ``user`` (created if unknown), as a person would (event COMMENT)."""
        with self._lock:
            target = self._repo(repo)
            payload = {"event": "COMMENT", "body": body, "comments": comments}
            made = self._create_review(target, number, self._account_or_create(user), payload)
            return self._review_json(target, made)

    # ---------------------------------------------------------------------------- views

    def _v_reviews(self, owner: str, name: str, number: int) -> Response:
        repo = self._visible_repo(owner, name)
        if number not in repo.pull_files:
            raise not_found()
        if request.method == "POST":
            review = self._create_review(repo, number, self._user(), request_object())
            return json_response(self._review_json(repo, review))
        key = (repo.full_name.lower(), number)
        return paginate([self._review_json(repo, r) for r in self._reviews.get(key, [])])

    def _v_review_comments(self, owner: str, name: str, number: int) -> Response:
        repo = self._visible_repo(owner, name)
        if number not in repo.pull_files:
            raise not_found()
        key = (repo.full_name.lower(), number)
        comments = self._review_comments.get(key, [])
        return paginate([self._review_comment_json(repo, c) for c in comments])

    # -------------------------------------------------------------------------- the model

    def _create_review(
        self, repo: Repo, number: int, user: Account, payload: dict[str, Any]
    ) -> Review:
        if number not in repo.pull_files:
            raise KeyError(f"no pull request {number} in {repo.full_name}")
        event = payload.get("event")
        if event is not None and event not in STATES:
            raise unprocessable(f"Unknown review event {event!r}")
        body = payload.get("body") or ""
        raw_comments = payload.get("comments") or []
        if not isinstance(body, str) or not isinstance(raw_comments, list):
            raise ApiError(400, "Problems parsing JSON")
        if event in ("COMMENT", "REQUEST_CHANGES") and not body.strip() and not raw_comments:
            raise unprocessable("Review body is required")
        commit_id = str(payload.get("commit_id") or "0" * 40)
        review = Review(
            next(self._ids), number, user.login, body, STATES.get(event, "PENDING"), commit_id
        )
        # validate every comment first: GitHub creates all or nothing
        comments = [self._new_review_comment(repo, review, item) for item in raw_comments]
        key = (repo.full_name.lower(), number)
        self._reviews.setdefault(key, []).append(review)
        self._review_comments.setdefault(key, []).extend(comments)
        return review

    def _new_review_comment(self, repo: Repo, review: Review, item: Any) -> ReviewComment:
        if not isinstance(item, dict) or not isinstance(item.get("body"), str) or not item["body"]:
            raise unprocessable("Body can't be blank")
        files = {f["filename"]: f for f in repo.pull_files[review.number]}
        path = item.get("path")
        if path not in files:
            raise unprocessable("Path could not be resolved")
        patch = str(files[path].get("patch") or "")
        target, start = self._review_target(diff_lines(patch), item)
        above = patch.splitlines()[: target.position + 1]
        header = max(index for index, raw in enumerate(above) if HUNK.match(raw))
        return ReviewComment(
            id=next(self._ids),
            review_id=review.id,
            number=review.number,
            user=review.user,
            body=item["body"],
            path=str(path),
            line=int(target.new if target.new is not None else target.old or 0),
            side="RIGHT" if target.new is not None else "LEFT",
            position=target.position,
            diff_hunk="\n".join(above[header:]),  # the hunk down to the line, as GitHub
            commit_id=review.commit_id,
            start_line=None if start is None else (start.new or start.old),
            start_side=None if start is None else ("RIGHT" if start.new is not None else "LEFT"),
        )

    def _review_target(
        self, lines: list[DiffLine], item: dict[str, Any]
    ) -> tuple[DiffLine, DiffLine | None]:
        """The diff line a comment goes on (and the first of its range), or GitHub's 422."""
        if item.get("line") is None:
            position = item.get("position")
            found = [d for d in lines if d.position == position]
            if not isinstance(position, int) or not found:
                raise unprocessable("Pull request review thread position is invalid")
            return found[0], None
        side = item.get("side") or "RIGHT"
        target = _on(lines, item.get("line"), side)
        if target is None:
            raise unprocessable("Pull request review thread line must be part of the diff")
        if item.get("start_line") is None:
            return target, None
        start = _on(lines, item.get("start_line"), item.get("start_side") or side)
        if start is None:
            raise unprocessable("Pull request review thread start line must be part of the diff")
        if start.hunk != target.hunk:
            raise unprocessable(
                "Pull request review thread start line must be part of the same hunk as the line."
            )
        if start.position >= target.position:
            raise unprocessable("Pull request review thread start line must precede the end line.")
        return target, start

    # ------------------------------------------------------------------------- rendering

    def _review_json(self, repo: Repo, review: Review) -> dict[str, Any]:
        api, web = self._bases()
        pull = f"{api}/repos/{repo.full_name}/pulls/{review.number}"
        html = f"{web}/{repo.full_name}/pull/{review.number}#pullrequestreview-{review.id}"
        return {
            "id": review.id,
            "node_id": node_id("PullRequestReview", review.id),
            "user": self._user_json(self._accounts[review.user.lower()]),
            "body": review.body,
            "state": review.state,
            "html_url": html,
            "pull_request_url": pull,
            "author_association": self._association(repo, review.user),
            "_links": {"html": {"href": html}, "pull_request": {"href": pull}},
            "submitted_at": review.submitted_at,
            "commit_id": review.commit_id,
        }

    def _review_comment_json(self, repo: Repo, comment: ReviewComment) -> dict[str, Any]:
        api, web = self._bases()
        base = f"{api}/repos/{repo.full_name}/pulls"
        url = f"{base}/comments/{comment.id}"
        html = f"{web}/{repo.full_name}/pull/{comment.number}#discussion_r{comment.id}"
        return {
            "url": url,
            "pull_request_review_id": comment.review_id,
            "id": comment.id,
            "node_id": node_id("PullRequestReviewComment", comment.id),
            "diff_hunk": comment.diff_hunk,
            "path": comment.path,
            "position": comment.position,
            "original_position": comment.position,
            "commit_id": comment.commit_id,
            "original_commit_id": comment.commit_id,
            "user": self._user_json(self._accounts[comment.user.lower()]),
            "body": comment.body,
            "created_at": comment.created_at,
            "updated_at": comment.created_at,
            "html_url": html,
            "pull_request_url": f"{base}/{comment.number}",
            "author_association": self._association(repo, comment.user),
            "_links": {"self": {"href": url}, "html": {"href": html}},
            "start_line": comment.start_line,
            "original_start_line": comment.start_line,
            "start_side": comment.start_side,
            "line": comment.line,
            "original_line": comment.line,
            "side": comment.side,
            "subject_type": "line",
        }


def _on(lines: list[DiffLine], line: Any, side: str) -> DiffLine | None:
    """The diff line that is line ``line`` of the ``side`` (RIGHT: new, LEFT: old)."""
    if not isinstance(line, int) or side not in ("RIGHT", "LEFT"):
        return None
    for candidate in lines:
        if (candidate.new if side == "RIGHT" else candidate.old) == line:
            return candidate
    return None
