"""build-push against a registry with token auth (``auth: token``), as Docker Hub, ghcr.io and
ECR work: a real docker-registry answering 401 with a Bearer challenge, and the test bed's token
server issuing JWTs signed with its own key (push/pull rights per user)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shipyard.build_push.registry import Credentials, RegistryClient, RegistryDenied
from shipyard.runtime import ConfigError, ExitCode, FakeClock, HttpClient, RetryPolicy
from tests.build_push._run import BuildPushRun, registry_api, run_build_push
from tests.build_push.conftest import write_app
from tests.services.base_images import BaseImage, inspect_platforms
from tests.services.qemu import QemuStatus
from tests.services.registry import Registry
from tests.services.scripted_http import ScriptedHttpServer
from tests.services.token_server import TokenServer, User

pytestmark = pytest.mark.usefixtures("buildx")


def ok(run: BuildPushRun) -> BuildPushRun:
    assert run.code == 0, run.log[-4000:] + run.summary
    return run


@pytest.fixture
def token_app(tmp_path: Path, base_image: BaseImage) -> Path:
    return write_app(tmp_path / "workspace", base_image.ref)


@pytest.fixture
def token_inputs(token_registry: Registry, registry: Registry) -> dict[str, str]:
    """Credentials for the token registry, and a registry-logins line for the htpasswd
    registry that holds the base image."""
    return {
        "registry-username": token_registry.username,
        "registry-password": token_registry.password,
        "registry-logins": f"{registry.address}={registry.username}:{registry.password}",
    }


def test_two_platforms_are_pushed_to_a_token_registry(
    tmp_path: Path,
    token_app: Path,
    token_registry: Registry,
    token_server: TokenServer,
    qemu_arm64: QemuStatus,
    repository: str,
    token_inputs: dict[str, str],
) -> None:
    image = f"{token_registry.address}/{repository}"
    before = len(token_server.tokens_for(token_registry.username))
    run = ok(
        run_build_push(
            tmp_path,
            token_app,
            {"images": image, "platforms": "linux/amd64,linux/arm64", **token_inputs},
        )
    )
    assert run.tags == [f"{image}:latest", f"{image}:sha-0123456"]
    assert inspect_platforms(f"{image}:latest", token_registry.docker_env()) == [
        "linux/amd64",
        "linux/arm64",
    ]
    assert set(run.platform_digests) == {"linux/amd64", "linux/arm64"}
    # the registry asked for tokens, and push rights were granted for this repository
    issued = token_server.tokens_for(token_registry.username)[before:]
    pushes = [a for claims in issued for a in claims["access"] if "push" in a["actions"]]
    assert any(a["name"] == repository for a in pushes)
    assert token_registry.password not in run.visible


def test_latest_goes_to_the_highest_release_known_to_the_token_registry(
    tmp_path: Path,
    token_app: Path,
    token_registry: Registry,
    repository: str,
    token_inputs: dict[str, str],
) -> None:
    image = f"{token_registry.address}/{repository}"
    inputs = {"images": image, **token_inputs}
    api = registry_api(token_registry)
    v2 = ok(run_build_push(tmp_path / "v2", token_app, inputs, ref="refs/tags/v2.0.0"))
    assert v2.tags == [f"{image}:{t}" for t in ("2.0.0", "2.0", "2", "latest")]
    (token_app / "Dockerfile").write_text((token_app / "Dockerfile").read_text() + "ENV FIX=1\n")
    hotfix = ok(run_build_push(tmp_path / "v141", token_app, inputs, ref="refs/tags/v1.4.1"))
    assert hotfix.tags == [f"{image}:{t}" for t in ("1.4.1", "1.4", "1")]
    assert "'latest' not moved to 1.4.1: the registry has 2.0.0" in hotfix.summary
    latest = api.manifest(repository, "latest")
    assert latest is not None and latest.digest == v2.digest != hotfix.digest


def test_merge_mode_against_a_token_registry(
    tmp_path: Path,
    token_app: Path,
    token_registry: Registry,
    qemu_arm64: QemuStatus,
    repository: str,
    token_inputs: dict[str, str],
) -> None:
    image = f"{token_registry.address}/{repository}"
    for platform in ("linux/amd64", "linux/arm64"):
        ok(
            run_build_push(
                tmp_path / platform.replace("/", "-"),
                token_app,
                {"images": image, "platforms": platform, "mode": "digest", **token_inputs},
            )
        )
    merged = ok(
        run_build_push(
            tmp_path / "merge",
            token_app,
            {
                "images": image,
                "mode": "merge",
                "platforms": "linux/amd64,linux/arm64",
                **token_inputs,
            },
        )
    )
    assert merged.tags == [f"{image}:latest", f"{image}:sha-0123456"]
    assert set(merged.platform_digests) == {"linux/amd64", "linux/arm64"}
    assert inspect_platforms(f"{image}:latest", token_registry.docker_env()) == [
        "linux/amd64",
        "linux/arm64",
    ]


def test_wrong_password_for_a_token_registry_is_exit_2_and_nothing_is_pushed(
    tmp_path: Path,
    token_app: Path,
    token_registry: Registry,
    token_server: TokenServer,
    repository: str,
    token_inputs: dict[str, str],
) -> None:
    image = f"{token_registry.address}/{repository}"
    refused = len(token_server.refused)
    run = run_build_push(
        tmp_path,
        token_app,
        {**token_inputs, "images": image, "registry-password": "not-the-password"},
    )
    assert run.code == ExitCode.BAD_INPUT, run.log[-3000:]
    (error,) = run.annotations("error")
    assert "title=Registry authentication failed" in error
    assert f"refused to let user '{token_registry.username}'" in error
    assert "docker buildx build" not in run.log
    assert token_server.refused[refused:] == [token_registry.username]
    assert registry_api(token_registry).tags(repository) == []
    assert "not-the-password" not in run.visible


def test_a_user_without_push_rights_gets_a_token_the_registry_refuses(
    token_registry: Registry, token_server: TokenServer
) -> None:
    token_server.users["reader"] = User("reader-password", actions=("pull",))
    reader = RegistryClient(
        HttpClient(timeout=10),
        token_registry.address,
        token_registry.url,
        Credentials("reader", "reader-password"),
    )
    reader.ping()
    assert reader.tags("token/readable") == []
    with pytest.raises(RegistryDenied) as denied:
        reader.check_push("token/readable")
    assert denied.value.status == 401 and denied.value.action == "push"


def test_an_expired_token_is_renewed(token_registry: Registry, token_server: TokenServer) -> None:
    """Tokens that expire 2 s after they are issued (with the registry's 60 s leeway), while
    the token server says they last a minute: the registry's 401 renews them."""
    api = registry_api(token_registry)
    saved = token_server.lifetime
    token_server.lifetime = -58
    try:
        before = len(token_server.tokens_for(token_registry.username))
        assert api.tags("token/renewal") == []
        first = len(token_server.tokens_for(token_registry.username))
        assert api.tags("token/renewal") == []  # the cached token still works
        assert len(token_server.tokens_for(token_registry.username)) == first
        time.sleep(3)  # the token expires (no timed assertion: the registry decides)
        assert api.tags("token/renewal") == []
        assert len(token_server.tokens_for(token_registry.username)) == first + 1 > before
    finally:
        token_server.lifetime = saved


def test_a_token_is_renewed_before_it_expires(scripted: ScriptedHttpServer) -> None:
    challenge = f'Bearer realm="{scripted.url}/token",service="r"'
    clock = FakeClock(1000.0)
    api = RegistryClient(HttpClient(timeout=5), "r", scripted.url, Credentials("a", "b"))
    api.clock = clock
    scripted.answer(401, "{}", WWW_Authenticate=challenge)
    scripted.answer(200, json.dumps({"token": "t1", "expires_in": 60}))
    scripted.answer(200, json.dumps({"tags": []}))
    api.tags("acme/app")
    clock.sleep(30)
    scripted.answer(200, json.dumps({"tags": []}))
    api.tags("acme/app")  # still fresh: sent as is
    clock.sleep(25)  # 55 s: within the renewal margin
    scripted.answer(401, "{}", WWW_Authenticate=challenge)
    scripted.answer(200, json.dumps({"token": "t2", "expires_in": 60}))
    scripted.answer(200, json.dumps({"tags": []}))
    api.tags("acme/app")
    auth = [r.headers.get("Authorization", "") for r in scripted.requests]
    assert auth[3] == "Bearer t1"
    assert auth[4] == ""  # the old token is not sent once it is about to expire
    assert auth[-1] == "Bearer t2"


@pytest.fixture
def scripted() -> Iterator[ScriptedHttpServer]:
    server = ScriptedHttpServer().start()
    yield server
    server.stop()


#: A documentation address (TEST-NET-1, RFC 5737): nothing answers there.
ELSEWHERE = "http://192.0.2.1:9/token"


def test_credentials_are_not_sent_to_a_plain_http_realm_on_another_host(
    scripted: ScriptedHttpServer,
) -> None:
    """Hardening (issue 8, item 11): a registry naming a token service on another host over
    plain HTTP does not get the user's Basic credentials sent there (before the fix the
    client connected to it, with them)."""
    scripted.answer(401, "{}", WWW_Authenticate=f'Bearer realm="{ELSEWHERE}",service="r"')
    api = RegistryClient(
        HttpClient(timeout=2, retry=RetryPolicy(attempts=1)),
        "r",
        scripted.url,
        Credentials("alice", "s3cret"),
    )
    with pytest.raises(ConfigError, match="over plain HTTP") as refused:
        api.ping()
    assert refused.value.title == "Insecure token service"
    assert "s3cret" not in str(refused.value)
    # anonymous: nothing to leak, the token is asked for
    scripted.answer(401, "{}", WWW_Authenticate=f'Bearer realm="{scripted.url}/token"')
    scripted.answer(200, json.dumps({"token": "t"}))
    scripted.answer(200, "{}")
    RegistryClient(HttpClient(timeout=2), "r", scripted.url, None).ping()


def test_a_plain_http_realm_on_the_registrys_host_or_loopback_is_fine(
    scripted: ScriptedHttpServer,
) -> None:
    api = RegistryClient(HttpClient(timeout=5), "r", scripted.url, Credentials("a", "b"))
    scripted.answer(401, "{}", WWW_Authenticate=f'Bearer realm="{scripted.url}/token"')
    scripted.answer(200, json.dumps({"token": "t"}))
    scripted.answer(200, "{}")
    api.ping()
    # a token server on another loopback address (127.0.0.1 -> localhost) stays on the machine
    local = scripted.url.replace("127.0.0.1", "localhost")
    other = RegistryClient(HttpClient(timeout=5), "r", scripted.url, Credentials("a", "b"))
    scripted.answer(401, "{}", WWW_Authenticate=f'Bearer realm="{local}/token"')
    scripted.answer(200, json.dumps({"token": "t2"}))
    scripted.answer(200, "{}")
    other.ping()
    assert scripted.requests[-1].headers["Authorization"] == "Bearer t2"
