"""The pull requests API, as far as the actions need it: the files a pull request changes
(``/repos/{o}/{r}/pulls/{n}/files``, paginated, 3000 at most, as GitHub lists them)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response

from tests.services.emulator_server import Route
from tests.services.github_api.core import GitHubCore
from tests.services.github_api.wire import REPO, not_found, paginate


class PullsApi(GitHubCore):
    """Pull requests: their changed files."""

    def _routes(self, route: Route) -> None:
        super()._routes(route)
        route(
            f"{REPO}/pulls/<int:number>/files",
            self._v_pull_files,
            permission=("pull_requests", "contents"),
        )

    def set_pull_files(
        self, repo: str, number: int, files: Iterable[str | Mapping[str, Any]]
    ) -> None:
        """The files of pull request ``number`` (``GET /repos/{o}/{r}/pulls/{n}/files``): paths
        (status "modified") or mappings with ``filename`` and ``status``, and ``patch`` (the
        file's diff, where review comments may go; else a one-line change)."""
        with self._lock:
            target = self._repo(repo)
            listed = []
            for item in files:
                entry: dict[str, Any] = {"filename": item} if isinstance(item, str) else dict(item)
                entry.setdefault("status", "modified")
                name = str(entry["filename"])
                entry.setdefault(
                    "sha",
                    hashlib.sha1(f"{number}{name}".encode(), usedforsecurity=False).hexdigest(),
                )
                defaults: dict[str, Any] = {"additions": 1, "deletions": 0, "changes": 1}
                defaults["patch"] = "@@ -1 +1 @@\n+change"
                for key, value in defaults.items():  # a given patch is the file's diff
                    entry.setdefault(key, value)
                listed.append(entry)
            target.pull_files[number] = listed

    def _v_pull_files(self, owner: str, name: str, number: int) -> Response:
        repo = self._visible_repo(owner, name)
        if number not in repo.pull_files:
            raise not_found()
        return paginate(repo.pull_files[number][:3000])  # GitHub lists 3000 at most
