"""The dry run: everything that needs no build, without Docker, a builder, a login or a registry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from shipyard.build_push.spec import SPEC
from shipyard.runtime.entry import build_parser
from tests.build_push._run import run_build_push
from tests.build_push.conftest import write_app

#: Nothing listens here: a dry run that contacted the "registry" would fail with exit 3.
DEAD_REGISTRY = "127.0.0.1:9"


def test_dry_run_computes_everything_without_docker_or_a_registry(tmp_path: Path) -> None:
    app = write_app(tmp_path / "workspace", "busybox")
    no_docker = tmp_path / "bin"
    no_docker.mkdir()
    run = run_build_push(
        tmp_path / "run",
        app,
        {
            "images": "\n".join(
                (f"{DEAD_REGISTRY}/acme/app", "ghcr.io/acme/app,enable=false", "docker.io/acme/app")
            ),
            "platforms": "linux/amd64,linux/arm64",
            "tags": "type=semver,pattern={{version}}\ntype=semver,pattern={{major}}\ntype=sha",
            "build-args": "GREETING=hello",
            "registry-username": "ci",
            "registry-password": "s3cret-password",
            "cache": "registry",
            "dry-run": "true",
        },
        ref="refs/tags/v1.2.3",
        env={"PATH": str(no_docker), "SHIPYARD_DOCKER": ""},
    )
    assert run.code == 0, run.log[-3000:]
    meta = run.metadata
    assert meta["dry-run"] is True
    assert meta["images"] == [f"{DEAD_REGISTRY}/acme/app", "docker.io/acme/app"]
    assert meta["tags"] == ["1.2.3", "1", "sha-0123456", "latest"]
    assert meta["platforms"] == ["linux/amd64", "linux/arm64"]
    assert meta["build-args"]["BUILD_VERSION"] == "1.2.3"
    assert meta["labels"]["org.opencontainers.image.version"] == "1.2.3"
    assert meta["push-decision"] and meta["pushed"] is False
    assert any("buildcache" in entry for entry in meta["cache"])
    assert any("registry's tags were not read" in note for note in meta["notes"])
    assert run.outputs["pushed"] == "false" and run.outputs["version"] == "1.2.3"
    assert f"{DEAD_REGISTRY}/acme/app:1.2.3" in run.tags
    for needle in ("dry run", "GREETING=hello", "linux/arm64", "push: yes", "builds:"):
        assert needle in run.log
    assert "docker login" not in run.log and "buildx build" not in run.log.replace(
        "one buildx build", ""
    )
    assert "Dry run" in run.summary
    assert "s3cret-password" not in run.visible


def test_dry_run_flag_on_the_command_line_with_no_docker_on_path(tmp_path: Path) -> None:
    app = write_app(tmp_path / "workspace", "busybox")
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {
        "PATH": str(empty),
        "HOME": str(tmp_path),
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
        "GITHUB_EVENT_NAME": "push",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "shipyard.build_push",
            "--images",
            "acme/app",
            "--dry-run",
            "--context",
            str(app),
            "--summary-file",
            str(tmp_path / "summary.md"),
        ],
        env=env,
        cwd=app,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "build-push dry run" in done.stdout
    assert "latest" in done.stdout and "sha-0123456" in done.stdout
    metadata = next(
        line
        for line in done.stdout.splitlines()
        if line.startswith("metadata=") or "metadata" in line
    )
    assert metadata


def test_bare_dry_run_flag() -> None:
    """``--dry-run`` alone means true (the runtime's rule for every boolean input)."""
    parser = build_parser(SPEC)
    assert parser.parse_args(["--dry-run"]).dry_run == "true"
    assert parser.parse_args(["--dry-run", "--images", "a"]).dry_run == "true"
    assert parser.parse_args(["--dry-run", "false"]).dry_run == "false"
    assert parser.parse_args([]).dry_run is None


def test_dry_run_metadata_is_json(tmp_path: Path) -> None:
    app = write_app(tmp_path / "workspace", "busybox")
    run = run_build_push(
        tmp_path / "run",
        app,
        {
            "images": "acme/app",
            "dry-run": "true",
            "mode": "merge",
            "platforms": "linux/amd64,linux/arm64",
        },
        env={"PATH": str(tmp_path)},
    )
    assert run.code == 0, run.log[-2000:]
    assert json.loads(run.outputs["metadata"])["mode"] == "merge"
    assert "no build: join the digests" in run.log


def test_rules_that_make_no_tag_build_without_pushing_unless_push_is_true(
    tmp_path: Path,
) -> None:
    """A push to a branch no rule covers: push: auto and false build (here: plan) without
    pushing, with a notice naming the rules; push: true is exit 2 naming the input."""
    app = write_app(tmp_path / "workspace", "busybox")
    rules = "type=semver,pattern={{version}}\ntype=ref,event=pr"
    runs = {
        push: run_build_push(
            tmp_path / push,
            app,
            {"images": f"{DEAD_REGISTRY}/acme/app", "tags": rules, "push": push, "dry-run": "true"},
            ref="refs/heads/feature/x",
            env={"PATH": str(tmp_path)},
        )
        for push in ("auto", "false", "true")
    }
    for push in ("auto", "false"):
        run = runs[push]
        assert run.code == 0, run.log[-2000:]
        assert run.metadata["tags"] == [] and run.outputs["pushed"] == "false"
        assert run.metadata["push-decision"] == (
            f"push: {push}, and the tag rules made no tag for refs/heads/feature/x (push event)"
        )
        (notice,) = run.annotations("notice")
        assert "type=semver,pattern={{version}}; type=ref,event=pr" in notice
        assert "built and checked, not pushed" in notice
        assert "push: no" in run.log
    refused = runs["true"]
    assert refused.code == 2
    assert "Input 'tags'" in refused.log and "push: true needs one" in refused.log
    assert "type=semver,pattern={{version}}" in refused.log
