"""A stateful GitHub REST API emulator, faithful enough for PyGithub and plain requests.

Served at the root (like api.github.com) and under ``/api/v3`` (like GitHub Enterprise
Server); every URL in a response is built from the request's host and prefix, as PyGithub
follows them. One module per API in ``github_api/``:

- ``users.py``: users, orgs and teams (members, memberships);
- ``repos.py``: repos, collaborators and permissions, assignees;
- ``commits.py``: commits, compare, branches, tags;
- ``refs.py``: git references (``git/refs``, ``git/ref``, ``git/matching-refs``): create,
  update (fast forward, or ``force``), delete, over the branches and tags;
- ``labels.py``, ``issues.py`` (labels, assignees), ``comments.py``: issues and comments;
- ``pulls.py``: pull request files; ``reviews.py``: reviews and review comments;
- ``actions.py``: workflows, ``workflow_dispatch``, workflow runs;
- ``releases.py``: releases and generated notes;
- ``graphql.py``: a small GraphQL API (``POST /graphql``; ``/api/graphql`` on GHES) for
  issues' and comments' authors and edit history (``lastEditedAt``, ``editor``,
  ``userContentEdits``), kept as edits happen;
- ``rate_limit.py``: ``GET /rate_limit``;
- ``grants.py``: what a token may do (a classic token's scopes, an installation token's
  permissions: the job's ``GITHUB_TOKEN``) and GitHub's refusals;
- ``seed.py``: the seed format; ``control.py``: faults, recorded requests, ``/_emulator/``.

GitHub behaviour the core (``github_api/core.py``, which also says how to add an API)
reproduces for all of them: token auth (``token X``/``Bearer X``; 401 Bad credentials),
tokens' grants (``add_token(..., scopes=[...])``, ``add_installation_token``; a token made
without them has full access): 404 for a missing scope, 403 "Resource not accessible by
integration" for a missing permission, ``X-OAuth-Scopes``, ``X-Accepted-OAuth-Scopes``,
``X-Accepted-GitHub-Permissions``; teams visible only to the organization's members with
``read:org``; the primary rate limit per token and resource (``core``, ``graphql``;
``X-RateLimit-*`` headers, one unit per request, none for a 304 or ``/rate_limit``, 403
"API rate limit exceeded" when exhausted, reset at the reset time),
secondary rate limits on demand, ETag + If-None-Match -> 304, pagination with ``per_page``/
``page`` and a ``Link`` header, 422 "Validation Failed" bodies with ``errors``. Faults
(5xx, dropped connections) can be queued and every request is recorded.

Run it standalone with ``python -m tests.services.github_emulator --port 8086 --seed s.json``
(the seed format is in ``github_api/seed.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
from typing import Any

from tests.services.github_api.actions import ActionsApi
from tests.services.github_api.comments import CommentsApi
from tests.services.github_api.commits import CommitsApi
from tests.services.github_api.control import ControlApi
from tests.services.github_api.core import GitHubCore
from tests.services.github_api.graphql import GraphqlApi
from tests.services.github_api.issues import IssuesApi
from tests.services.github_api.labels import LabelsApi
from tests.services.github_api.pulls import PullsApi
from tests.services.github_api.rate_limit import RateLimitApi
from tests.services.github_api.refs import GitRefsApi
from tests.services.github_api.releases import ReleasesApi
from tests.services.github_api.repos import ReposApi
from tests.services.github_api.reviews import ReviewsApi
from tests.services.github_api.seed import SeedApi
from tests.services.github_api.users import UsersApi


class GitHubEmulator(
    # The APIs it serves, one line each; a class goes before the ones it builds on.
    ControlApi,
    SeedApi,
    CommentsApi,
    IssuesApi,
    LabelsApi,
    ActionsApi,
    ReposApi,
    GitRefsApi,
    CommitsApi,
    UsersApi,
    ReviewsApi,
    PullsApi,
    ReleasesApi,
    GraphqlApi,
    RateLimitApi,
    GitHubCore,
):
    """Stateful GitHub REST API on ``127.0.0.1:<free port>``, at ``/`` and ``/api/v3``.

    ``seed`` is the baseline :meth:`reset` restores (see ``github_api/seed.py`` for its
    format).
    """


def main(argv: list[str] | None = None) -> int:
    """Serve the emulator until killed."""
    parser = argparse.ArgumentParser(prog="python -m tests.services.github_emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed", help="JSON seed file (format: tests/services/github_api/seed.py)")
    args = parser.parse_args(argv)
    seed: dict[str, Any] = {}
    if args.seed:
        with open(args.seed, encoding="utf-8") as handle:
            seed = json.load(handle)
    emulator = GitHubEmulator(args.host, args.port, seed=seed)
    server = emulator._make_server()
    emulator._server = server
    print(f"github emulator listening on {emulator.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
