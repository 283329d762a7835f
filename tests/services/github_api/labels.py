"""The labels API: a repository's labels (``/repos/{o}/{r}/labels``, create, rename,
recolour, delete, with the issues that carry them), and the validation of label lists that
issues share (an unknown label is created, as GitHub does for those who can push)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable
from typing import Any

from flask import Response, request

from tests.services.emulator_server import Route, json_response
from tests.services.github_api.core import GitHubCore
from tests.services.github_api.model import Label, Repo
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


class LabelsApi(GitHubCore):
    """A repository's labels."""

    def _routes(self, route: Route) -> None:
        super()._routes(route)
        route(
            f"{REPO}/labels",
            self._v_labels,
            ("GET", "POST"),
            permission=("issues", "pull_requests"),
        )
        route(
            f"{REPO}/labels/<path:label>",
            self._v_label,
            ("GET", "PATCH", "DELETE"),
            permission=("issues", "pull_requests"),
        )

    def add_label(
        self, repo: str, name: str, color: str = "ededed", description: str | None = None
    ) -> dict[str, Any]:
        """Create a label (or return the existing one of that name, in any case)."""
        with self._lock:
            target = self._repo(repo)
            label = target.labels.get(name.lower())
            if label is None:
                label = Label(next(self._ids), name, color.lstrip("#"), description)
                target.labels[name.lower()] = label
            return self._label_json(target, label)

    def labels(self, repo: str) -> list[dict[str, Any]]:
        """The repository's labels as the API renders them."""
        with self._lock:
            target = self._repo(repo)
            return [self._label_json(target, label) for label in target.labels.values()]

    def _label_json(self, repo: Repo, label: Label) -> dict[str, Any]:
        api, _ = self._bases()
        quoted = urllib.parse.quote(label.name, safe="")
        return {
            "id": label.id,
            "node_id": node_id("Label", label.id),
            "url": f"{api}/repos/{repo.full_name}/labels/{quoted}",
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description,
        }

    def _label_names(self, value: Any, resource: str = "Issue") -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise validation_failed(resource, "labels", "invalid")
        names: list[str] = []
        for item in value:
            name = item.get("name") if isinstance(item, dict) else item
            if not isinstance(name, str) or not name.strip():
                raise validation_failed(resource, "labels", "invalid", value=item)
            names.append(name)
        return names

    def _ensure_labels(self, repo: Repo, names: Iterable[str]) -> list[str]:
        """Canonical names, creating unknown labels as GitHub does for pushers."""
        out: list[str] = []
        for name in names:
            label = repo.labels.get(name.lower())
            if label is None:
                label = repo.labels[name.lower()] = Label(next(self._ids), name)
            if label.name not in out:
                out.append(label.name)
        return out

    def _v_labels(self, owner: str, name: str) -> Response:
        repo = self._visible_repo(owner, name)
        if request.method == "GET":
            return paginate([self._label_json(repo, x) for x in repo.labels.values()])
        if not self._can_push(repo, self._user()):
            raise ApiError(403, "Must have admin rights to Repository.")
        body = request_object()
        label_name = body.get("name")
        if not isinstance(label_name, str) or not label_name.strip():
            raise validation_failed("Label", "name", "missing_field")
        if label_name.lower() in repo.labels:
            raise validation_failed("Label", "name", "already_exists")
        color = str(body.get("color", "ededed")).lstrip("#")
        if len(color) != 6 or any(c not in "0123456789abcdefABCDEF" for c in color):
            raise validation_failed("Label", "color", "invalid")
        label = Label(next(self._ids), label_name, color.lower(), body.get("description"))
        repo.labels[label_name.lower()] = label
        response = json_response(self._label_json(repo, label), 201)
        response.headers["Location"] = self._label_json(repo, label)["url"]
        return response

    def _v_label(self, owner: str, name: str, label: str) -> Response:
        repo = self._visible_repo(owner, name)
        found = repo.labels.get(label.lower())
        if found is None:
            raise not_found()
        if request.method == "GET":
            return json_response(self._label_json(repo, found))
        if not self._can_push(repo, self._user()):
            raise ApiError(403, "Must have admin rights to Repository.")
        if request.method == "DELETE":
            del repo.labels[label.lower()]
            for issue in repo.issues.values():
                issue.labels = [n for n in issue.labels if n.lower() != label.lower()]
            return empty_response()
        body = request_object()
        new_name = body.get("new_name", found.name)
        del repo.labels[label.lower()]
        found.name = new_name
        found.color = str(body.get("color", found.color)).lstrip("#")
        found.description = body.get("description", found.description)
        repo.labels[new_name.lower()] = found
        for issue in repo.issues.values():
            issue.labels = [new_name if n.lower() == label.lower() else n for n in issue.labels]
        return json_response(self._label_json(repo, found))
