"""The issue comments API: ``/repos/{o}/{r}/issues/{n}/comments`` (list, create),
``issues/comments`` (the repository's, with ``since`` and ``direction``) and
``issues/comments/{id}`` (get, edit with its history kept, delete)."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from tests.services.emulator_server import Route, json_response
from tests.services.github_api.issues import IssuesApi
from tests.services.github_api.model import Account, Comment, Issue, Repo, utc_now
from tests.services.github_api.wire import (
    REPO,
    ApiError,
    empty_response,
    node_id,
    not_found,
    paginate,
    request_object,
    validation_failed,
)


class CommentsApi(IssuesApi):
    """Comments on issues."""

    def _routes(self, route: Route) -> None:
        super()._routes(route)
        route(f"{REPO}/issues/comments", self._v_repo_comments, permission="issues")
        route(
            f"{REPO}/issues/comments/<int:comment_id>",
            self._v_comment,
            ("GET", "PATCH", "DELETE"),
            permission="issues",
        )
        route(
            f"{REPO}/issues/<int:number>/comments",
            self._v_issue_comments,
            ("GET", "POST"),
            permission="issues",
        )

    def comment(self, repo: str, issue_number: int, user: str, body: str) -> dict[str, Any]:
        """Comment on an issue as ``user`` (created if unknown), as a person would."""
        with self._lock:
            account = self._account_or_create(user)
            target = self._repo(repo)
            comment = self._add_comment(target, self._issue(target, issue_number), account, body)
            return self._comment_json(target, comment)

    def edit_comment(self, repo: str, comment_id: int, user: str, body: str) -> dict[str, Any]:
        """PATCH a comment's body as ``user``, with GitHub's permission check."""
        with self._lock:
            account = self._account_or_create(user)
            target = self._repo(repo)
            comment = target.comments.get(comment_id)
            if comment is None:
                raise KeyError(f"no comment {comment_id} in {repo}")
            self._update_comment(target, comment, account, body)
            return self._comment_json(target, comment)

    def comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        """The comments on issue ``number``, oldest first, as the API renders them."""
        with self._lock:
            target = self._repo(repo)
            return [
                self._comment_json(target, c)
                for c in target.comments.values()
                if c.issue_number == number
            ]

    def _comment_json(self, repo: Repo, comment: Comment) -> dict[str, Any]:
        api, web = self._bases()
        r = f"{api}/repos/{repo.full_name}"
        url = f"{r}/issues/comments/{comment.id}"
        return {
            "url": url,
            "html_url": (
                f"{web}/{repo.full_name}/issues/{comment.issue_number}#issuecomment-{comment.id}"
            ),
            "issue_url": f"{r}/issues/{comment.issue_number}",
            "id": comment.id,
            "node_id": node_id("IssueComment", comment.id),
            "user": self._user_json(self._accounts[comment.user.lower()]),
            "created_at": comment.created_at,
            "updated_at": comment.updated_at,
            "author_association": self._association(repo, comment.user),
            "body": comment.body,
            "reactions": self._reactions(url),
            "performed_via_github_app": None,
        }

    def _update_comment(self, repo: Repo, comment: Comment, user: Account, body: Any) -> None:
        if user.login.lower() != comment.user.lower() and not self._can_push(repo, user):
            raise ApiError(403, "Must have admin rights to Repository.")
        if not isinstance(body, str) or not body.strip():
            raise validation_failed("IssueComment", "body", "missing_field")
        self._record_edit(comment, comment.user, comment.created_at, comment.body, body, user)
        comment.body = body
        comment.updated_at = utc_now()

    def _add_comment(self, repo: Repo, issue: Issue, user: Account, body: Any) -> Comment:
        if not isinstance(body, str) or not body.strip():
            raise validation_failed("IssueComment", "body", "missing_field")
        if len(body) > 65536:
            raise validation_failed(
                "IssueComment",
                "data",
                "custom",
                message="Body is too long (maximum is 65536 characters)",
            )
        comment = Comment(next(self._ids), issue.number, user.login, body)
        repo.comments[comment.id] = comment
        issue.comment_count += 1
        issue.updated_at = comment.created_at
        return comment

    def _v_issue_comments(self, owner: str, name: str, number: int) -> Response:
        repo, issue = self._visible_issue(owner, name, number)
        if request.method == "POST":
            body = request_object()
            comment = self._add_comment(repo, issue, self._user(), body.get("body"))
            response = json_response(self._comment_json(repo, comment), 201)
            response.headers["Location"] = self._comment_json(repo, comment)["url"]
            return response
        comments = [c for c in repo.comments.values() if c.issue_number == number]
        if request.args.get("since"):
            comments = [c for c in comments if c.updated_at >= request.args["since"]]
        return paginate([self._comment_json(repo, c) for c in comments])

    def _v_repo_comments(self, owner: str, name: str) -> Response:
        repo = self._visible_repo(owner, name)
        comments = list(repo.comments.values())
        if request.args.get("since"):
            comments = [c for c in comments if c.updated_at >= request.args["since"]]
        if request.args.get("direction") == "desc":
            comments.reverse()
        return paginate([self._comment_json(repo, c) for c in comments])

    def _v_comment(self, owner: str, name: str, comment_id: int) -> Response:
        repo = self._visible_repo(owner, name)
        comment = repo.comments.get(comment_id)
        if comment is None:
            raise not_found()
        if request.method == "GET":
            return json_response(self._comment_json(repo, comment))
        user = self._user()
        if user.login.lower() != comment.user.lower() and not self._can_push(repo, user):
            raise ApiError(403, "Must have admin rights to Repository.")
        if request.method == "DELETE":
            del repo.comments[comment_id]
            repo.issues[comment.issue_number].comment_count -= 1
            return empty_response()
        self._update_comment(repo, comment, user, request_object().get("body"))
        return json_response(self._comment_json(repo, comment))
