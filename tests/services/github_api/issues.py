"""The issues API: ``/repos/{o}/{r}/issues`` (create, list with filters and sorting, get,
update with GitHub's permission rules: authors may edit their own, triagers may label, pushers
may assign), an issue's labels and assignees, and the edit history of issues' and comments'
text that the GraphQL API serves."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, request

from tests.services.emulator_server import Route, json_response
from tests.services.github_api.labels import LabelsApi
from tests.services.github_api.model import Account, Comment, Edit, Issue, Repo, utc_now
from tests.services.github_api.wire import (
    REPO,
    ApiError,
    empty_response,
    node_id,
    not_found,
    paginate,
    request_json,
    request_object,
    validation_failed,
)

STATE_REASONS = frozenset({"completed", "not_planned", "duplicate", "reopened"})
MAX_ASSIGNEES = 10


class IssuesApi(LabelsApi):
    """Issues, their labels and assignees, and the history of edits to their text."""

    def _routes(self, route: Route) -> None:
        super()._routes(route)
        route(f"{REPO}/issues", self._v_issues, ("GET", "POST"), permission="issues")
        route(f"{REPO}/issues/<int:number>", self._v_issue, ("GET", "PATCH"), permission="issues")
        route(
            f"{REPO}/issues/<int:number>/labels",
            self._v_issue_labels,
            ("GET", "POST", "PUT", "DELETE"),
            permission="issues",
        )
        route(
            f"{REPO}/issues/<int:number>/labels/<path:label>",
            self._v_issue_label,
            ("DELETE",),
            permission="issues",
        )
        route(
            f"{REPO}/issues/<int:number>/assignees",
            self._v_issue_assignees,
            ("POST", "DELETE"),
            permission="issues",
        )

    def create_issue(
        self,
        repo: str,
        title: str,
        *,
        user: str,
        body: str | None = None,
        labels: Iterable[str] = (),
        assignees: Iterable[str] = (),
    ) -> dict[str, Any]:
        """Open an issue as ``user`` (created if unknown), with GitHub's validation."""
        with self._lock:
            account = self._account_or_create(user)
            target = self._repo(repo)
            payload = {
                "title": title,
                "body": body,
                "labels": list(labels),
                "assignees": list(assignees),
            }
            issue = self._create_issue(target, account, payload)
            return self._issue_json(target, issue)

    def edit_issue(self, repo: str, number: int, user: str, **fields: Any) -> dict[str, Any]:
        """PATCH an issue as ``user``: title, body, state, state_reason, labels, assignees."""
        with self._lock:
            account = self._account_or_create(user)
            target = self._repo(repo)
            issue = self._update_issue(target, self._issue(target, number), account, fields)
            return self._issue_json(target, issue)

    def edits(self, repo: str, number: int, comment_id: int | None = None) -> list[dict[str, Any]]:
        """The edit history of issue ``number`` (or of a comment), oldest first."""
        with self._lock:
            target = self._repo(repo)
            item = target.comments[comment_id] if comment_id else self._issue(target, number)
            return [
                {"edited_at": e.edited_at, "editor": e.editor, "diff": e.diff} for e in item.edits
            ]

    def issue(self, repo: str, number: int) -> dict[str, Any]:
        """Issue ``number`` as the API renders it."""
        with self._lock:
            target = self._repo(repo)
            return self._issue_json(target, self._issue(target, number))

    def issues(self, repo: str) -> list[dict[str, Any]]:
        """All the repository's issues, open and closed, in creation order."""
        with self._lock:
            target = self._repo(repo)
            return [self._issue_json(target, i) for i in target.issues.values()]

    def _issue(self, repo: Repo, number: int) -> Issue:
        try:
            return repo.issues[int(number)]
        except KeyError:
            raise KeyError(f"no issue #{number} in {repo.full_name}") from None

    def _reactions(self, url: str) -> dict[str, Any]:
        keys = ("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes")
        return {"url": f"{url}/reactions", "total_count": 0, **dict.fromkeys(keys, 0)}

    def _issue_json(self, repo: Repo, issue: Issue) -> dict[str, Any]:
        api, web = self._bases()
        r = f"{api}/repos/{repo.full_name}"
        url = f"{r}/issues/{issue.number}"
        assignees = [self._user_json(self._accounts[a.lower()]) for a in issue.assignees]
        closed_by = self._accounts.get((issue.closed_by or "").lower())
        return {
            "url": url,
            "repository_url": r,
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "html_url": f"{web}/{repo.full_name}/issues/{issue.number}",
            "id": issue.id,
            "node_id": node_id("Issue", issue.id),
            "number": issue.number,
            "title": issue.title,
            "user": self._user_json(self._accounts[issue.user.lower()]),
            "labels": [
                self._label_json(repo, repo.labels[name.lower()])
                for name in issue.labels
                if name.lower() in repo.labels
            ],
            "state": issue.state,
            "locked": issue.locked,
            "assignee": assignees[0] if assignees else None,
            "assignees": assignees,
            "milestone": None,
            "comments": issue.comment_count,
            "created_at": issue.created_at,
            "updated_at": issue.updated_at,
            "closed_at": issue.closed_at,
            "author_association": self._association(repo, issue.user),
            "type": None,
            "active_lock_reason": None,
            "body": issue.body,
            "closed_by": self._user_json(closed_by) if closed_by else None,
            "reactions": self._reactions(url),
            "timeline_url": f"{url}/timeline",
            "performed_via_github_app": None,
            "state_reason": issue.state_reason,
        }

    def _check_assignees(self, repo: Repo, logins: Any) -> list[str]:
        if logins is None:
            return []
        if not isinstance(logins, list) or not all(isinstance(x, str) for x in logins):
            raise validation_failed("Issue", "assignees", "invalid")
        unique = list(dict.fromkeys(login.lower() for login in logins))
        if len(unique) > MAX_ASSIGNEES:
            raise validation_failed(
                "Issue",
                "assignees",
                "custom",
                message=f"Issues can have at most {MAX_ASSIGNEES} assignees.",
            )
        for login in unique:
            if not self._assignable(repo, login):
                original = next(x for x in logins if x.lower() == login)
                raise validation_failed("Issue", "assignees", "invalid", value=original)
        return [self._accounts[login].login for login in unique]

    def _create_issue(self, repo: Repo, user: Account, payload: Mapping[str, Any]) -> Issue:
        title = payload.get("title")
        if title is None or (isinstance(title, str) and not title.strip()):
            raise validation_failed("Issue", "title", "missing_field")
        if not isinstance(title, (str, int)):
            raise validation_failed("Issue", "title", "invalid")
        body = payload.get("body")
        if body is not None and not isinstance(body, str):
            raise validation_failed("Issue", "body", "invalid")
        labels = self._label_names(payload.get("labels"))
        assignees_in = list(payload.get("assignees") or [])
        if payload.get("assignee"):
            assignees_in.insert(0, payload["assignee"])
        if not self._can_push(repo, user):
            labels, assignees_in = [], []  # GitHub drops these silently for non-pushers
        assignees = self._check_assignees(repo, assignees_in)
        issue = Issue(next(self._ids), repo.next_number, str(title), body, user.login)
        issue.labels = self._ensure_labels(repo, labels)
        issue.assignees = assignees
        repo.next_number += 1
        repo.issues[issue.number] = issue
        return issue

    def _update_issue(
        self, repo: Repo, issue: Issue, user: Account, payload: Mapping[str, Any]
    ) -> Issue:
        push = self._can_push(repo, user)
        triage = push or self._permission(repo, user) == "triage"
        if not triage and user.login.lower() != issue.user.lower():
            raise ApiError(403, "Must have admin rights to Repository.")
        if "title" in payload:
            title = payload["title"]
            if title is None or (isinstance(title, str) and not title.strip()):
                raise validation_failed("Issue", "title", "missing_field")
            issue.title = str(title)
        if "body" in payload:
            if payload["body"] is not None and not isinstance(payload["body"], str):
                raise validation_failed("Issue", "body", "invalid")
            self._record_edit(
                issue, issue.user, issue.created_at, issue.body, payload["body"], user
            )
            issue.body = payload["body"]
        reason = payload.get("state_reason")
        if reason is not None and reason not in STATE_REASONS:
            raise validation_failed("Issue", "state_reason", "invalid", value=reason)
        if "state" in payload:
            state = payload["state"]
            if state not in ("open", "closed"):
                raise validation_failed("Issue", "state", "invalid", value=state)
            if state == "closed":
                if issue.state != "closed":
                    issue.closed_at = utc_now()
                    issue.closed_by = user.login
                issue.state = "closed"
                issue.state_reason = reason or "completed"
            elif issue.state == "closed":
                issue.state = "open"
                issue.state_reason = "reopened"
                issue.closed_at = None
        elif reason is not None and issue.state == "closed":
            issue.state_reason = reason
        if triage and "labels" in payload:
            issue.labels = self._ensure_labels(repo, self._label_names(payload["labels"]))
        if push and ("assignees" in payload or "assignee" in payload):
            logins = payload.get("assignees")
            if logins is None and payload.get("assignee"):
                logins = [payload["assignee"]]
            issue.assignees = self._check_assignees(repo, logins or [])
        issue.updated_at = utc_now()
        return issue

    def _record_edit(
        self,
        item: Issue | Comment,
        author: str,
        created_at: str,
        old: str | None,
        new: str | None,
        editor: Account,
    ) -> None:
        """GitHub keeps a text's history once it changes: the original (as written by its
        author), then each revision. Saving the same text again is no edit."""
        if (old or "") == (new or ""):
            return
        if not item.edits:
            item.edits.append(Edit(next(self._ids), created_at, author, old or ""))
        item.edits.append(Edit(next(self._ids), utc_now(), editor.login, new or ""))

    def _visible_issue(self, owner: str, name: str, number: int) -> tuple[Repo, Issue]:
        repo = self._visible_repo(owner, name)
        issue = repo.issues.get(number)
        if issue is None:
            raise not_found()
        return repo, issue

    def _v_issues(self, owner: str, name: str) -> Response:
        repo = self._visible_repo(owner, name)
        if request.method == "POST":
            issue = self._create_issue(repo, self._user(), request_object())
            response = json_response(self._issue_json(repo, issue), 201)
            response.headers["Location"] = self._issue_json(repo, issue)["url"]
            return response
        args = request.args
        state = args.get("state", "open")
        issues = [i for i in repo.issues.values() if state == "all" or i.state == state]
        if args.get("labels"):
            wanted = {x.strip().lower() for x in args["labels"].split(",") if x.strip()}
            issues = [i for i in issues if wanted <= {x.lower() for x in i.labels}]
        assignee = args.get("assignee")
        if assignee == "none":
            issues = [i for i in issues if not i.assignees]
        elif assignee == "*":
            issues = [i for i in issues if i.assignees]
        elif assignee:
            issues = [i for i in issues if assignee.lower() in {a.lower() for a in i.assignees}]
        if args.get("creator"):
            issues = [i for i in issues if i.user.lower() == args["creator"].lower()]
        if args.get("since"):
            issues = [i for i in issues if i.updated_at >= args["since"]]
        sort = args.get("sort", "created")
        sort_key: dict[str, Any] = {
            "created": lambda i: (i.created_at, i.number),
            "updated": lambda i: (i.updated_at, i.number),
            "comments": lambda i: (i.comment_count, i.number),
        }
        issues.sort(
            key=sort_key.get(sort, sort_key["created"]),
            reverse=args.get("direction", "desc") != "asc",
        )
        return paginate([self._issue_json(repo, i) for i in issues])

    def _v_issue(self, owner: str, name: str, number: int) -> Response:
        repo, issue = self._visible_issue(owner, name, number)
        if request.method == "PATCH":
            self._update_issue(repo, issue, self._user(), request_object())
        return json_response(self._issue_json(repo, issue))

    def _issue_labels_json(self, repo: Repo, issue: Issue) -> list[dict[str, Any]]:
        return [self._label_json(repo, repo.labels[n.lower()]) for n in issue.labels]

    def _v_issue_labels(self, owner: str, name: str, number: int) -> Response:
        repo, issue = self._visible_issue(owner, name, number)
        if request.method == "GET":
            return paginate(self._issue_labels_json(repo, issue))
        if not self._can_push(repo, self._user()):
            raise ApiError(403, "Must have admin rights to Repository.")
        if request.method == "DELETE":
            issue.labels = []
            return empty_response()
        body = request_json()
        names = self._label_names(body.get("labels") if isinstance(body, dict) else body)
        names = self._ensure_labels(repo, names)
        if request.method == "PUT":
            issue.labels = names
        else:
            issue.labels += [n for n in names if n not in issue.labels]
        issue.updated_at = utc_now()
        return json_response(self._issue_labels_json(repo, issue))

    def _v_issue_label(self, owner: str, name: str, number: int, label: str) -> Response:
        repo, issue = self._visible_issue(owner, name, number)
        if not self._can_push(repo, self._user()):
            raise ApiError(403, "Must have admin rights to Repository.")
        match = next((n for n in issue.labels if n.lower() == label.lower()), None)
        if match is None:
            raise ApiError(404, "Label does not exist")
        issue.labels.remove(match)
        issue.updated_at = utc_now()
        return json_response(self._issue_labels_json(repo, issue))

    def _v_issue_assignees(self, owner: str, name: str, number: int) -> Response:
        repo, issue = self._visible_issue(owner, name, number)
        user = self._user()
        logins = request_object().get("assignees", [])
        if not isinstance(logins, list):
            raise validation_failed("Issue", "assignees", "invalid")
        if request.method == "DELETE":
            drop = {str(x).lower() for x in logins}
            if self._can_push(repo, user):
                issue.assignees = [a for a in issue.assignees if a.lower() not in drop]
            return json_response(self._issue_json(repo, issue))
        if self._can_push(repo, user):
            issue.assignees = self._check_assignees(repo, issue.assignees + logins)
            issue.updated_at = utc_now()
        return json_response(self._issue_json(repo, issue), 201)
