"""Image names, platforms, metadata, error explanations and the build plan: pure functions."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from shipyard.build_push import errors
from shipyard.build_push.buildx import BuilderInfo, parse_inspect
from shipyard.build_push.images import is_loopback, parse_image
from shipyard.build_push.metadata import (
    RepositoryInfo,
    build_info_args,
    clock,
    oci_labels,
)
from shipyard.build_push.plan import (
    BuildOptions,
    BuildOutput,
    CachePlan,
    CredentialError,
    DigestError,
    NoTagsError,
    build_argv,
    parse_digests,
    parse_logins,
    platform_tag,
    push_without_tags,
    qemu_hint,
    resolve_cache,
    resolve_credentials,
    resolve_push,
    unbuildable,
)
from shipyard.build_push.platforms import Platform, parse_platform, parse_platforms
from shipyard.build_push.registry import Credentials, parse_challenge
from shipyard.build_push.tags import RefContext
from shipyard.runtime import ExitCode

NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
AMD64, ARM64 = Platform("linux", "amd64"), Platform("linux", "arm64")
DOCKER = BuilderInfo("default", "docker", (AMD64, ARM64, Platform("linux", "386")))
CONTAINER = BuilderInfo("multi", "docker-container", (AMD64, ARM64))
D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64


# --- images --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "registry", "repository", "api_base"),
    [
        (
            "ghcr.io/Acme/Repo-Backend",
            "ghcr.io/acme/repo-backend",
            "ghcr.io",
            "acme/repo-backend",
            "https://ghcr.io",
        ),
        (
            "docker.io/user/app",
            "docker.io/user/app",
            "docker.io",
            "user/app",
            "https://registry-1.docker.io",
        ),
        ("user/app", "user/app", "docker.io", "user/app", "https://registry-1.docker.io"),
        ("nginx", "nginx", "docker.io", "library/nginx", "https://registry-1.docker.io"),
        (
            "127.0.0.1:5000/a/b",
            "127.0.0.1:5000/a/b",
            "127.0.0.1:5000",
            "a/b",
            "http://127.0.0.1:5000",
        ),
        ("localhost:5000/x", "localhost:5000/x", "localhost:5000", "x", "http://localhost:5000"),
        (
            "registry.example.com:8443/team/app",
            "registry.example.com:8443/team/app",
            "registry.example.com:8443",
            "team/app",
            "https://registry.example.com:8443",
        ),
    ],
)
def test_parse_image(text: str, name: str, registry: str, repository: str, api_base: str) -> None:
    image = parse_image(text)
    assert (image.name, image.registry, image.repository, image.api_base) == (
        name,
        registry,
        repository,
        api_base,
    )
    assert image.lowered == (text != text.lower())
    assert image.ref("1.0") == f"{name}:1.0"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("ghcr.io/acme/app:1.0", "has a tag"),
        ("ghcr.io/acme/app@sha256:abc", "has a digest"),
        ("ghcr.io/acme/-app", "not a valid repository name component"),
        ("ghcr.io/acme//app", "not a valid repository name component"),
        ("", "empty"),
    ],
)
def test_bad_image_names(text: str, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        parse_image(text)


def test_loopback_and_references() -> None:
    assert is_loopback("127.0.0.1:5000") and is_loopback("127.5.5.5") and is_loopback("localhost")
    assert not is_loopback("ghcr.io") and not is_loopback("10.0.0.1:5000")


# --- platforms -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("linux/amd64", "linux/amd64"),
        ("linux/arm64/v8", "linux/arm64"),
        ("arm64", "linux/arm64"),
        ("linux/aarch64", "linux/arm64"),
        ("linux/x86_64", "linux/amd64"),
        ("linux/arm", "linux/arm/v7"),
        ("linux/arm/v6", "linux/arm/v6"),
        (" Linux/AMD64 ", "linux/amd64"),
    ],
)
def test_parse_platform(text: str, expected: str) -> None:
    assert str(parse_platform(text)) == expected


def test_bad_platforms_and_duplicates() -> None:
    with pytest.raises(ValueError, match="is not a platform"):
        parse_platform("linux/")
    with pytest.raises(ValueError):
        parse_platform("a/b/c/d")
    assert parse_platforms(["linux/amd64", "amd64", "linux/arm64"]) == [AMD64, ARM64]
    assert parse_platform("linux/arm/v7").slug == "linux-arm-v7"


def test_unbuildable_platforms_and_the_qemu_fix() -> None:
    riscv = Platform("linux", "riscv64")
    assert unbuildable([AMD64, ARM64], DOCKER, lambda p: False) == []
    assert unbuildable([riscv], DOCKER, lambda p: False) == [riscv]
    assert unbuildable([riscv], DOCKER, lambda p: p.arch == "riscv64") == []
    amd_only = BuilderInfo("default", "docker", (AMD64,))
    assert unbuildable([Platform("linux", "386")], amd_only, lambda p: False) == []
    assert unbuildable([ARM64], amd_only, lambda p: False) == [ARM64]
    hint = qemu_hint([riscv, ARM64])
    assert "tonistiigi/binfmt --install arm64,riscv64" in hint and "qemu-user-static" in hint
    assert "mode: digest" in hint


def test_parse_buildx_inspect() -> None:
    text = (
        "Name:   default\nDriver: docker\n\nNodes:\nName:             default\n"
        "Endpoint:         default\nStatus:           running\nBuildKit version: v0.8+unknown\n"
        "Platforms:        linux/amd64*, linux/arm64, linux/386\n"
    )
    name, driver, platforms, buildkit = parse_inspect(text)
    assert (name, driver, buildkit) == ("default", "docker", "v0.8+unknown")
    assert [str(p) for p in platforms] == ["linux/amd64", "linux/arm64", "linux/386"]
    assert not DOCKER.multi_platform and CONTAINER.multi_platform
    assert BuilderInfo("default", "docker", (AMD64,), containerd_store=True).multi_platform


# --- push and credentials ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "event", "expected"),
    [
        ("auto", "push", True),
        ("auto", "schedule", True),
        ("auto", "workflow_dispatch", True),
        ("auto", "repository_dispatch", True),
        ("auto", "release", True),
        ("auto", "pull_request", False),
        ("auto", "pull_request_target", False),
        ("auto", "merge_group", False),
        ("auto", "", False),
        ("true", "pull_request", True),
        ("false", "push", False),
    ],
)
def test_resolve_push(setting: str, event: str, expected: bool) -> None:
    assert resolve_push(setting, event)[0] is expected


def test_no_tag_builds_without_pushing_unless_push_is_true() -> None:
    rules = ["type=semver,pattern={{version}}", "type=edge"]
    where = "refs/heads/my/feature#1245 (push event)"
    for setting in ("auto", "false"):
        reason, notice = push_without_tags(setting, rules, where)
        assert reason == f"push: {setting}, and the tag rules made no tag for {where}"
        assert f"for {where}: type=semver,pattern={{{{version}}}}; type=edge." in notice
        assert "built and checked, not pushed" in notice
    with pytest.raises(NoTagsError, match=r"push: true needs one") as caught:
        push_without_tags("true", rules, where)
    assert "type=edge" in str(caught.value) and where in str(caught.value)


def test_credentials_ghcr_with_another_registry_uses_the_job_token() -> None:
    creds = resolve_credentials(
        ["ghcr.io", "docker.io"],
        username="dockeruser",
        password="hub-token",
        logins={},
        github_token="ghs_job",
        actor="octocat",
    )
    assert creds["ghcr.io"] == Credentials("octocat", "ghs_job", "job token")
    assert creds["docker.io"] == Credentials("dockeruser", "hub-token", "registry-username")


def test_credentials_only_ghcr_uses_explicit_ones_then_the_job_token() -> None:
    explicit = resolve_credentials(
        ["ghcr.io"], username="", password="ghp_pat", logins={}, github_token="ghs", actor="me"
    )
    assert explicit["ghcr.io"] == Credentials("me", "ghp_pat", "registry-username")
    default = resolve_credentials(
        ["ghcr.io"], username="", password="", logins={}, github_token="ghs", actor="me"
    )
    assert default["ghcr.io"] == Credentials("me", "ghs", "job token")


def test_credentials_logins_win_and_errors_name_the_input() -> None:
    logins = parse_logins("127.0.0.1:5000=bob:pa:ss=word\n# comment\n")
    assert logins["127.0.0.1:5000"] == Credentials("bob", "pa:ss=word", "registry-logins")
    creds = resolve_credentials(
        ["127.0.0.1:5000", "quay.io"],
        username="u",
        password="p",
        logins=logins,
        github_token="",
        actor="",
    )
    assert creds["127.0.0.1:5000"].username == "bob"  # type: ignore[union-attr]
    assert creds["quay.io"] == Credentials("u", "p", "registry-username")
    with pytest.raises(CredentialError) as bad:
        parse_logins("quay.io=nopassword")
    assert bad.value.input_name == "registry-logins" and "nopassword" not in str(bad.value)
    with pytest.raises(CredentialError) as missing:
        resolve_credentials(
            ["quay.io"], username="u", password="", logins={}, github_token="", actor=""
        )
    assert missing.value.input_name == "registry-password"
    with pytest.raises(CredentialError) as no_user:
        resolve_credentials(
            ["quay.io"], username="", password="p", logins={}, github_token="", actor=""
        )
    assert no_user.value.input_name == "registry-username"


# --- cache ---------------------------------------------------------------------------------


def cache(requested: str, builder: BuilderInfo = DOCKER, **kw: object) -> CachePlan:
    args: dict[str, object] = {
        "cache_ref": "",
        "builder": builder,
        "on_github": False,
        "gha": False,
        "image": parse_image("ghcr.io/acme/app"),
        "source_tag": "latest",
        "scope": "",
        "local_root": "/cache",
        "pushing": True,
    }
    args.update(kw)
    return resolve_cache(requested, **args)  # type: ignore[arg-type]


def test_cache_auto_picks_gha_registry_or_local() -> None:
    gha = cache("auto", CONTAINER, on_github=True, gha=True, scope="linux-arm64")
    assert gha.mode == "gha" and gha.cache_from == ("type=gha,scope=acme-app-linux-arm64",)
    assert "ignore-error=true" in gha.cache_to[0]
    registry = cache("auto", CONTAINER, cache_ref="ghcr.io/acme/cache:app")
    assert registry.mode == "registry"
    assert registry.cache_to == (
        "type=registry,ref=ghcr.io/acme/cache:app,mode=max,ignore-error=true",
    )
    local = cache("auto", CONTAINER)
    assert local.mode == "local" and local.local_dir == "/cache/acme-app"
    assert local.cache_to == ("type=local,dest=/cache/acme-app-new,mode=max,ignore-error=true",)
    # the docker driver cannot export: auto is the engine's cache, silently
    engine = cache("auto", DOCKER, on_github=True, gha=True)
    assert engine.mode == "local" and not engine.uses_cache_backend and not engine.warning


def test_cache_the_builder_cannot_export_is_downgraded_with_a_warning() -> None:
    gha = cache("gha", DOCKER, on_github=True, gha=True)
    assert not gha.uses_cache_backend and "cannot export cache" in gha.warning
    no_token = cache("gha", CONTAINER, on_github=True, gha=False)
    assert "ACTIONS_RUNTIME_TOKEN" in no_token.warning
    registry = cache("registry", DOCKER, scope="linux-amd64")
    assert registry.cache_from == ("type=registry,ref=ghcr.io/acme/app:buildcache-linux-amd64",)
    assert registry.cache_to == ("type=inline",) and "importing it only" in registry.warning


def test_cache_inline_and_none() -> None:
    inline = cache("inline")
    assert inline.cache_to == ("type=inline",)
    assert inline.cache_from == ("type=registry,ref=ghcr.io/acme/app:latest",)
    none = cache("none")
    assert none.no_cache and not none.uses_cache_backend
    assert cache("gha", CONTAINER, gha=True).without_backend().cache_to == ()


# --- argv ----------------------------------------------------------------------------------


def test_build_argv_for_a_push() -> None:
    options = BuildOptions(
        context="/w",
        file="/w/Dockerfile.prod",
        target="runtime",
        build_args={"A": "1 2"},
        labels={"l": "v,w"},
        pull=True,
        builder="multi",
    )
    argv = build_argv(
        options,
        [AMD64, ARM64],
        BuildOutput("push", ("r/a:1", "r/a:latest")),
        cache("registry", CONTAINER),
    )
    assert argv[:2] == ["--platform", "linux/amd64,linux/arm64"]
    for pair in (
        ["--builder", "multi"],
        ["--file", "/w/Dockerfile.prod"],
        ["--target", "runtime"],
        ["--build-arg", "A=1 2"],
        ["--label", "l=v,w"],
        ["--tag", "r/a:1"],
        ["--tag", "r/a:latest"],
    ):
        assert any(argv[i : i + 2] == pair for i in range(len(argv))), pair
    assert "--provenance=false" in argv and "--sbom=false" in argv and "--pull" in argv
    assert "--push" in argv and argv[-1] == "/w"


def test_build_argv_outputs() -> None:
    options = BuildOptions(context=".")
    none = CachePlan("none", no_cache=True)
    assert "--no-cache" in build_argv(options, [AMD64], BuildOutput("cacheonly"), none)
    assert "--load" in build_argv(options, [AMD64], BuildOutput("load", ("r/a:1",)), none)
    assert "type=cacheonly" in build_argv(options, [AMD64], BuildOutput("cacheonly"), none)


def test_platform_tag() -> None:
    assert platform_tag("sha-0123456", Platform("linux", "arm", "v7")) == "sha-0123456-linux-arm-v7"


# --- digests -------------------------------------------------------------------------------


def test_parse_digests_in_every_form() -> None:
    assert [s.digest for s in parse_digests(f"{D1}\n{D2}\n")] == [D1, D2]
    mixed = parse_digests(f'{{"linux/amd64": "{D1}"}}\nghcr.io/Acme/App@{D2}')
    assert (mixed[0].platform, mixed[1].image) == ("linux/amd64", "ghcr.io/acme/app")
    as_json = parse_digests(f'{{"linux/amd64": "{D1}", "linux/arm64": "{D2}"}}')
    assert [(s.platform, s.digest) for s in as_json] == [("linux/amd64", D1), ("linux/arm64", D2)]
    assert len(parse_digests(f"{D1}\n{D1}")) == 1
    assert parse_digests("  ") == []
    with pytest.raises(DigestError, match="is not a sha256"):
        parse_digests("sha256:abc")


# --- metadata ------------------------------------------------------------------------------


def test_build_info_and_oci_labels() -> None:
    ref = RefContext(event_name="push", ref="refs/heads/main", sha="a" * 40, now=NOW)
    repo = RepositoryInfo.from_event(
        {
            "repository": {
                "name": "app",
                "description": "The app",
                "html_url": "https://github.com/acme/app",
                "license": {"spdx_id": "Apache-2.0"},
            }
        }
    )
    args = build_info_args(ref, "1.2.3", "17", NOW)
    assert args == {
        "BUILD_VERSION": "1.2.3",
        "BUILD_SHA": "a" * 40,
        "BUILD_TIME": "2024-05-06T07:08:09Z",
        "BUILD_NUMBER": "17",
        "BUILD_BRANCH": "main",
    }
    labels = oci_labels(ref, repo, "1.2.3", NOW)
    prefix = "org.opencontainers.image."
    assert labels == {
        prefix + "title": "app",
        prefix + "description": "The app",
        prefix + "url": "https://github.com/acme/app",
        prefix + "source": "https://github.com/acme/app",
        prefix + "version": "1.2.3",
        prefix + "created": "2024-05-06T07:08:09Z",
        prefix + "revision": "a" * 40,
        prefix + "licenses": "Apache-2.0",
    }
    pr = RefContext(event_name="pull_request", ref="refs/pull/3/merge", head_ref="fix/x", now=NOW)
    assert build_info_args(pr, "pr-3", "", NOW)["BUILD_BRANCH"] == "fix/x"
    assert "BUILD_NUMBER" not in build_info_args(pr, "pr-3", "", NOW)


def test_repository_info_without_a_payload_and_the_clock() -> None:
    info = RepositoryInfo.from_event({}, "acme/app", "https://github.example.com")
    assert (info.name, info.html_url) == ("app", "https://github.example.com/acme/app")
    assert clock({"SOURCE_DATE_EPOCH": "0"}) == datetime(1970, 1, 1, tzinfo=timezone.utc)


def test_parse_challenge() -> None:
    scheme, params = parse_challenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:acme/app:pull,push"'
    )
    assert scheme == "bearer"
    assert params == {
        "realm": "https://auth.docker.io/token",
        "service": "registry.docker.io",
        "scope": "repository:acme/app:pull,push",
    }
    assert parse_challenge('Basic realm="x"') == ("basic", {"realm": "x"})


# --- error explanations (texts captured from buildx 0.13.1 and dockerd 20.10) ---------------

RUN_FAILED = """\
#6 [2/2] RUN echo hello-from-run && exit 3
#6 0.230 hello-from-run
#6 ERROR: executor failed running [/bin/sh -c echo hello-from-run && exit 3]: exit code: 3
------
 > [2/2] RUN echo hello-from-run && exit 3:
0.230 hello-from-run
------
ERROR: failed to solve: executor failed running [/bin/sh -c echo hello-from-run && exit 3]: exit code: 3
"""  # noqa: E501 (captured output)
RUN_FAILED_NEW = """\
#7 [build 3/4] RUN make
#7 1.02 make: *** No rule to make target.  Stop.
#7 ERROR: process "/bin/sh -c make" did not complete successfully: exit code: 2
ERROR: failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2
"""
SECRET_MISSING = """\
#5 [2/2] RUN --mount=type=secret,id=npm,required=true cat /run/secrets/npm >/dev/null
#5 ERROR: secret npm not found: not found
------
 > [2/2] RUN --mount=type=secret,id=npm,required=true cat /run/secrets/npm >/dev/null:
------
ERROR: failed to solve: secret npm not found: not found
"""
SSH_MISSING = """\
#5 [2/2] RUN --mount=type=ssh,required=true cat /dev/null
#5 ERROR: rpc error: code = Unknown desc = unset ssh forward key default
------
 > [2/2] RUN --mount=type=ssh,required=true cat /dev/null:
------
ERROR: failed to solve: rpc error: code = Unknown desc = unset ssh forward key default
"""
COPY_MISSING = """\
#6 [2/2] COPY nothere.txt /x
#6 ERROR: "/nothere.txt" not found: not found
------
 > [2/2] COPY nothere.txt /x:
------
ERROR: failed to solve: failed to compute cache key: "/nothere.txt" not found: not found
"""
NO_DOCKERFILE = """\
#1 [internal] load build definition from Nope
#1 transferring dockerfile: 2B done
#1 DONE 0.0s
ERROR: failed to solve: rpc error: code = Unknown desc = failed to solve with frontend dockerfile.v0: failed to read dockerfile: open /var/lib/docker/tmp/buildkit-mount3915066514/Nope: no such file or directory
"""  # noqa: E501 (captured output)
SYNTAX = (
    "ERROR: failed to solve: rpc error: code = Unknown desc = failed to solve with frontend "
    "dockerfile.v0: failed to create LLB definition: dockerfile parse error line 2: unknown "
    "instruction: RUNN\n"
)
MULTI = (
    "ERROR: Multi-platform build is not supported for the docker driver.\nSwitch to a "
    "different driver, or turn on the containerd image store, and try again.\n"
)
MANIFEST_LIST = "ERROR: docker exporter does not currently support exporting manifest lists\n"
UPPERCASE = 'ERROR: invalid tag "127.0.0.1:35289/Exp/App:x": repository name must be lowercase\n'
UNREACHABLE = (
    " > pushing 127.0.0.1:1/exp/app:x with docker:\n------\n"
    'ERROR: Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused\n'
)
UNAUTHORIZED = (
    "#3 [internal] load metadata for 127.0.0.1:35289/testbed/busybox:latest\n"
    "#3 ERROR: pulling from host 127.0.0.1:35289 failed with status code [manifests latest]: "
    "401 Unauthorized\n"
    "ERROR: failed to solve: pulling from host 127.0.0.1:35289 failed with status code "
    "[manifests latest]: 401 Unauthorized\n"
)
PUSH_503 = (
    " > pushing 127.0.0.1:32807/exp/proxy:latest with docker:\n------\n"
    "ERROR: received unexpected HTTP status: 503 Service Unavailable\n"
)
CACHE_EXPORT = """\
#12 exporting cache to GitHub Actions Cache
#12 preparing build cache for export
#12 ERROR: failed to parse error response 400: <h2>Our services aren't available right now</h2>
------
 > exporting cache to GitHub Actions Cache:
------
ERROR: failed to solve: failed to parse error response 400
"""
CACHE_UNSUPPORTED = (
    "ERROR: Cache export is not supported for the docker driver.\nSwitch to a different "
    "driver, or turn on the containerd image store, and try again.\n"
)


@pytest.mark.parametrize(
    ("output", "kind", "code", "needle"),
    [
        (RUN_FAILED, "run-failed", ExitCode.FAILURE, "exited with code 3"),
        (RUN_FAILED_NEW, "run-failed", ExitCode.FAILURE, "No rule to make target"),
        (COPY_MISSING, "copy-missing", ExitCode.FAILURE, "/nothere.txt is not in the build"),
        (SECRET_MISSING, "secret-missing", ExitCode.BAD_INPUT, "mounts the secret 'npm'"),
        (SSH_MISSING, "ssh-missing", ExitCode.BAD_INPUT, "mounts the SSH agent 'default'"),
        (
            'ERROR: failed to solve: no SSH key "github" forwarded from the client\n',
            "ssh-missing",
            ExitCode.BAD_INPUT,
            "SSH agent 'github'",
        ),
        (NO_DOCKERFILE, "missing-dockerfile", ExitCode.BAD_INPUT, "no Dockerfile at"),
        (SYNTAX, "dockerfile-syntax", ExitCode.FAILURE, "unknown instruction: RUNN"),
        (MULTI, "multi-platform-driver", ExitCode.BAD_INPUT, "one platform at a time"),
        (
            MANIFEST_LIST,
            "manifest-list-docker-exporter",
            ExitCode.BAD_INPUT,
            "one platform per tag",
        ),
        (UPPERCASE, "uppercase", ExitCode.BAD_INPUT, "127.0.0.1:35289/Exp/App:x"),
        (UNREACHABLE, "unreachable", ExitCode.EXTERNAL, "127.0.0.1:1"),
        (UNAUTHORIZED, "unauthorized", ExitCode.BAD_INPUT, "127.0.0.1:35289 answered 401"),
        (PUSH_503, "registry-error", ExitCode.EXTERNAL, "503 Service Unavailable"),
        (CACHE_UNSUPPORTED, "cache-export-driver", ExitCode.BAD_INPUT, "cannot export"),
        ("ERROR: something odd\n", "unknown", ExitCode.FAILURE, "something odd"),
    ],
)
def test_explain(output: str, kind: str, code: ExitCode, needle: str) -> None:
    explanation = errors.explain(output, dockerfile="/w/Dockerfile")
    assert (explanation.kind, explanation.exit_code) == (kind, code), explanation
    assert needle in explanation.message, explanation.message
    assert explanation.hint
    assert explanation.error().exit_code == code


RUN_FAILED_WITH_CACHE_IMPORT_ERROR = (
    "#5 importing cache manifest from 127.0.0.1:5000/a/b:buildcache\n"
    "#5 ERROR: 127.0.0.1:5000/a/b:buildcache: not found\n" + RUN_FAILED
)
DENIED = (
    " > pushing ghcr.io/acme/app:latest with docker:\n------\n"
    "ERROR: denied: permission_denied: write_package\n"
)


def test_a_run_failure_next_to_a_cache_import_error_is_still_a_run_failure() -> None:
    assert not errors.is_cache_failure(RUN_FAILED_WITH_CACHE_IMPORT_ERROR)
    explanation = errors.explain(RUN_FAILED_WITH_CACHE_IMPORT_ERROR)
    assert explanation.kind == "run-failed"


def test_a_denied_push_names_the_permission() -> None:
    explanation = errors.explain(DENIED, registries=["ghcr.io"])
    assert (explanation.kind, explanation.exit_code) == ("denied", ExitCode.BAD_INPUT)
    assert "write_package" in explanation.message and "packages: write" in explanation.hint


def test_retryable_and_cache_failures() -> None:
    assert errors.is_retryable(PUSH_503) and errors.is_retryable(UNREACHABLE)
    assert not errors.is_retryable(RUN_FAILED)
    assert errors.is_cache_failure(CACHE_EXPORT)
    assert errors.is_cache_failure(CACHE_UNSUPPORTED)
    assert not errors.is_cache_failure(COPY_MISSING)  # "failed to compute cache key" is a COPY
    assert not errors.is_cache_failure(RUN_FAILED)
    step = errors.failed_steps(RUN_FAILED)[0]
    assert step.name == "[2/2] RUN echo hello-from-run && exit 3"
    assert step.log == ("hello-from-run",)


def test_registry_denied_explains_who_where_and_what() -> None:
    ghcr = errors.registry_denied(
        registry="ghcr.io",
        username="octocat",
        credential_source="job token",
        status=403,
        action="push",
        repository="acme/app",
        detail="DENIED: permission_denied: write_package",
    )
    assert ghcr.exit_code == ExitCode.BAD_INPUT
    assert "user 'octocat' (job token) push to ghcr.io/acme/app: HTTP 403" in ghcr.message
    assert ghcr.hint and "packages: write" in ghcr.hint
    hub = errors.registry_denied(
        registry="docker.io",
        username="bob",
        credential_source="registry-username",
        status=401,
        action="login",
    )
    assert hub.hint and "access token" in hub.hint
    anonymous = errors.registry_denied(
        registry="quay.io",
        username="",
        credential_source="no credentials",
        status=401,
        action="push",
    )
    assert anonymous.hint and anonymous.hint.startswith("No credentials were given for quay.io")


# --- images with metadata-action's attributes (issue 9) ------------------------------------


def test_image_lines_with_enable_attributes() -> None:
    from shipyard.build_push.images import parse_image_lines

    names = parse_image_lines(
        ["org/app", "name=ghcr.io/User/App,enable=true", "ghcr.io/user/off,enable=false"]
    )
    assert [image.name for image in names] == ["org/app", "ghcr.io/user/app"]
    assert [i.name for i in parse_image_lines(["org/app, ghcr.io/user/app"])] == [
        "org/app",
        "ghcr.io/user/app",
    ]
    # a disabled line is skipped before its name is read
    assert parse_image_lines(["name=NOT A NAME!,enable=false", "a/b"])[0].name == "a/b"
    with pytest.raises(ValueError, match="enable must be true or false"):
        parse_image_lines(["a/b,enable=maybe", "c/d"])
    with pytest.raises(ValueError, match="unknown attribute 'colour'"):
        parse_image_lines(["a/b,colour=red", "c/d"])
    with pytest.raises(ValueError, match="has no image name"):
        parse_image_lines(["enable=true", "c/d"])
