"""Old images removed with keep-releases, on a namespace host's own dockerd: two environments
of the same image on one engine, each with its own state dir, and an image goes only when no
container uses it and neither environment's keep window names it."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.conftest import App, new_app_name
from tests.services.deploy_hosts import DeployHost, SampleApp, remove_local_images


@pytest.fixture
def environments(
    namespace_hosts: list[DeployHost], sample_app: SampleApp, tmp_path: Path
) -> Iterator[tuple[App, App]]:
    host = namespace_hosts[0]
    apps = (
        App(new_app_name(), [host], sample_app, tmp_path / "production"),
        App(new_app_name(), [host], sample_app, tmp_path / "staging"),
    )
    yield apps
    for app in apps:
        host.remove_app(app.name)


def _present(host: DeployHost, ref: str) -> bool:
    return host.docker("image", "inspect", ref).returncode == 0


def _pruned(result: object) -> list[dict[str, object]]:
    hosts = json.loads(getattr(result, "outputs")["hosts"])  # noqa: B009
    return [s for s in hosts[0]["steps"] if s["name"] == "prune-images"]


def test_an_image_goes_once_no_container_and_no_environments_keep_window_needs_it(
    environments: tuple[App, App],
) -> None:
    production, staging = environments
    host, refs = production.hosts[0], production.sample.refs
    tag = secrets.token_hex(3)
    # Each environment has a state dir of its own (not siblings): only the label on the
    # containers tells one deploy where the other keeps its releases.
    prod_state = {"state-dir": f"~/.shipyard-prod-{tag}"}
    staging_state = {"state-dir": f"~/.shipyard-staging-{tag}"}
    remove_local_images(production.sample, [host])
    assert staging.deploy("v1", staging_state).code == 0
    assert staging.deploy("v2", staging_state).code == 0
    # Staging's v1 containers are gone; its keep window (5) still names v1.
    old = [n for n in host.containers(staging.name, all_states=True) if n not in
           host.containers(staging.name)]  # fmt: skip
    host.docker("rm", "--force", *old)
    assert production.deploy("v1", prod_state).code == 0
    second = production.deploy("v2", {**prod_state, "keep-releases": "1"})
    assert second.code == 0, second.log
    assert _pruned(second) and all(s["ok"] for s in _pruned(second))
    assert _present(host, refs["v1"]), "staging's keep window names v1: it stays"
    assert "image-pruned" not in second.log
    # Staging now keeps one release (v2): no window names v1, no container uses it.
    third = staging.deploy("v2", {**staging_state, "keep-releases": "1"})
    assert third.code == 0, third.log
    assert not _present(host, refs["v1"])
    assert _present(host, refs["v2"])
    assert "image-pruned sha256:" in third.log
    keep = host.home / f".shipyard-staging-{tag}" / staging.name / "keep"
    assert keep.read_text() == "1\n"
