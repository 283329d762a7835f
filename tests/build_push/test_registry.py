"""The registry adapter: against the real registry (HTTP Basic, htpasswd) and, for the Bearer
token flow of Docker Hub / ghcr.io and pagination, against a scripted HTTP server."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest

from shipyard.build_push.registry import (
    Credentials,
    RegistryClient,
    RegistryDenied,
    human_size,
)
from shipyard.runtime import ExternalError, HttpClient, RetryPolicy
from tests.services.base_images import BaseImage
from tests.services.registry import Registry
from tests.services.scripted_http import ScriptedHttpServer


def client(
    registry: Registry, username: str | None = None, password: str | None = None
) -> RegistryClient:
    http = HttpClient(timeout=10, retry=RetryPolicy(attempts=2, backoff=0.05))
    creds = (
        Credentials(username or registry.username, password or registry.password)
        if username is not None or password is not None
        else Credentials(registry.username, registry.password)
    )
    return RegistryClient(http, registry.address, registry.url, creds)


@pytest.fixture
def scripted() -> Iterator[ScriptedHttpServer]:
    server = ScriptedHttpServer().start()
    yield server
    server.stop()


# --- the real registry ---------------------------------------------------------------------


def test_ping_and_push_check_with_the_right_and_wrong_passwords(registry: Registry) -> None:
    good = client(registry)
    good.ping()
    good.check_push("adapter/push-check")
    assert good.tags("adapter/push-check") == []  # the upload was cancelled, nothing exists
    with pytest.raises(RegistryDenied) as wrong:
        client(registry, password="wrong").ping()
    assert (wrong.value.status, wrong.value.action) == (401, "login")
    anonymous = RegistryClient(HttpClient(timeout=10), registry.address, registry.url, None)
    with pytest.raises(RegistryDenied) as denied:
        anonymous.check_push("adapter/push-check")
    assert (denied.value.status, denied.value.action) == (401, "push")


def test_tags_manifests_and_platform_images(registry: Registry, base_image: BaseImage) -> None:
    api = client(registry)
    repository = base_image.ref.split("/", 1)[1].rsplit(":", 1)[0]
    assert "latest" in api.tags(repository)
    assert api.tags("adapter/does-not-exist") == []
    assert api.manifest(repository, "no-such-tag") is None
    digest, images = api.platform_images(repository, "latest")
    assert digest.startswith("sha256:")
    assert [image.platform for image in images] == ["linux/amd64", "linux/arm64"]
    assert all(image.size > 100_000 for image in images)
    single_digest, single = api.platform_images(repository, "latest-arm64")
    assert [image.platform for image in single] == ["linux/arm64"]
    assert single[0].digest == single_digest == images[1].digest


# --- Bearer tokens and pagination (scripted) -----------------------------------------------


def test_bearer_token_flow(scripted: ScriptedHttpServer) -> None:
    challenge = f'Bearer realm="{scripted.url}/token",service="registry.test"'
    scripted.answer(401, "{}", WWW_Authenticate=challenge)
    scripted.answer(200, json.dumps({"token": "tok-123"}))
    scripted.answer(200, "{}")
    masked: list[str] = []
    api = RegistryClient(
        HttpClient(timeout=5),
        "registry.test",
        scripted.url,
        Credentials("alice", "s3cret"),
        mask=masked.append,
    )
    api.ping()
    first, token, retried = scripted.requests
    assert first.path == "/v2/" and "Authorization" not in first.headers
    assert token.path == "/token?service=registry.test&account=alice"
    assert token.headers["Authorization"] == "Basic " + base64.b64encode(b"alice:s3cret").decode()
    assert retried.headers["Authorization"] == "Bearer tok-123"
    assert masked == ["tok-123"]


def test_push_check_asks_a_push_scoped_token(scripted: ScriptedHttpServer) -> None:
    challenge = (
        f'Bearer realm="{scripted.url}/token",service="r",scope="repository:acme/app:pull,push"'
    )
    scripted.answer(401, "{}", WWW_Authenticate=challenge)
    scripted.answer(200, json.dumps({"access_token": "t2"}))
    scripted.answer(202, "", Location="/v2/acme/app/blobs/uploads/u1?_state=x")
    scripted.answer(204, "")
    api = RegistryClient(HttpClient(timeout=5), "r", scripted.url, Credentials("a", "b"))
    api.check_push("acme/app")
    paths = [(r.method, r.path) for r in scripted.requests]
    assert paths == [
        ("POST", "/v2/acme/app/blobs/uploads/"),
        ("GET", "/token?service=r&scope=repository%3Aacme%2Fapp%3Apull%2Cpush&account=a"),
        ("POST", "/v2/acme/app/blobs/uploads/"),
        ("DELETE", "/v2/acme/app/blobs/uploads/u1?_state=x"),
    ]


def test_a_refused_token_or_push_is_denied(scripted: ScriptedHttpServer) -> None:
    challenge = f'Bearer realm="{scripted.url}/token",service="r"'
    scripted.answer(401, "{}", WWW_Authenticate=challenge)
    scripted.answer(401, json.dumps({"details": "incorrect username or password"}))
    api = RegistryClient(HttpClient(timeout=5), "r", scripted.url, Credentials("a", "bad"))
    with pytest.raises(RegistryDenied) as refused:
        api.ping()
    assert refused.value.status == 401 and "incorrect username" in refused.value.detail
    # ghcr.io answers 403 with an error body to a token without write_package
    scripted.answer(
        403,
        json.dumps({"errors": [{"code": "DENIED", "message": "permission_denied: write_package"}]}),
    )
    with pytest.raises(RegistryDenied) as denied:
        RegistryClient(HttpClient(timeout=5), "r", scripted.url, None).check_push("acme/app")
    assert denied.value.status == 403
    assert denied.value.detail == "DENIED: permission_denied: write_package"


def test_tags_follow_the_link_header(scripted: ScriptedHttpServer) -> None:
    scripted.answer(
        200,
        json.dumps({"name": "a", "tags": ["1.0.0", "1.1.0"]}),
        Link='</v2/a/tags/list?last=1.1.0&n=2>; rel="next"',
    )
    scripted.answer(200, json.dumps({"name": "a", "tags": ["2.0.0"]}))
    api = RegistryClient(HttpClient(timeout=5), "r", scripted.url, None)
    assert api.tags("a") == ["1.0.0", "1.1.0", "2.0.0"]
    assert scripted.requests[1].path == "/v2/a/tags/list?last=1.1.0&n=2"


def test_5xx_is_retried_then_external_error(scripted: ScriptedHttpServer) -> None:
    scripted.answer(503, "")
    scripted.answer(200, "{}")
    http = HttpClient(timeout=5, retry=RetryPolicy(attempts=2, backoff=0.01))
    RegistryClient(http, "r", scripted.url, None).ping()
    scripted.default.status = 503
    with pytest.raises(ExternalError, match="kept answering HTTP 503 to GET /v2/ after 2"):
        RegistryClient(http, "r", scripted.url, None).ping()


def test_human_size() -> None:
    assert [human_size(n) for n in (512, 2048, 5 * 1024 * 1024)] == ["512 B", "2.0 KB", "5.0 MB"]
