"""The commits API: ``/repos/{o}/{r}/commits`` (history from a ref), ``commits/{ref}`` (with
files), ``compare/{base}...{head}`` (ahead/behind, merge base, files), ``branches`` and
``tags``. A repository's history is a DAG of ``Commit`` values; refs resolve through the
core's ``_resolve``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response, request

from tests.services.emulator_server import Route, json_response
from tests.services.github_api.core import GitHubCore
from tests.services.github_api.model import Commit, Repo
from tests.services.github_api.wire import REPO, ApiError, node_id, not_found, paginate


class CommitsApi(GitHubCore):
    """Commits, branches, tags and comparisons of a repository."""

    def _routes(self, route: Route) -> None:
        super()._routes(route)
        route(f"{REPO}/tags", self._v_tags, permission="contents")
        route(f"{REPO}/branches", self._v_branches, permission="contents")
        route(f"{REPO}/branches/<path:branch>", self._v_branch, permission="contents")
        route(f"{REPO}/commits", self._v_commits, permission="contents")
        route(f"{REPO}/commits/<path:ref>", self._v_commit, permission="contents")
        route(f"{REPO}/compare/<path:basehead>", self._v_compare, permission="contents")

    def add_commit(
        self,
        repo: str,
        message: str = "commit",
        *,
        sha: str | None = None,
        parents: Sequence[str] | None = None,
        branch: str | None = None,
        author: str | None = None,
        files: Iterable[str] = (),
    ) -> str:
        """Add a commit and return its sha.

        Without ``parents`` it extends ``branch`` (default: the default branch) and moves it;
        with ``parents`` (refs or shas) it moves ``branch`` only if one is given.
        """
        with self._lock:
            target = self._repo(repo)
            if parents is None:
                branch = branch or target.default_branch
                parent_shas = [target.branches[branch]] if branch in target.branches else []
            else:
                parent_shas = [self._resolve(target, p) or p for p in parents]
            seq = next(self._commit_seq)
            if sha is None:
                seed = f"{target.full_name}\0{message}\0{','.join(parent_shas)}\0{seq}"
                sha = hashlib.sha1(seed.encode(), usedforsecurity=False).hexdigest()
            account = self._accounts.get(author.lower()) if author else None
            commit = Commit(sha, message, parent_shas, account.login if account else None)
            commit.seq = seq
            commit.files = list(files)
            if account is not None:
                commit.author_name = account.name or account.login
                commit.author_email = account.email or f"{account.login}@users.noreply.github.com"
            target.commits[sha] = commit
            if branch:
                target.branches[branch] = sha
            return sha

    def set_branch(self, repo: str, name: str, ref: str) -> None:
        """Point branch ``name`` at ``ref`` (a sha, branch or tag)."""
        with self._lock:
            target = self._repo(repo)
            target.branches[name] = self._require_ref(target, ref)

    def add_tag(self, repo: str, name: str, ref: str | None = None) -> str:
        """Tag ``ref`` (default: the default branch's tip); returns the tagged sha."""
        with self._lock:
            target = self._repo(repo)
            sha = self._require_ref(target, ref or target.default_branch)
            target.tags[name] = sha
            return sha

    def _commit_json(self, repo: Repo, commit: Commit, *, full: bool = False) -> dict[str, Any]:
        api, web = self._bases()
        r = f"{api}/repos/{repo.full_name}"
        account = self._accounts.get((commit.author or "").lower())
        person = {"name": commit.author_name, "email": commit.author_email, "date": commit.date}
        tree = hashlib.sha1(f"tree{commit.sha}".encode(), usedforsecurity=False).hexdigest()
        out: dict[str, Any] = {
            "sha": commit.sha,
            "node_id": node_id("Commit", commit.seq),
            "commit": {
                "author": person,
                "committer": person,
                "message": commit.message,
                "tree": {"sha": tree, "url": f"{r}/git/trees/{tree}"},
                "url": f"{r}/git/commits/{commit.sha}",
                "comment_count": 0,
                "verification": {
                    "verified": False,
                    "reason": "unsigned",
                    "signature": None,
                    "payload": None,
                    "verified_at": None,
                },
            },
            "url": f"{r}/commits/{commit.sha}",
            "html_url": f"{web}/{repo.full_name}/commit/{commit.sha}",
            "comments_url": f"{r}/commits/{commit.sha}/comments",
            "author": self._user_json(account) if account else None,
            "committer": self._user_json(account) if account else None,
            "parents": [
                {
                    "sha": p,
                    "url": f"{r}/commits/{p}",
                    "html_url": f"{web}/{repo.full_name}/commit/{p}",
                }
                for p in commit.parents
            ],
        }
        if full:
            files = self._files_json(repo, [commit])
            out["stats"] = {"total": len(files), "additions": len(files), "deletions": 0}
            out["files"] = files
        return out

    def _files_json(self, repo: Repo, commits: Iterable[Commit]) -> list[dict[str, Any]]:
        api, web = self._bases()
        seen: dict[str, dict[str, Any]] = {}
        for commit in commits:
            for path in commit.files:
                blob = hashlib.sha1(
                    f"{commit.sha}{path}".encode(), usedforsecurity=False
                ).hexdigest()
                seen[path] = {
                    "sha": blob,
                    "filename": path,
                    "status": "modified",
                    "additions": 1,
                    "deletions": 0,
                    "changes": 1,
                    "blob_url": f"{web}/{repo.full_name}/blob/{commit.sha}/{path}",
                    "raw_url": f"{web}/{repo.full_name}/raw/{commit.sha}/{path}",
                    "contents_url": f"{api}/repos/{repo.full_name}/contents/{path}"
                    f"?ref={commit.sha}",
                    "patch": "@@ -0,0 +1 @@\n+change",
                }
        return list(seen.values())

    def _tag_json(self, repo: Repo, name: str, sha: str) -> dict[str, Any]:
        api, _ = self._bases()
        r = f"{api}/repos/{repo.full_name}"
        return {
            "name": name,
            "zipball_url": f"{r}/zipball/refs/tags/{name}",
            "tarball_url": f"{r}/tarball/refs/tags/{name}",
            "commit": {"sha": sha, "url": f"{r}/commits/{sha}"},
            "node_id": node_id("Ref", abs(hash((repo.id, name))) % 10**9),
        }

    def _branch_json(self, repo: Repo, branch: str) -> dict[str, Any]:
        api, _ = self._bases()
        sha = repo.branches[branch]
        return {
            "name": branch,
            "commit": {"sha": sha, "url": f"{api}/repos/{repo.full_name}/commits/{sha}"},
            "protected": False,
        }

    def _history(self, repo: Repo, sha: str) -> list[Commit]:
        """Ancestors of ``sha`` (itself included), newest first."""
        return sorted((repo.commits[s] for s in self._ancestors(repo, sha)), key=lambda c: -c.seq)

    def _v_tags(self, owner: str, name: str) -> Response:
        repo = self._visible_repo(owner, name)
        tags = list(repo.tags.items())[::-1]  # newest first
        return paginate([self._tag_json(repo, n, sha) for n, sha in tags])

    def _v_branches(self, owner: str, name: str) -> Response:
        repo = self._visible_repo(owner, name)
        return paginate([self._branch_json(repo, b) for b in repo.branches])

    def _v_branch(self, owner: str, name: str, branch: str) -> Response:
        repo = self._visible_repo(owner, name)
        if branch not in repo.branches:
            raise ApiError(404, "Branch not found")
        api, web = self._bases()
        commit = repo.commits[repo.branches[branch]]
        return json_response(
            {
                "name": branch,
                "commit": self._commit_json(repo, commit),
                "_links": {
                    "self": f"{api}/repos/{repo.full_name}/branches/{branch}",
                    "html": f"{web}/{repo.full_name}/tree/{branch}",
                },
                "protected": False,
                "protection": {"enabled": False, "required_status_checks": None},
                "protection_url": f"{api}/repos/{repo.full_name}/branches/{branch}/protection",
            }
        )

    def _v_commits(self, owner: str, name: str) -> Response:
        repo = self._visible_repo(owner, name)
        ref = request.args.get("sha") or repo.default_branch
        sha = self._resolve(repo, ref)
        if sha is None:
            raise ApiError(404, "Not Found")
        return paginate([self._commit_json(repo, c) for c in self._history(repo, sha)])

    def _v_commit(self, owner: str, name: str, ref: str) -> Response:
        repo = self._visible_repo(owner, name)
        sha = self._resolve(repo, ref)
        if sha is None:
            raise ApiError(422, f"No commit found for SHA: {ref}")
        return json_response(self._commit_json(repo, repo.commits[sha], full=True))

    def _v_compare(self, owner: str, name: str, basehead: str) -> Response:
        repo = self._visible_repo(owner, name)
        base_ref, sep, head_ref = basehead.partition("...")
        if not sep:
            base_ref, sep, head_ref = basehead.partition("..")
        base = self._resolve(repo, base_ref) if sep else None
        head = self._resolve(repo, head_ref) if sep else None
        if base is None or head is None:
            raise not_found()
        base_ancestors = self._ancestors(repo, base)
        head_ancestors = self._ancestors(repo, head)
        ahead = sorted(
            (repo.commits[s] for s in head_ancestors - base_ancestors), key=lambda c: c.seq
        )
        behind = base_ancestors - head_ancestors
        common = base_ancestors & head_ancestors
        merge_base = max((repo.commits[s] for s in common), key=lambda c: c.seq, default=None)
        if base == head:
            status = "identical"
        elif not behind:
            status = "ahead"
        elif not ahead:
            status = "behind"
        else:
            status = "diverged"
        api, web = self._bases()
        r = f"{api}/repos/{repo.full_name}"
        extra = {
            "url": f"{r}/compare/{basehead}",
            "html_url": f"{web}/{repo.full_name}/compare/{basehead}",
            "permalink_url": (
                f"{web}/{repo.full_name}/compare/{repo.owner}:{base}...{repo.owner}:{head}"
            ),
            "diff_url": f"{web}/{repo.full_name}/compare/{basehead}.diff",
            "patch_url": f"{web}/{repo.full_name}/compare/{basehead}.patch",
            "base_commit": self._commit_json(repo, repo.commits[base]),
            "merge_base_commit": self._commit_json(repo, merge_base) if merge_base else None,
            "status": status,
            "ahead_by": len(ahead),
            "behind_by": len(behind),
        }
        response = paginate(
            [self._commit_json(repo, c) for c in ahead],
            key="commits",
            total_key="total_commits",
            default_per_page=250,
            max_per_page=1000,
            extra=extra,
        )
        body = json.loads(response.get_data())
        body["files"] = self._files_json(repo, ahead)
        response.set_data(json.dumps(body, separators=(",", ":")))
        return response
