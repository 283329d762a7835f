"""The GitHub emulator's releases API (``/repos/{owner}/{repo}/releases``), stateful.

What release.yml's GitHub Release job and clients like PyGithub call, with GitHub's status
codes and JSON shapes (https://docs.github.com/rest/releases/releases):

- ``POST .../releases``: 201 and the release. ``tag_name`` is required (422 missing_field); a
  published release for the tag already there is 422 ``already_exists`` on ``tag_name``; a tag
  that does not exist yet is created at ``target_commitish`` (default: the default branch;
  422 ``invalid`` if that is unknown), as GitHub does. ``generate_release_notes`` gives the
  name (the tag, unless ``name`` is given) and appends GitHub's generated notes to ``body``:
  the "Full Changelog" line (a compare link from the previous release's tag, or the commits
  link for the first release; the emulator has no merged pull requests to list).
- ``POST .../releases/generate-notes``: ``{"name", "body"}``, the notes above.
- ``GET .../releases`` (newest first, paginated; drafts only for those who can push),
  ``GET .../releases/latest`` (the newest published, non-prerelease one),
  ``GET .../releases/tags/{tag}`` (published only), ``GET|PATCH|DELETE .../releases/{id}``.
- Writing needs push permission on the repository: 404 otherwise, as GitHub hides it.

Not emulated: release assets (uploads.github.com), discussions, reactions, ``make_latest``
(only checked), notes from pull requests or ``.github/release.yml``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Response, g, request

from tests.services.emulator_server import Route, json_response
from tests.services.github_api.core import GitHubCore
from tests.services.github_api.model import Release, Repo, utc_now
from tests.services.github_api.wire import (
    REPO,
    ApiError,
    empty_response,
    node_id,
    not_found,
    paginate,
    request_object,
)

DOCS = "https://docs.github.com/rest/releases/releases"


class ReleasesApi(GitHubCore):
    """Releases; their state lives on each repository (``Repo.releases``)."""

    def _routes(self, route: Route) -> None:
        super()._routes(route)
        route(f"{REPO}/releases", self._v_releases, ("GET", "POST"), permission="contents")
        route(f"{REPO}/releases/latest", self._v_latest_release, permission="contents")
        route(
            f"{REPO}/releases/generate-notes",
            self._v_release_notes,
            ("POST",),
            permission="contents",
        )
        route(f"{REPO}/releases/tags/<path:tag>", self._v_release_by_tag, permission="contents")
        route(
            f"{REPO}/releases/<int:release_id>",
            self._v_release,
            ("GET", "PATCH", "DELETE"),
            permission="contents",
        )

    def releases(self, repo: str) -> list[dict[str, Any]]:
        """The repository's releases (drafts too), newest first, as the API renders them."""
        with self._lock:
            target = self._repo(repo)
            return [self._release_json(target, r) for r in target.releases.newest_first()]

    # ----------------------------------------------------------------------- views

    def _v_releases(self, owner: str, name: str) -> Response:
        repo = self._visible_repo(owner, name)
        if request.method == "POST":
            release = self._create_release(repo, request_object())
            response = json_response(self._release_json(repo, release), 201)
            response.headers["Location"] = self._release_json(repo, release)["url"]
            return response
        pusher = self._pusher(repo)
        listed = [r for r in repo.releases.newest_first() if pusher or not r.draft]
        return paginate([self._release_json(repo, r) for r in listed])

    def _v_release_notes(self, owner: str, name: str) -> Response:
        repo = self._visible_repo(owner, name)
        self._require_push_or_404(repo)
        body = request_object()
        tag = body.get("tag_name")
        if not isinstance(tag, str) or not tag.strip():
            raise _invalid("tag_name", "missing_field")
        previous = body.get("previous_tag_name")
        if previous is not None and (not isinstance(previous, str) or previous not in repo.tags):
            raise _invalid("previous_tag_name", "invalid")
        if tag not in repo.tags:
            target = body.get("target_commitish") or repo.default_branch
            if self._resolve(repo, str(target)) is None:
                raise _invalid("target_commitish", "invalid")
        return json_response({"name": tag, "body": self._generated_notes(repo, tag, previous)})

    def _v_latest_release(self, owner: str, name: str) -> Response:
        repo = self._visible_repo(owner, name)
        for release in repo.releases.newest_first():
            if not release.draft and not release.prerelease:
                return json_response(self._release_json(repo, release))
        raise not_found()

    def _v_release_by_tag(self, owner: str, name: str, tag: str) -> Response:
        repo = self._visible_repo(owner, name)
        release = repo.releases.published(tag)
        if release is None:
            raise not_found()
        return json_response(self._release_json(repo, release))

    def _v_release(self, owner: str, name: str, release_id: int) -> Response:
        repo = self._visible_repo(owner, name)
        release = repo.releases.by_id.get(release_id)
        if release is None or (release.draft and not self._pusher(repo)):
            raise not_found()
        if request.method == "GET":
            return json_response(self._release_json(repo, release))
        self._require_push_or_404(repo)
        if request.method == "DELETE":
            del repo.releases.by_id[release_id]
            return empty_response()
        self._update_release(repo, release, request_object())
        return json_response(self._release_json(repo, release))

    # ------------------------------------------------------------------- mutations

    def _pusher(self, repo: Repo) -> bool:
        return self._can_push(repo, g.get("user"))

    def _require_push_or_404(self, repo: Repo) -> None:
        self._user()  # 401 without a token
        if not self._pusher(repo):
            raise not_found()

    def _create_release(self, repo: Repo, body: Mapping[str, Any]) -> Release:
        self._require_push_or_404(repo)
        tag = body.get("tag_name")
        if not isinstance(tag, str) or not tag.strip():
            raise _invalid("tag_name", "missing_field")
        fields = _check_fields(body)
        target = body.get("target_commitish") or repo.default_branch
        draft = bool(fields.get("draft", False))
        if not draft and repo.releases.published(tag) is not None:
            raise _invalid("tag_name", "already_exists")
        if tag not in repo.tags:
            sha = self._resolve(repo, str(target))
            if sha is None:
                raise _invalid("target_commitish", "invalid")
            if not draft:  # a draft's tag is created when it is published
                repo.tags[tag] = sha
        now = utc_now()
        release = Release(
            id=next(self._ids),
            tag_name=tag,
            target_commitish=str(target),
            name=fields.get("name"),
            body=fields.get("body"),
            author=self._user().login,
            draft=draft,
            prerelease=bool(fields.get("prerelease", False)),
            created_at=now,
            published_at=None if draft else now,
            seq=max((r.seq for r in repo.releases.by_id.values()), default=0) + 1,
        )
        if body.get("generate_release_notes"):
            release.name = release.name or tag
            notes = self._generated_notes(repo, tag)
            release.body = f"{release.body}\n\n{notes}" if release.body else notes
        repo.releases.by_id[release.id] = release
        return release

    def _update_release(self, repo: Repo, release: Release, body: Mapping[str, Any]) -> None:
        fields = _check_fields(body)
        tag = body.get("tag_name", release.tag_name)
        if not isinstance(tag, str) or not tag.strip():
            raise _invalid("tag_name", "invalid")
        other = repo.releases.published(tag)
        if other is not None and other.id != release.id and not fields.get("draft", release.draft):
            raise _invalid("tag_name", "already_exists")
        release.tag_name = tag
        for key in ("name", "body", "draft", "prerelease"):
            if key in fields:
                setattr(release, key, fields[key])
        if "target_commitish" in body:
            release.target_commitish = str(body["target_commitish"])
        if not release.draft and release.published_at is None:
            release.published_at = utc_now()
            if tag not in repo.tags:
                sha = self._resolve(repo, release.target_commitish)
                if sha is not None:
                    repo.tags[tag] = sha

    def _generated_notes(self, repo: Repo, tag: str, previous: str | None = None) -> str:
        """GitHub's generated notes without merged pull requests: the changelog link, from
        ``previous`` (default: the tag of the release before ``tag``'s, else the newest)."""
        _, web = self._bases()
        if previous is None:
            mine = repo.releases.published(tag)
            older = [
                r
                for r in repo.releases.newest_first()
                if not r.draft and r.tag_name != tag and (mine is None or r.seq < mine.seq)
            ]
            previous = older[0].tag_name if older else None
        base = f"{web}/{repo.full_name}"
        if previous is None:
            return f"**Full Changelog**: {base}/commits/{tag}"
        return f"**Full Changelog**: {base}/compare/{previous}...{tag}"

    # ------------------------------------------------------------------- rendering

    def _release_json(self, repo: Repo, release: Release) -> dict[str, Any]:
        api, web = self._bases()
        r = f"{api}/repos/{repo.full_name}"
        url = f"{r}/releases/{release.id}"
        tag = release.tag_name if not release.draft else f"untagged-{release.id:x}"
        author = self._accounts[release.author.lower()]
        return {
            "url": url,
            "assets_url": f"{url}/assets",
            "upload_url": f"{web}/api/uploads/repos/{repo.full_name}/releases/{release.id}"
            "/assets{?name,label}",
            "html_url": f"{web}/{repo.full_name}/releases/tag/{tag}",
            "id": release.id,
            "author": self._user_json(author),
            "node_id": node_id("Release", release.id),
            "tag_name": release.tag_name,
            "target_commitish": release.target_commitish,
            "name": release.name,
            "draft": release.draft,
            "immutable": False,
            "prerelease": release.prerelease,
            "created_at": release.created_at,
            "updated_at": release.created_at,
            "published_at": release.published_at,
            "assets": [],
            "tarball_url": f"{r}/tarball/{release.tag_name}",
            "zipball_url": f"{r}/zipball/{release.tag_name}",
            "body": release.body,
        }


def _invalid(field_name: str, code: str) -> Exception:

    error = {"resource": "Release", "code": code, "field": field_name}
    return ApiError(422, "Validation Failed", errors=[error], doc=f"{DOCS}#create-a-release")


def _check_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    """The typed fields of a create/update body (GitHub answers 422 invalid for a wrong type)."""
    out: dict[str, Any] = {}
    for key, kinds in _FIELD_TYPES.items():
        if key in body and body[key] is not None:
            if not isinstance(body[key], kinds):
                raise _invalid(key, "invalid")
            out[key] = body[key]
    if out.get("make_latest", "true") not in ("true", "false", "legacy"):
        raise _invalid("make_latest", "invalid")
    return out


_FIELD_TYPES: Mapping[str, type | tuple[type, ...]] = {
    "name": str,
    "body": str,
    "draft": bool,
    "prerelease": bool,
    "generate_release_notes": bool,
    "make_latest": str,
}

__all__: Sequence[str] = ("ReleasesApi",)
