"""The GitHub adapter for review comments: who the token is (GraphQL ``viewer``), the review
comments of a pull request, and a new review. Through the runtime's HTTP client (retries on
429/5xx and connection errors); any other error answer is a :class:`ReviewApiError`."""

from __future__ import annotations

from typing import Any

from shipyard.runtime.http import HttpClient

HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
#: Pages of review comments read at most (100 each).
MAX_PAGES = 30


class ReviewApiError(Exception):
    """GitHub refused a call: its HTTP status and message."""

    def __init__(self, status: int, what: str, message: str) -> None:
        super().__init__(f"{what}: HTTP {status} {message}".strip())
        self.status = status


def graphql_url(api_url: str) -> str:
    """GitHub's GraphQL endpoint beside a REST root (GHES: ``/api/v3`` -> ``/api/graphql``)."""
    base = api_url.rstrip("/")
    if base.endswith("/api/v3"):
        return base[: -len("/v3")] + "/graphql"
    return base + "/graphql"


class PullReviews:
    """The review comments of pull request ``number`` of ``repository``, as ``token``."""

    def __init__(
        self, client: HttpClient, token: str, *, api_url: str, repository: str, number: int
    ) -> None:
        self.client = client
        self.api_url = api_url.rstrip("/")
        self.pull = f"{self.api_url}/repos/{repository}/pulls/{number}"
        self.headers = {**HEADERS, **({"Authorization": f"Bearer {token}"} if token else {})}

    def _call(self, method: str, url: str, what: str, **kwargs: Any) -> Any:
        response = self.client.request(method, url, headers=self.headers, describe=what, **kwargs)
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 400:
            message = data.get("message", "") if isinstance(data, dict) else ""
            errors = data.get("errors") if isinstance(data, dict) else None
            detail = f"{message} {errors}" if errors else message
            raise ReviewApiError(response.status_code, what, str(detail)[:300])
        return data, response.links.get("next", {}).get("url")

    def login(self) -> str | None:
        """The token's own login (a user's, or an app's ``name[bot]``); None if unknown."""
        try:
            data, _next = self._call(
                "POST",
                graphql_url(self.api_url),
                "GraphQL viewer",
                json={"query": "query { viewer { login } }"},
            )
        except ReviewApiError:
            return None
        viewer = ((data or {}).get("data") or {}).get("viewer") or {}
        login = viewer.get("login") if isinstance(viewer, dict) else None
        return login if isinstance(login, str) and login else None

    def comments(self) -> list[dict[str, Any]]:
        """Every review comment of the pull request (all pages, up to ``MAX_PAGES``)."""
        found: list[dict[str, Any]] = []
        url: str | None = f"{self.pull}/comments?per_page=100"
        for _page in range(MAX_PAGES):
            if url is None:
                break
            data, url = self._call("GET", url, "GET pull request review comments")
            found += [item for item in data or [] if isinstance(item, dict)]
        return found

    def create(self, commit_id: str, body: str, comments: list[dict[str, Any]]) -> dict[str, Any]:
        """Post one review (event COMMENT) with ``comments`` on the head commit ``commit_id``."""
        payload: dict[str, Any] = {"event": "COMMENT", "body": body, "comments": comments}
        if commit_id:
            payload["commit_id"] = commit_id
        data, _next = self._call("POST", f"{self.pull}/reviews", "POST a review", json=payload)
        return data if isinstance(data, dict) else {}
