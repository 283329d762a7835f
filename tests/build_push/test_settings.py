"""The typed inputs and read_settings: every check that needs no Docker, no registry and no
network (only the workspace's Dockerfile is looked at)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from shipyard.build_push.settings import read_settings
from shipyard.build_push.spec import SPEC, Settings
from shipyard.runtime import InputError, RunContext
from shipyard.runtime.settings import parse_settings

NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "app.Dockerfile").write_text("FROM scratch\n")
    return tmp_path


def run_context(workspace: Path, **kw: object) -> RunContext:
    values: dict[str, object] = {
        "repository": "acme/app",
        "sha": SHA,
        "ref": "refs/heads/main",
        "event_name": "push",
        "actor": "octocat",
        "workspace": str(workspace),
        "run_number": "7",
        "event": {"repository": {"default_branch": "main", "name": "app"}},
    }
    values.update(kw)
    return RunContext(**values)  # type: ignore[arg-type]


def settings(workspace: Path, raw: dict[str, str], **run: object):  # type: ignore[no-untyped-def]
    return read_settings(parse_settings(Settings, raw), run_context(workspace, **run), NOW)


def test_the_spec_is_derived_from_the_settings_dataclass() -> None:
    names = [item.name for item in SPEC.inputs]
    assert names[:3] == ["images", "context", "file"]
    assert {"dry-run", "registry-logins", "github-token", "mode"} <= set(names)
    secret = {item.name for item in SPEC.inputs if item.secret}
    assert secret == {"registry-password", "registry-logins", "github-token", "ssh-key"}
    mode = next(item for item in SPEC.inputs if item.name == "mode")
    assert mode.choices == ("build", "digest", "merge") and mode.default == "build"


def test_defaults_on_a_push_to_the_default_branch(workspace: Path) -> None:
    s = settings(workspace, {"images": "ghcr.io/Acme/App\nacme/app", "github-token": "ghs_x"})
    assert [i.name for i in s.images] == ["ghcr.io/acme/app", "acme/app"]
    assert s.images[0].lowered
    assert [str(p) for p in s.platforms] == ["linux/amd64"]
    assert s.push and "push" in s.push_reason
    assert s.mode == "build" and s.cache == "auto" and s.provenance == "false"
    assert s.build_info and not s.dry_run and not s.load
    assert s.default_rules and [r.type for r in s.rules] == ["raw", "sha"]
    assert s.context == str(workspace) and s.file == ""
    ghcr = s.credentials["ghcr.io"]
    assert ghcr is not None and ghcr.username == "octocat" and ghcr.source == "job token"
    assert s.secrets == ("ghs_x",)
    assert s.ref.sha == SHA and s.repo.name == "app" and s.run_number == "7"


def test_typed_values_reach_the_plan(workspace: Path) -> None:
    s = settings(
        workspace,
        {
            "images": "127.0.0.1:5000/app",
            "file": "docker/app.Dockerfile",
            "platforms": "linux/amd64, linux/arm64",
            "build-args": "A=1\nB=two words",
            "labels": "org.example=x",
            "tags": "type=semver,pattern={{version}}\ntype=match,pattern=v(\\d+),group=1",
            "flavor": "latest=false",
            "push": "false",
            "cache": "registry",
            "provenance": "Mode=Max",
            "dry-run": "true",
            "registry-username": "ci",
            "registry-password": "pw",
            "registry-logins": "base.example=me:base-pw",
        },
        ref="refs/tags/v1.2.3",
    )
    assert s.file == str(workspace / "docker" / "app.Dockerfile")
    assert [str(p) for p in s.platforms] == ["linux/amd64", "linux/arm64"]
    assert dict(s.user_build_args) == {"A": "1", "B": "two words"}
    assert dict(s.user_labels) == {"org.example": "x"}
    assert [r.type for r in s.rules] == ["semver", "match"] and not s.default_rules
    assert s.flavor.latest == "false" and not s.push and s.cache == "registry"
    assert s.provenance == "mode=max" and s.dry_run
    assert set(s.extra_logins) == {"base.example"}
    assert sorted(s.secrets) == ["base-pw", "pw"]
    assert s.ref.git_tag == "v1.2.3"


@pytest.mark.parametrize(
    ("raw", "name", "needle"),
    [
        ({}, "images", "is required"),
        ({"images": "ghcr.io/a/b,enable=false\nx/y,enable=false"}, "images", "is required"),
        ({"images": "a/b:1.0"}, "images", "has a tag"),
        ({"images": "a/b", "platforms": "linux/sparc64x/9/9"}, "platforms", ""),
        ({"images": "a/b", "context": "nowhere"}, "context", "is not a folder"),
        ({"images": "a/b", "file": "missing.Dockerfile"}, "file", "no Dockerfile"),
        ({"images": "a/b", "build-args": "NOPE"}, "build-args", "is not KEY=VALUE"),
        ({"images": "a/b", "tags": "type=bogus"}, "tags", "unknown type"),
        ({"images": "a/b", "flavor": "latest=maybe"}, "flavor", "latest must be"),
        ({"images": "a/b", "provenance": "yes"}, "provenance", "is not one of"),
        ({"images": "a/b", "push": "sometimes"}, "push", ""),
        ({"images": "a/b", "mode": "digest", "load": "true"}, "load", "works with mode: build"),
        ({"images": "a/b", "digests": "sha256:" + "a" * 64}, "digests", "only used with mode"),
        ({"images": "a/b", "registry-logins": "nonsense"}, "registry-logins", ""),
        # issue 17 item 11: registry hosts are checked as every host input is
        ({"images": f"{'a' * 70}.example.com/app"}, "images", "has a label of 70 characters"),
        ({"images": "a..b.example/app"}, "images", "has an empty label"),
        ({"images": "registry.example:99999/app"}, "images", "'99999' is not a port number"),
        (
            {"images": "a/b", "registry-logins": f"{'a' * 70}.example=me:SECRETPW"},
            "registry-logins",
            "line 1: the registry is not a registry host: it has a label of 70",
        ),
    ],
)
def test_bad_inputs_name_the_input(
    workspace: Path, raw: dict[str, str], name: str, needle: str
) -> None:
    with pytest.raises(InputError) as error:
        settings(workspace, raw)
    assert error.value.input_name == name
    assert needle in str(error.value)
    assert "SECRETPW" not in str(error.value)


def test_merge_mode_needs_no_dockerfile(tmp_path: Path) -> None:
    s = settings(tmp_path, {"images": "a/b", "mode": "merge", "context": "absent"})
    assert s.mode == "merge"


def test_pull_request_tags_the_head_commit(workspace: Path) -> None:
    head = "f" * 40
    s = settings(
        workspace,
        {"images": "a/b"},
        event_name="pull_request",
        ref="refs/pull/5/merge",
        event={"number": 5, "pull_request": {"number": 5, "head": {"sha": head, "ref": "x"}}},
    )
    assert not s.push and s.ref.sha == head and s.ref.pr == "5"
