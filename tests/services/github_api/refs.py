"""The git references API (``/repos/{owner}/{repo}/git/refs``), over the branches and tags the
commits API keeps (``Repo.branches``, ``Repo.tags``): what a release's moving tags need and
clients like PyGithub call (``create_git_ref``, ``get_git_ref``, ``get_git_refs``,
``get_git_matching_refs``, ``GitRef.edit``, ``GitRef.delete``), with GitHub's status codes and
JSON shapes (https://docs.github.com/rest/git/refs):

- ``GET .../git/ref/{ref}``: one reference (``heads/main``, ``tags/v1``), exactly; 404 if none.
- ``GET .../git/matching-refs/{ref}``: every reference whose name starts with ``{ref}`` (a
  string prefix: ``tags/v1`` also lists ``tags/v10``), sorted; ``[]`` if none.
- ``GET .../git/refs`` (all, paginated) and ``GET .../git/refs/{ref}`` (the older form: the
  reference itself if it exists, else the list of those starting with it, else 404).
- ``POST .../git/refs`` ``{"ref": "refs/tags/v1", "sha": ...}``: 201 and the reference; 422
  "Reference already exists"; 422 "Object does not exist" for a commit the repository lacks;
  a ``ref`` that is not ``refs/`` and two more components is refused (422).
- ``PATCH .../git/refs/{ref}`` ``{"sha", "force"}``: 200; without ``force`` only a fast
  forward (the new commit descends from the old), else 422 "Update is not a fast forward";
  422 "Reference does not exist" for a reference that does not, as GitHub answers (the path's
  ``{ref}`` has no ``refs/``: ``.../git/refs/refs/tags/v1`` does not exist either).
- ``DELETE .../git/refs/{ref}``: 204; 422 "Reference does not exist".
- Writing needs push permission: 404 otherwise (and the route's ``contents`` permission for an
  installation token, 403 without it, as for every route; see ``grants.py``).

Lightweight references only: a reference points at a commit (``object.type`` ``commit``).
Not emulated: annotated tag objects (``POST .../git/tags``), references outside ``refs/heads/``
and ``refs/tags/`` (refused with 422), rulesets and tag protection, and GitHub's refusal of a
``GITHUB_TOKEN`` that would make changed ``.github/workflows`` files reachable through a new
reference (RELEASING.md says when that happens).
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

from flask import Response, g, request

from tests.services.emulator_server import Route, json_response
from tests.services.github_api.commits import CommitsApi
from tests.services.github_api.model import Repo
from tests.services.github_api.wire import (
    REPO,
    ApiError,
    empty_response,
    not_found,
    paginate,
    request_object,
)

DOCS = "https://docs.github.com/rest/git/refs"
NAMESPACES = {"heads": "branches", "tags": "tags"}
"""The reference namespaces the emulator keeps, and the ``Repo`` field of each."""


class GitRefsApi(CommitsApi):
    """Git references: a view of the repository's branches and tags, and the way to move them."""

    def _routes(self, route: Route) -> None:
        super()._routes(route)
        route(f"{REPO}/git/refs", self._v_refs, ("GET", "POST"), permission="contents")
        route(
            f"{REPO}/git/refs/<path:ref>",
            self._v_ref,
            ("GET", "PATCH", "DELETE"),
            permission="contents",
        )
        route(f"{REPO}/git/ref/<path:ref>", self._v_one_ref, permission="contents")
        route(f"{REPO}/git/matching-refs/<path:ref>", self._v_matching_refs, permission="contents")

    # ------------------------------------------------------------------- Python API for tests

    def git_refs(self, repo: str, prefix: str = "") -> dict[str, str]:
        """``{"refs/tags/v1": sha, ...}``: the repository's references starting with
        ``prefix`` (``tags/v1.``; no ``refs/``), as the API lists them."""
        with self._lock:
            return dict(_all_refs(self._repo(repo), prefix))

    # ------------------------------------------------------------------------------- views

    def _v_refs(self, owner: str, name: str) -> Response:
        repo = self._visible_repo(owner, name)
        if request.method == "POST":
            self._require_pusher(repo)
            full, sha = self._new_ref(repo, request_object())
            body = self._ref_json(repo, full, sha)
            response = json_response(body, 201)
            response.headers["Location"] = body["url"]
            return response
        return paginate([self._ref_json(repo, f, s) for f, s in _all_refs(repo, "")])

    def _v_ref(self, owner: str, name: str, ref: str) -> Response:
        repo = self._visible_repo(owner, name)
        ref = urllib.parse.unquote(ref)
        if request.method == "GET":
            exact = _lookup(repo, ref)
            if exact is not None:
                return json_response(self._ref_json(repo, f"refs/{ref}", exact))
            listed = [self._ref_json(repo, f, s) for f, s in _all_refs(repo, ref)]
            if not listed:
                raise not_found()
            return json_response(listed)
        self._require_pusher(repo)
        current = _lookup(repo, ref)
        if current is None:
            raise _refused("Reference does not exist", "update-a-reference")
        if request.method == "DELETE":
            _table(repo, ref).pop(ref.split("/", 1)[1])
            return empty_response()
        sha = self._update(repo, current, request_object())
        _table(repo, ref)[ref.split("/", 1)[1]] = sha
        return json_response(self._ref_json(repo, f"refs/{ref}", sha))

    def _v_one_ref(self, owner: str, name: str, ref: str) -> Response:
        repo = self._visible_repo(owner, name)
        ref = urllib.parse.unquote(ref)
        sha = _lookup(repo, ref)
        if sha is None:
            raise not_found()
        return json_response(self._ref_json(repo, f"refs/{ref}", sha))

    def _v_matching_refs(self, owner: str, name: str, ref: str) -> Response:
        repo = self._visible_repo(owner, name)
        prefix = urllib.parse.unquote(ref)
        return json_response([self._ref_json(repo, f, s) for f, s in _all_refs(repo, prefix)])

    # --------------------------------------------------------------------------- mutations

    def _require_pusher(self, repo: Repo) -> None:
        self._user()  # 401 without a token
        if not self._can_push(repo, g.get("user")):
            raise not_found()

    def _new_ref(self, repo: Repo, body: Mapping[str, Any]) -> tuple[str, str]:
        """Create the reference a POST asks for; its full name and commit."""
        full, sha = _required(body, "ref"), _required(body, "sha")
        parts = full.split("/")
        if len(parts) < 3 or parts[0] != "refs" or not all(parts):
            raise _refused(
                "Reference name must start with 'refs/' and have at least two slashes",
                "create-a-reference",
            )
        if parts[1] not in NAMESPACES:
            raise _refused(f"the emulator keeps refs/heads and refs/tags only, not {full}")
        if sha not in repo.commits:
            raise _refused("Object does not exist", "create-a-reference")
        ref = full.removeprefix("refs/")
        if _lookup(repo, ref) is not None:
            raise _refused("Reference already exists", "create-a-reference")
        _table(repo, ref)[ref.split("/", 1)[1]] = sha
        return full, sha

    def _update(self, repo: Repo, current: str, body: Mapping[str, Any]) -> str:
        """The commit a PATCH moves a reference to (422 unless it exists and, without
        ``force``, descends from ``current``)."""
        sha = _required(body, "sha")
        force = body.get("force", False)
        if not isinstance(force, bool):
            shown = json.dumps(force)
            raise _refused(f"Invalid request.\n\nFor 'properties/force', {shown} is not a boolean.")
        if sha not in repo.commits:
            raise _refused("Object does not exist", "update-a-reference")
        if not force and current not in self._ancestors(repo, sha):
            raise _refused("Update is not a fast forward", "update-a-reference")
        return sha

    # --------------------------------------------------------------------------- rendering

    def _ref_json(self, repo: Repo, full: str, sha: str) -> dict[str, Any]:
        api, _ = self._bases()
        r = f"{api}/repos/{repo.full_name}"
        return {
            "ref": full,
            "node_id": base64.b64encode(f"03:Ref{full}".encode()).decode(),
            "url": f"{r}/git/{urllib.parse.quote(full)}",
            "object": {"sha": sha, "type": "commit", "url": f"{r}/git/commits/{sha}"},
        }


def _table(repo: Repo, ref: str) -> dict[str, str]:
    """The ``Repo`` field that holds ``ref`` (``heads/x``, ``tags/y``)."""
    table: dict[str, str] = getattr(repo, NAMESPACES[ref.split("/", 1)[0]])
    return table


def _lookup(repo: Repo, ref: str) -> str | None:
    """The commit of ``ref`` (``heads/main``, ``tags/v1``, no ``refs/``); None if none."""
    namespace, _, rest = ref.partition("/")
    if namespace not in NAMESPACES or not rest:
        return None
    return _table(repo, ref).get(rest)


def _all_refs(repo: Repo, prefix: str) -> list[tuple[str, str]]:
    """``(refs/..., sha)`` of every reference whose name (no ``refs/``) starts with ``prefix``,
    sorted by name."""
    found = [
        (f"refs/{namespace}/{name}", sha)
        for namespace, field_name in NAMESPACES.items()
        for name, sha in getattr(repo, field_name).items()
        if f"{namespace}/{name}".startswith(prefix)
    ]
    return sorted(found)


def _required(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise _refused(f'Invalid request.\n\n"{key}" wasn\'t supplied.')
    return value


def _refused(message: str, anchor: str = "") -> ApiError:
    return ApiError(422, message, doc=f"{DOCS}#{anchor}" if anchor else DOCS)
