"""The GitHub emulator's GraphQL API: a small, real subset of GitHub's schema, executed with
``graphql-core`` against the emulator's state.

What it answers: ``viewer``, ``repository(owner, name) { issue(number) }``, ``node(id)`` and
``nodes(ids)`` for issues and issue comments, with the fields GitHub uses to tell an edited
text: ``author``, ``editor``, ``lastEditedAt``, ``includesCreatedEdit`` and
``userContentEdits`` (newest first, as GitHub lists them; the oldest holds the original text,
written by the author at creation). The emulator keeps that history as edits happen
(``PATCH`` of an issue's body or of a comment). A query that does not fit the schema is
answered as GitHub does: HTTP 200 with ``errors``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from flask import Response
from graphql import GraphQLError, build_schema, graphql_sync

from tests.services.emulator_server import Route, json_response
from tests.services.github_api.core import GitHubCore
from tests.services.github_api.grants import INTEGRATION
from tests.services.github_api.wire import ApiError, node_id, request_object

if TYPE_CHECKING:
    from tests.services.github_api.model import Account, Edit, Repo

SCHEMA = build_schema(
    """
    scalar DateTime
    scalar URI

    interface Node { id: ID! }
    interface Actor { login: String! url: URI! }

    type User implements Node & Actor { id: ID! login: String! url: URI! databaseId: Int }
    type Bot implements Node & Actor { id: ID! login: String! url: URI! databaseId: Int }

    type PageInfo {
      hasNextPage: Boolean!
      hasPreviousPage: Boolean!
      startCursor: String
      endCursor: String
    }

    type UserContentEdit implements Node {
      id: ID!
      createdAt: DateTime!
      editedAt: DateTime!
      updatedAt: DateTime!
      editor: Actor
      diff: String
      deletedAt: DateTime
      deletedBy: Actor
    }

    type UserContentEditConnection {
      totalCount: Int!
      nodes: [UserContentEdit]
      pageInfo: PageInfo!
    }

    interface Comment {
      id: ID!
      author: Actor
      body: String!
      createdAt: DateTime!
      updatedAt: DateTime!
      editor: Actor
      lastEditedAt: DateTime
      includesCreatedEdit: Boolean!
      userContentEdits(first: Int, last: Int): UserContentEditConnection
    }

    enum IssueState { OPEN CLOSED }

    type Issue implements Node & Comment {
      id: ID!
      databaseId: Int
      number: Int!
      title: String!
      state: IssueState!
      url: URI!
      author: Actor
      body: String!
      createdAt: DateTime!
      updatedAt: DateTime!
      editor: Actor
      lastEditedAt: DateTime
      includesCreatedEdit: Boolean!
      userContentEdits(first: Int, last: Int): UserContentEditConnection
    }

    type IssueComment implements Node & Comment {
      id: ID!
      databaseId: Int
      url: URI!
      issue: Issue!
      author: Actor
      body: String!
      createdAt: DateTime!
      updatedAt: DateTime!
      editor: Actor
      lastEditedAt: DateTime
      includesCreatedEdit: Boolean!
      userContentEdits(first: Int, last: Int): UserContentEditConnection
    }

    type Repository implements Node {
      id: ID!
      name: String!
      nameWithOwner: String!
      issue(number: Int!): Issue
    }

    type Query {
      viewer: User!
      repository(owner: String!, name: String!): Repository
      node(id: ID!): Node
      nodes(ids: [ID!]!): [Node]!
    }
    """
)


class GraphqlApi(GitHubCore):
    """``POST /graphql`` (``/api/graphql`` on GitHub Enterprise Server, mapped here by the core)."""

    def _routes(self, route: Route) -> None:
        super()._routes(route)
        route("/graphql", self._v_graphql, ("POST",), resource="graphql")

    def _v_graphql(self) -> Response:
        body = request_object()
        query = body.get("query")
        if not isinstance(query, str):
            raise ApiError(400, "A query attribute must be specified and must be a string.")
        variables = body.get("variables") or {}
        return json_response(execute(self, self._user(), query, variables))


def execute(
    emulator: GitHubCore, viewer: Account, query: str, variables: Mapping[str, Any]
) -> dict[str, Any]:
    """Run ``query`` as ``viewer``; GitHub's answer shape (``data`` and maybe ``errors``)."""
    world = _World(emulator, viewer)
    result = graphql_sync(
        SCHEMA,
        query,
        root_value=world.root(),
        variable_values=dict(variables),
    )
    answer: dict[str, Any] = {"data": result.data}
    if result.errors:
        answer["errors"] = [_error(e) for e in result.errors]
    return answer


def _error(error: GraphQLError) -> dict[str, Any]:
    out: dict[str, Any] = {"message": error.message}
    if error.path:
        out["path"] = list(error.path)
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if isinstance(error.original_error, LookupError):
        out["type"] = "NOT_FOUND"
    elif isinstance(error.original_error, PermissionError):
        out["type"] = "FORBIDDEN"
    return out


class _World:
    """Dicts (and callables for fields with arguments) that graphql-core's default resolver
    walks; ``__typename`` picks the type of an interface."""

    def __init__(self, emulator: GitHubCore, viewer: Account) -> None:
        self.emu = emulator
        self.viewer = viewer

    def root(self) -> dict[str, Any]:
        """The Query type's fields."""
        return {
            # an app's token sees itself as REST spells it (``name[bot]``)
            "viewer": {**(self.actor(self.viewer.login) or {}), "login": self.viewer.login},
            "repository": self.repository,
            "node": self.node,
            "nodes": self.nodes,
        }

    # -- lookups ----------------------------------------------------------------------------
    def _visible(self, repo: Repo) -> bool:
        """Whether the viewer and the token may read the repository's issues."""
        return self._readable(repo) and self.emu._token_allows(repo, "issues")

    def _readable(self, repo: Repo) -> bool:
        return self.emu._permission(repo, self.viewer) != "none" and self.emu._token_allows(
            repo, "metadata"
        )

    def repository(self, _info: Any, owner: str, name: str) -> dict[str, Any]:
        """``repository(owner, name)``, hidden (not found) from those who cannot read it;
        its issues refused (FORBIDDEN) to a token without ``issues: read``."""
        repo = self.emu._repos.get(f"{owner}/{name}".lower())
        if repo is None or not self._readable(repo):
            raise LookupError(f"Could not resolve to a Repository with the name '{owner}/{name}'.")

        def issue(_info: Any, number: int) -> dict[str, Any]:
            if not self._visible(repo):
                raise PermissionError(INTEGRATION)
            found = repo.issues.get(number)
            if found is None:
                raise LookupError(
                    f"Could not resolve to an issue or pull request with the number of {number}."
                )
            return self.issue(repo, number)

        return {
            "__typename": "Repository",
            "id": node_id("Repository", repo.id),
            "name": repo.name,
            "nameWithOwner": repo.full_name,
            "issue": issue,
        }

    def _index(self) -> dict[str, Callable[[], dict[str, Any]]]:
        index: dict[str, Callable[[], dict[str, Any]]] = {}
        for repo in self.emu._repos.values():
            if not self._visible(repo):
                continue
            for number, issue in repo.issues.items():
                index[node_id("Issue", issue.id)] = functools.partial(self.issue, repo, number)
            for comment_id in repo.comments:
                index[node_id("IssueComment", comment_id)] = functools.partial(
                    self.comment, repo, comment_id
                )
        return index

    def node(self, _info: Any, id: str) -> dict[str, Any]:
        """``node(id)``: an issue or comment the viewer can see, by global id."""
        make = self._index().get(id)
        if make is None:
            raise LookupError(f"Could not resolve to a node with the global id of '{id}'")
        return make()

    def nodes(self, _info: Any, ids: list[str]) -> list[dict[str, Any] | None]:
        """``nodes(ids)``: as ``node``, None for each id not found."""
        index = self._index()
        return [index[i]() if i in index else None for i in ids]

    # -- objects ----------------------------------------------------------------------------
    def actor(self, login: str | None) -> dict[str, Any] | None:
        """A ``User`` or ``Bot`` by login, or None. As on GitHub, a ``Bot``'s login has no
        ``[bot]`` suffix here (REST's ``github-actions[bot]`` is ``github-actions``) and its
        url is its app's page."""
        if not login:
            return None
        account = self.emu._accounts.get(login.lower())
        if account is None:
            return None
        _api, web = self.emu._bases()
        if account.type == "Bot":
            app = account.login.removesuffix("[bot]")
            kind, shown, url = "Bot", app, f"{web}/apps/{app}"
        else:
            kind, shown, url = "User", account.login, f"{web}/{account.login}"
        return {
            "__typename": kind,
            "id": node_id(kind, account.id),
            "login": shown,
            "url": url,
            "databaseId": account.id,
        }

    def _history(
        self, author: str, created_at: str, updated_at: str, edits: list[Edit]
    ) -> dict[str, Any]:
        last = edits[-1] if len(edits) > 1 else None

        def user_content_edits(
            _info: Any, first: int | None = None, last: int | None = None
        ) -> dict[str, Any]:
            newest_first = list(reversed(edits))
            chosen = newest_first
            if first is not None:
                chosen = chosen[:first]
            if last is not None:
                chosen = chosen[-last:] if last else []
            return {
                "totalCount": len(edits),
                "nodes": [
                    {
                        "__typename": "UserContentEdit",
                        "id": node_id("UserContentEdit", e.id),
                        "createdAt": e.edited_at,
                        "editedAt": e.edited_at,
                        "updatedAt": e.edited_at,
                        "editor": self.actor(e.editor),
                        "diff": e.diff,
                        "deletedAt": None,
                        "deletedBy": None,
                    }
                    for e in chosen
                ],
                "pageInfo": {
                    "hasNextPage": len(chosen) < len(newest_first) and first is not None,
                    "hasPreviousPage": len(chosen) < len(newest_first) and last is not None,
                    "startCursor": None,
                    "endCursor": None,
                },
            }

        return {
            "author": self.actor(author),
            "createdAt": created_at,
            "updatedAt": updated_at,
            "editor": self.actor(last.editor) if last else None,
            "lastEditedAt": last.edited_at if last else None,
            "includesCreatedEdit": bool(edits),
            "userContentEdits": user_content_edits,
        }

    def issue(self, repo: Repo, number: int) -> dict[str, Any]:
        """An ``Issue`` with its authorship and edit history."""
        issue = repo.issues[number]
        _api, web = self.emu._bases()
        return {
            "__typename": "Issue",
            "id": node_id("Issue", issue.id),
            "databaseId": issue.id,
            "number": issue.number,
            "title": issue.title,
            "state": issue.state.upper(),
            "url": f"{web}/{repo.full_name}/issues/{issue.number}",
            "body": issue.body or "",
            **self._history(issue.user, issue.created_at, issue.updated_at, issue.edits),
        }

    def comment(self, repo: Repo, comment_id: int) -> dict[str, Any]:
        """An ``IssueComment`` with its authorship and edit history."""
        comment = repo.comments[comment_id]
        _api, web = self.emu._bases()
        return {
            "__typename": "IssueComment",
            "id": node_id("IssueComment", comment.id),
            "databaseId": comment.id,
            "url": (
                f"{web}/{repo.full_name}/issues/{comment.issue_number}#issuecomment-{comment.id}"
            ),
            "issue": lambda _info: self.issue(repo, comment.issue_number),
            "body": comment.body,
            **self._history(comment.user, comment.created_at, comment.updated_at, comment.edits),
        }
