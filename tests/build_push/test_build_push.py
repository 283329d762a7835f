"""build-push against the real test bed: dockerd with buildx (docker driver), QEMU for arm64,
and a registry with htpasswd auth (behind a faulty proxy where a test needs 503s)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from shipyard.build_push.buildx import BuilderInfo, CommandResult, Docker
from shipyard.build_push.job import Job
from shipyard.build_push.platforms import Platform
from shipyard.runtime import ExitCode, FakeClock
from tests.build_push._run import PR_HEAD, SHA, BuildPushRun, registry_api, run_build_push
from tests.build_push.conftest import write_app
from tests.services.base_images import BaseImage, inspect_platforms
from tests.services.dockerd import Buildx, DockerEngine
from tests.services.faulty_proxy import FaultyProxy
from tests.services.qemu import QemuStatus
from tests.services.registry import Registry, private_docker_config

pytestmark = pytest.mark.usefixtures("buildx")


def docker(
    engine: DockerEngine, registry: Registry, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [engine.docker, *args],
        env=registry.docker_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def ok(run: BuildPushRun) -> BuildPushRun:
    assert run.code == 0, run.log[-4000:] + run.summary
    return run


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The docker-level retries wait on a fake clock here (2s, 4s, 8s on a runner)."""
    monkeypatch.setattr(Job, "clock", FakeClock())


def test_two_platform_build_pushes_an_index_whose_images_run_their_architecture(
    tmp_path: Path,
    app: Path,
    registry: Registry,
    docker_engine: DockerEngine,
    qemu_arm64: QemuStatus,
    repository: str,
    registry_inputs: dict[str, str],
) -> None:
    image = f"{registry.address}/{repository}"
    run = ok(
        run_build_push(
            tmp_path / "run",
            app,
            {"images": image, "platforms": "linux/amd64,linux/arm64", **registry_inputs},
        )
    )
    # the index lists both platforms, under every tag
    assert inspect_platforms(f"{image}:latest", registry.docker_env()) == [
        "linux/amd64",
        "linux/arm64",
    ]
    assert run.tags == [f"{image}:latest", f"{image}:sha-0123456"]
    assert run.outputs["image-refs"] == f"{image}@{run.digest}"
    assert run.outputs["pushed"] == "true" and run.outputs["version"] == "sha-0123456"
    api = registry_api(registry)
    name = repository
    index = api.manifest(name, "latest")
    assert index is not None and index.is_index and index.digest == run.digest
    assert api.manifest(name, "sha-0123456").digest == run.digest  # type: ignore[union-attr]
    # each platform's image runs (arm64 under QEMU) and reports its architecture, at build
    # time (the RUN step wrote /arch) and at run time
    expected = {"linux/amd64": "x86_64", "linux/arm64": "aarch64"}
    assert set(run.platform_digests) == set(expected)
    for platform, machine in expected.items():
        ref = f"{image}@{run.platform_digests[platform]}"
        built = docker(docker_engine, registry, "run", "--rm", ref)
        assert built.stdout.strip() == machine, built.stderr
        now = docker(docker_engine, registry, "run", "--rm", ref, "uname", "-m")
        assert now.stdout.strip() == machine, now.stderr
    # build-info: labels and build args reached the image config
    config = json.loads(
        docker(
            docker_engine,
            registry,
            "image",
            "inspect",
            f"{image}@{run.platform_digests['linux/arm64']}",
        ).stdout
    )[0]["Config"]["Labels"]
    assert config["org.opencontainers.image.revision"] == SHA
    assert config["org.opencontainers.image.source"] == "https://github.com/your-org/app"
    assert config["org.opencontainers.image.licenses"] == "MIT"
    assert config["app.version"] == "sha-0123456"  # BUILD_VERSION consumed by the Dockerfile
    # the summary: table of image, tags, digest, platforms, sizes, and the pull command
    assert f"| {image} | latest, sha-0123456 | `{run.digest}` | linux/amd64, linux/arm64 |" in (
        run.summary
    )
    assert "KB" in run.summary or "MB" in run.summary
    assert f"docker pull {image}:latest" in run.summary
    assert run.metadata["sizes"]["linux/arm64"] > 0
    assert registry.password not in run.visible


def test_single_platform_image_is_a_plain_manifest(
    tmp_path: Path, app: Path, registry: Registry, repository: str, registry_inputs: dict[str, str]
) -> None:
    image = f"{registry.address}/{repository}"
    run = ok(run_build_push(tmp_path, app, {"images": image, **registry_inputs}))
    manifest = registry_api(registry).manifest(repository, "latest")
    assert manifest is not None and not manifest.is_index  # provenance/sbom off by default
    assert run.platform_digests == {"linux/amd64": run.digest}


def test_release_tags_and_a_hotfix_below_the_highest_release(
    tmp_path: Path, app: Path, registry: Registry, repository: str, registry_inputs: dict[str, str]
) -> None:
    image = f"{registry.address}/{repository}"
    inputs = {"images": image, **registry_inputs}
    api = registry_api(registry)

    def digest(tag: str) -> str:
        found = api.manifest(repository, tag)
        assert found is not None, tag
        return found.digest

    v2 = ok(run_build_push(tmp_path / "v2", app, inputs, ref="refs/tags/v2.0.0"))
    assert v2.tags == [f"{image}:{t}" for t in ("2.0.0", "2.0", "2", "latest")]
    # the hotfix of the 1.x line: 1.4.1, 1.4 and 1 move, latest stays on 2.0.0
    (app / "hotfix.txt").write_text("fix\n")
    (app / "Dockerfile").write_text((app / "Dockerfile").read_text() + "COPY hotfix.txt /\n")
    hotfix = ok(run_build_push(tmp_path / "v141", app, inputs, ref="refs/tags/v1.4.1"))
    assert hotfix.tags == [f"{image}:{t}" for t in ("1.4.1", "1.4", "1")]
    assert "'latest' not moved to 1.4.1: the registry has 2.0.0" in hotfix.summary
    assert digest("latest") == digest("2.0.0") == v2.digest
    assert digest("1") == digest("1.4.1") == hotfix.digest != v2.digest
    # a pre-release gets its exact version only
    rc = ok(run_build_push(tmp_path / "rc", app, inputs, ref="refs/tags/v2.1.0-rc.1"))
    assert rc.tags == [f"{image}:2.1.0-rc.1"]
    assert digest("latest") == v2.digest and digest("2") == v2.digest
    assert "2.1.0-rc.1" in api.tags(repository)


def test_pull_request_builds_without_pushing_and_tags_the_head_sha(
    tmp_path: Path, app: Path, registry: Registry, repository: str, registry_inputs: dict[str, str]
) -> None:
    image = f"{registry.address}/{repository}"
    run = ok(
        run_build_push(
            tmp_path,
            app,
            {"images": image, "platforms": "linux/amd64,linux/arm64", **registry_inputs},
            event="pull_request",
            ref="refs/pull/12/merge",
            sha="9" * 40,
            pr=12,
        )
    )
    assert run.tags == [f"{image}:pr-12", f"{image}:sha-{PR_HEAD[:7]}"]
    assert run.outputs["pushed"] == "false" and run.digest == ""
    assert run.metadata["build-args"]["BUILD_SHA"] == PR_HEAD
    assert run.metadata["build-args"]["BUILD_BRANCH"] == "feature/login"
    assert "Not pushed: push: auto does not push for pull requests." in run.summary
    assert registry_api(registry).tags(repository) == []


def test_merge_mode_joins_two_separate_single_platform_runs(
    tmp_path: Path,
    app: Path,
    registry: Registry,
    qemu_arm64: QemuStatus,
    repository: str,
    registry_inputs: dict[str, str],
) -> None:
    image = f"{registry.address}/{repository}"
    runs = {}
    for platform in ("linux/amd64", "linux/arm64"):
        runs[platform] = ok(
            run_build_push(
                tmp_path / platform.replace("/", "-"),
                app,
                {"images": image, "platforms": platform, "mode": "digest", **registry_inputs},
            )
        )
    amd, arm = runs["linux/amd64"], runs["linux/arm64"]
    assert amd.tags == [f"{image}:sha-0123456-linux-amd64"]
    assert amd.digest == amd.platform_digests["linux/amd64"]
    api = registry_api(registry)
    assert api.manifest(repository, "latest") is None  # nothing tagged before the merge
    # merge with the digests the two jobs output (the platform-digests JSON and a bare one)
    digests = amd.outputs["platform-digests"] + "\n" + arm.digest
    merged = ok(
        run_build_push(
            tmp_path / "merge",
            app,
            {"images": image, "mode": "merge", "digests": digests, **registry_inputs},
        )
    )
    assert merged.tags == [f"{image}:latest", f"{image}:sha-0123456"]
    assert inspect_platforms(f"{image}:latest", registry.docker_env()) == [
        "linux/amd64",
        "linux/arm64",
    ]
    assert merged.platform_digests == {
        "linux/amd64": amd.digest,
        "linux/arm64": arm.digest,
    }
    # a matrix cannot pass its jobs' outputs: with digests empty, the merge job finds them
    found = ok(
        run_build_push(
            tmp_path / "merge2",
            app,
            {
                "images": image,
                "mode": "merge",
                "platforms": "linux/amd64,linux/arm64",
                "tags": "type=raw,value=found",
                **registry_inputs,
            },
        )
    )
    assert found.digest == merged.digest  # the same index, tagged again
    assert api.manifest(repository, "found").digest == merged.digest  # type: ignore[union-attr]


def test_merge_with_a_missing_platform_fails_before_tagging(
    tmp_path: Path, app: Path, registry: Registry, repository: str, registry_inputs: dict[str, str]
) -> None:
    image = f"{registry.address}/{repository}"
    ok(
        run_build_push(
            tmp_path / "amd",
            app,
            {"images": image, "mode": "digest", **registry_inputs},
        )
    )
    run = run_build_push(
        tmp_path / "merge",
        app,
        {
            "images": image,
            "mode": "merge",
            "platforms": "linux/amd64,linux/arm64",
            **registry_inputs,
        },
    )
    assert run.code == ExitCode.BAD_INPUT
    assert "No image was pushed for linux/arm64" in run.log
    assert registry_api(registry).manifest(repository, "latest") is None


def test_wrong_registry_password_is_a_clear_error_and_nothing_is_pushed(
    tmp_path: Path, app: Path, registry: Registry, repository: str
) -> None:
    image = f"{registry.address}/{repository}"
    run = run_build_push(
        tmp_path,
        app,
        {
            "images": image,
            "platforms": "linux/amd64,linux/arm64",
            "registry-username": registry.username,
            "registry-password": "not-the-password",
        },
    )
    assert run.code == ExitCode.BAD_INPUT
    (error,) = run.annotations("error")
    assert "title=Registry authentication failed" in error
    assert f"{registry.address} refused to let user '{registry.username}'" in error
    assert "HTTP 401" in error
    assert "Check the credentials for" in run.summary
    assert "docker buildx build" not in run.log  # stopped before building
    assert registry_api(registry).tags(repository) == []  # nothing half-tagged
    assert "not-the-password" not in run.visible


def test_registry_answering_503_twice_then_ok_is_pushed(
    tmp_path: Path,
    base_image: BaseImage,
    faulty_proxy: FaultyProxy,
    registry: Registry,
    repository: str,
    registry_inputs: dict[str, str],
) -> None:
    # everything goes through the proxy, the base image too
    base = base_image.ref.replace(registry.address, faulty_proxy.address)
    app = write_app(tmp_path / "workspace", base)
    image = f"{faulty_proxy.address}/{repository}"
    faulty_proxy.fail_next(2)
    run = ok(run_build_push(tmp_path / "run", app, {"images": image, **registry_inputs}))
    assert [r.status for r in faulty_proxy.injected] == [503, 503]
    assert "answered HTTP 503; retrying" in run.log
    assert registry_api(registry).manifest(repository, "latest").digest == run.digest  # type: ignore[union-attr]


def test_docker_push_answered_503_twice_is_retried_and_pushed(
    tmp_path: Path,
    base_image: BaseImage,
    faulty_proxy: FaultyProxy,
    registry: Registry,
    repository: str,
    registry_inputs: dict[str, str],
) -> None:
    base = base_image.ref.replace(registry.address, faulty_proxy.address)
    app = write_app(tmp_path / "workspace", base)
    image = f"{faulty_proxy.address}/{repository}"
    # the manifest upload of dockerd's push fails twice
    faulty_proxy.fail_next(2, method="PUT", path_contains="/manifests/")
    run = ok(run_build_push(tmp_path / "run", app, {"images": image, **registry_inputs}))
    assert len(faulty_proxy.injected) == 2
    assert "failed with a registry or network error; retrying" in run.log
    api = registry_api(registry)
    assert api.manifest(repository, "latest").digest == run.digest  # type: ignore[union-attr]
    assert api.manifest(repository, "sha-0123456").digest == run.digest  # type: ignore[union-attr]


def test_registry_down_is_exit_3(
    tmp_path: Path, app: Path, registry_inputs: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.services._common import free_port

    monkeypatch.setattr("shipyard.runtime.http.RetryPolicy.delay", lambda self, attempt: 0.05)
    run = run_build_push(
        tmp_path, app, {"images": f"127.0.0.1:{free_port()}/nowhere/app", **registry_inputs}
    )
    assert run.code == ExitCode.EXTERNAL
    (error,) = run.annotations("error")
    assert "could not connect" in error


def test_foreign_platform_without_qemu_fails_early_with_the_fix(
    tmp_path: Path, app: Path, registry: Registry, repository: str, registry_inputs: dict[str, str]
) -> None:
    run = run_build_push(
        tmp_path,
        app,
        {
            "images": f"{registry.address}/{repository}",
            "platforms": "linux/amd64,linux/riscv64",
            **registry_inputs,
        },
    )
    assert run.code == ExitCode.BAD_INPUT
    (error,) = run.annotations("error")
    assert "title=Platform needs QEMU" in error
    assert "Cannot build linux/riscv64" in error and "riscv64" in error
    assert "tonistiigi/binfmt --install riscv64" in run.summary
    assert "docker buildx build" not in run.log
    assert registry_api(registry).tags(repository) == []


def test_failed_run_step_is_the_verdict_with_the_step_and_its_output(
    tmp_path: Path,
    base_image: BaseImage,
    registry: Registry,
    repository: str,
    registry_inputs: dict[str, str],
) -> None:
    app = write_app(
        tmp_path / "workspace",
        base_image.ref,
        "FROM {base}\nRUN echo compiling && echo 'error: boom' && exit 3\n",
    )
    run = run_build_push(
        tmp_path / "run", app, {"images": f"{registry.address}/{repository}", **registry_inputs}
    )
    assert run.code == ExitCode.FAILURE
    (error,) = run.annotations("error")
    assert "title=A RUN step of the Dockerfile failed" in error
    assert "exited with code 3" in error and "error: boom" in error
    assert "build-push stopped while building" in run.summary
    assert registry_api(registry).tags(repository) == []


def test_missing_dockerfile_is_exit_2_naming_the_input(
    tmp_path: Path, registry: Registry, registry_inputs: dict[str, str]
) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    run = run_build_push(
        tmp_path / "run",
        workspace,
        {"images": f"{registry.address}/x/y", "file": "docker/Dockerfile", **registry_inputs},
    )
    assert run.code == ExitCode.BAD_INPUT
    (error,) = run.annotations("error")
    assert "Input 'file': there is no Dockerfile at" in error


def test_bad_inputs_exit_2_naming_the_input(tmp_path: Path, app: Path) -> None:
    cases = {
        "images": ({"images": "ghcr.io/acme/app:v1"}, "has a tag"),
        "tags": ({"images": "x/y", "tags": "type=semvar,pattern={{version}}"}, "unknown type"),
        "platforms": ({"images": "x/y", "platforms": "linux/"}, "is not a platform"),
        "registry-password": ({"images": "quay.io/a/b", "registry-username": "u"}, "required"),
        "provenance": ({"images": "x/y", "provenance": "maybe"}, "is not one of"),
        "digests": ({"images": "x/y", "mode": "merge", "digests": "sha256:zz"}, "not a sha256"),
    }
    for name, (inputs, needle) in cases.items():
        run = run_build_push(tmp_path / name, app, inputs)
        assert run.code == ExitCode.BAD_INPUT, (name, run.log)
        (error,) = run.annotations("error")
        assert f"Input '{name}'" in error and needle in error, error


def test_cache_that_cannot_work_here_is_a_warning_not_a_failure(
    tmp_path: Path, app: Path, registry: Registry, repository: str, registry_inputs: dict[str, str]
) -> None:
    image = f"{registry.address}/{repository}"
    run = ok(
        run_build_push(
            tmp_path / "registry", app, {"images": image, "cache": "registry", **registry_inputs}
        )
    )
    (warning,) = run.annotations("warning")
    assert "cache: registry cannot export" in warning and "inline" in warning
    assert "--cache-to type=inline" in run.log
    gha = ok(
        run_build_push(tmp_path / "gha", app, {"images": image, "cache": "gha", **registry_inputs})
    )
    (warning,) = gha.annotations("warning")
    assert "cache: gha is not possible here" in warning


def test_a_cache_export_failure_reruns_the_build_without_the_cache(
    tmp_path: Path,
    app: Path,
    registry: Registry,
    repository: str,
    registry_inputs: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first build fails in its cache export step (as a GitHub cache outage looks); the
    action warns and builds again without the cache backend, for real."""
    real_build = Docker.build
    calls: list[list[str]] = []

    def flaky_build(self: Docker, args: list[str], metadata_file: Path) -> object:
        calls.append(list(args))
        if len(calls) == 1:
            assert "--cache-to" in args
            output = (
                "#12 exporting cache to registry\n#12 ERROR: error writing layer blob: "
                "503 Service Unavailable\nERROR: failed to solve: error writing layer blob\n"
            )
            return CommandResult(("docker",), 1, output), {}
        return real_build(self, args, metadata_file)

    monkeypatch.setattr(Docker, "build", flaky_build)
    image = f"{registry.address}/{repository}"
    run = ok(run_build_push(tmp_path, app, {"images": image, "cache": "inline", **registry_inputs}))
    assert len(calls) == 2 and "--cache-to" not in calls[1]
    (warning,) = run.annotations("warning")
    assert "The build cache failed" in warning and "The image is not affected" in warning
    assert registry_api(registry).manifest(repository, "latest") is not None


def test_a_multi_platform_builder_gets_one_build_for_all_platforms(
    tmp_path: Path, app: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a builder that can build several platforms at once (docker-container), one
    ``buildx build --platform a,b`` runs, with the GitHub cache on GitHub. (There is no
    docker-container builder here: its report and the build are stood in for.)"""
    builder = BuilderInfo(
        "multi", "docker-container", (Platform("linux", "amd64"), Platform("linux", "arm64"))
    )
    monkeypatch.setattr(Docker, "builder_info", lambda self, name="", **kw: builder)
    calls: list[list[str]] = []

    def build(self: Docker, args: list[str], metadata_file: Path) -> object:
        calls.append(list(args))
        return CommandResult(("docker",), 0, ""), {}

    monkeypatch.setattr(Docker, "build", build)
    run = ok(
        run_build_push(
            tmp_path,
            app,
            {"images": "ghcr.io/acme/app", "platforms": "linux/amd64,linux/arm64", "push": "false"},
            env={"ACTIONS_RUNTIME_TOKEN": "t", "ACTIONS_RESULTS_URL": "http://127.0.0.1:9/"},
        )
    )
    (args,) = calls
    assert args[:2] == ["--platform", "linux/amd64,linux/arm64"]
    assert "type=gha,scope=acme-app" in args
    assert "type=gha,scope=acme-app,mode=max,ignore-error=true" in args
    assert "type=cacheonly" in args
    assert "GitHub Actions cache" in run.summary


def test_load_loads_the_image_into_docker(
    tmp_path: Path,
    app: Path,
    docker_engine: DockerEngine,
    registry: Registry,
    repository: str,
    registry_inputs: dict[str, str],
) -> None:
    image = f"{registry.address}/{repository}"
    run = ok(
        run_build_push(
            tmp_path,
            app,
            {
                "images": image,
                "push": "false",
                "load": "true",
                "tags": "type=raw,value=local",
                **registry_inputs,
            },
        )
    )
    assert run.outputs["pushed"] == "false"
    shown = docker(docker_engine, registry, "run", "--rm", f"{image}:local")
    assert shown.stdout.strip() == "x86_64"
    docker(docker_engine, registry, "image", "rm", f"{image}:local")
    many = run_build_push(
        tmp_path / "many",
        app,
        {"images": image, "push": "false", "load": "true", "platforms": "linux/amd64,linux/arm64"},
    )
    assert many.code == ExitCode.BAD_INPUT and "Input 'load'" in many.log


def test_user_build_args_and_labels_win_and_build_info_can_be_off(
    tmp_path: Path,
    app: Path,
    docker_engine: DockerEngine,
    registry: Registry,
    repository: str,
    registry_inputs: dict[str, str],
    buildx: Buildx,
) -> None:
    image = f"{registry.address}/{repository}"
    run = ok(
        run_build_push(
            tmp_path / "on",
            app,
            {
                "images": image,
                "build-args": "BUILD_VERSION=custom, with comma",
                "labels": "org.opencontainers.image.title=Shop\nteam=payments",
                **registry_inputs,
            },
            env={"SOURCE_DATE_EPOCH": "1700000000"},  # the clock, fixed
        )
    )
    assert run.metadata["build-args"]["BUILD_TIME"] == "2023-11-14T22:13:20Z"
    assert run.metadata["labels"]["org.opencontainers.image.created"] == "2023-11-14T22:13:20Z"
    labels = json.loads(
        docker(docker_engine, registry, "image", "inspect", f"{image}@{run.digest}").stdout
    )[0]["Config"]["Labels"]
    assert labels["app.version"] == "custom, with comma"
    assert labels["org.opencontainers.image.title"] == "Shop" and labels["team"] == "payments"
    off = ok(
        run_build_push(
            tmp_path / "off",
            app,
            {
                "images": image,
                "build-info": "false",
                "tags": "type=raw,value=plain",
                **registry_inputs,
            },
        )
    )
    labels = json.loads(
        docker(docker_engine, registry, "image", "inspect", f"{image}@{off.digest}").stdout
    )[0]["Config"]["Labels"]
    assert labels["app.version"] == "dev"
    assert not any(key.startswith("org.opencontainers.image.revision") for key in labels)


def test_the_users_docker_config_is_never_written_and_earlier_logins_still_work(
    tmp_path: Path, app: Path, registry: Registry, repository: str, registry_inputs: dict[str, str]
) -> None:
    """The action logs in to a private DOCKER_CONFIG: the user's config.json (here with a
    credential store that does not exist, which `docker login` would call) stays as it was;
    a login an earlier step left in it (docker/login-action) is used when no credentials are
    given to the action."""
    import base64

    # A user's config dir with the user's CLI plugins (buildx may live only there).
    user_config = private_docker_config(tmp_path / "user-docker")
    auth = base64.b64encode(f"{registry.username}:{registry.password}".encode()).decode()
    original = json.dumps(
        {"credsStore": "shipyard-no-such-helper", "auths": {}, "detachKeys": "ctrl-x"}
    )
    (user_config / "config.json").write_text(original)
    image = f"{registry.address}/{repository}"
    env = {"DOCKER_CONFIG": str(user_config)}
    ok(run_build_push(tmp_path / "one", app, {"images": image, **registry_inputs}, env=env))
    assert (user_config / "config.json").read_text() == original
    assert not list((tmp_path / "one" / "runner-temp").iterdir())  # private config removed

    earlier = json.dumps({"auths": {registry.address: {"auth": auth}}})
    (user_config / "config.json").write_text(earlier)
    run = ok(
        run_build_push(
            tmp_path / "two", app, {"images": image, "tags": "type=raw,value=again"}, env=env
        )
    )
    assert f"{registry.address}: {registry.username} may push" in run.log
    assert (user_config / "config.json").read_text() == earlier
    assert registry_api(registry).manifest(repository, "again") is not None


def test_registry_logins_reach_a_private_base_image_registry(
    tmp_path: Path,
    base_image: BaseImage,
    faulty_proxy: FaultyProxy,
    registry: Registry,
    repository: str,
    registry_inputs: dict[str, str],
) -> None:
    """The image goes to one registry (the proxy's address, another registry to docker), the
    base image comes from another that needs its own login (a registry-logins line)."""
    app = write_app(tmp_path / "workspace", base_image.ref)
    image = f"{faulty_proxy.address}/{repository}"
    without = run_build_push(tmp_path / "without", app, {"images": image, **registry_inputs})
    assert without.code == ExitCode.BAD_INPUT
    assert "answered 401 Unauthorized" in without.log
    login = f"{registry.address}={registry.username}:{registry.password}"
    run = ok(
        run_build_push(
            tmp_path / "with",
            app,
            {"images": image, "registry-logins": login, **registry_inputs},
        )
    )
    assert f"logged in to {registry.address} as {registry.username}" in run.log
    assert registry.password not in run.visible
