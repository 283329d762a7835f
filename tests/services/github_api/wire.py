"""GitHub's wire format, shared by every API module: error answers (``ApiError``, 404, 422
"Validation Failed"), empty answers, node ids, request bodies and pagination with a ``Link``
header (JSON answers are ``emulator_server.json_response``)."""

from __future__ import annotations

import base64
import json
import math
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

from flask import Response, request

from tests.services.emulator_server import json_response

DOCS = "https://docs.github.com/rest"
REPO = "/repos/<owner>/<name>"
"""The URL rule prefix of a repository's routes."""


class ApiError(Exception):
    """An error answer with GitHub's JSON shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        doc: str = DOCS,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.errors = errors
        self.doc = doc
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The JSON body GitHub answers with."""
        out: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            out["errors"] = self.errors
        out["documentation_url"] = self.doc
        out["status"] = str(self.status)
        return out


def not_found() -> ApiError:
    """GitHub's 404, also its answer for what the caller may not see."""
    return ApiError(404, "Not Found")


def validation_failed(resource: str, field_name: str, code: str, **extra: Any) -> ApiError:
    """A 422 "Validation Failed" with one error on ``resource.field_name``."""
    error = {"resource": resource, "code": code, "field": field_name, **extra}
    return ApiError(422, "Validation Failed", errors=[error])


def node_id(kind: str, number: int) -> str:
    """A GraphQL global id (legacy format) for object ``number`` of ``kind``."""
    return base64.b64encode(f"0{len(kind)}:{kind}{number}".encode()).decode()


def empty_response(status: int = 204) -> Response:
    """An answer without a body (204 unless told)."""
    return Response(b"", status)


def paginate(
    items: Sequence[Any],
    *,
    key: str | None = None,
    total_key: str = "total_count",
    default_per_page: int = 30,
    max_per_page: int = 100,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    """One page of ``items`` with GitHub's Link header (list, or object with ``key``)."""

    def number(name: str, default: int) -> int:
        try:
            value = int(request.args.get(name, default))
        except ValueError:
            return default
        return value if value > 0 else default

    per_page = min(number("per_page", default_per_page), max_per_page)
    page = number("page", 1)
    last = max(1, math.ceil(len(items) / per_page))
    chunk = list(items[(page - 1) * per_page : page * per_page])
    body: Any = chunk if key is None else {**(extra or {}), total_key: len(items), key: chunk}
    response = json_response(body)
    links: list[tuple[str, int]] = []
    if page > 1:
        links.append(("prev", min(page - 1, last)))
    if page < last:
        links += [("next", page + 1), ("last", last)]
    if page > 1:
        links.append(("first", 1))
    if links:
        base = request.host_url.rstrip("/") + request.script_root + request.path
        pairs = list(request.args.items(multi=True))

        def link(target: int) -> str:
            query = [(k, str(target) if k == "page" else v) for k, v in pairs]
            if not any(k == "page" for k, _ in pairs):
                query.append(("page", str(target)))
            return f"{base}?{urllib.parse.urlencode(query)}"

        response.headers["Link"] = ", ".join(f'<{link(n)}>; rel="{rel}"' for rel, n in links)
    return response


def request_json() -> Any:
    """The request body as JSON ({} if empty); 400 "Problems parsing JSON" if it is not."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise ApiError(400, "Problems parsing JSON") from None


def request_object() -> dict[str, Any]:
    """The request body as a JSON object; 400 if it is something else."""
    body = request_json()
    if not isinstance(body, dict):
        raise ApiError(400, "Body should be a JSON object")
    return body
