"""Tag rules that make no tag for a run: built and checked, not pushed (push: auto or false);
exit 2 with push: true. Against the real engine and registry of the test bed."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.build_push.job import Job
from shipyard.runtime import ExitCode, FakeClock
from tests.build_push._run import BuildPushRun, registry_api, run_build_push
from tests.build_push.conftest import write_app
from tests.services.base_images import BaseImage
from tests.services.registry import Registry

pytestmark = pytest.mark.usefixtures("buildx")

#: Rules that tag releases and pull requests only: a push to a feature branch gets no tag.
RELEASE_RULES = "type=semver,pattern={{version}}\ntype=ref,event=pr"


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Job, "clock", FakeClock())


def ok(run: BuildPushRun) -> BuildPushRun:
    assert run.code == 0, run.log[-4000:] + run.summary
    return run


def test_a_branch_no_rule_covers_is_built_and_checked_but_not_pushed(
    tmp_path: Path,
    app: Path,
    base_image: BaseImage,
    registry: Registry,
    repository: str,
    registry_inputs: dict[str, str],
) -> None:
    image = f"{registry.address}/{repository}"
    inputs = {"images": image, "tags": RELEASE_RULES, **registry_inputs}
    run = ok(run_build_push(tmp_path / "auto", app, inputs, ref="refs/heads/feature/login"))
    assert run.outputs["pushed"] == "false" and run.tags == [] and run.digest == ""
    (notice,) = run.annotations("notice")
    assert "refs/heads/feature/login (push event)" in notice
    assert "type=semver,pattern={{version}}; type=ref,event=pr" in notice
    assert "docker buildx build" in run.log and "type=cacheonly" in run.log
    assert "--push" not in run.log and "may push to" not in run.log
    assert "Not pushed: push: auto, and the tag rules made no tag" in run.summary
    assert registry_api(registry).tags(repository) == []

    # Checked: a Dockerfile that does not build still fails the run.
    broken = write_app(tmp_path / "broken", base_image.ref, "FROM {base}\nRUN exit 3\n")
    failed = run_build_push(tmp_path / "failed", broken, inputs, ref="refs/heads/feature/login")
    assert failed.code == ExitCode.FAILURE, failed.log[-3000:]
    assert "A RUN step of the Dockerfile failed" in failed.log

    refused = run_build_push(
        tmp_path / "true", app, {**inputs, "push": "true"}, ref="refs/heads/feature/login"
    )
    assert refused.code == ExitCode.BAD_INPUT
    (error,) = refused.annotations("error")
    assert "Input 'tags'" in error and "push: true needs one" in error
    assert "docker buildx build" not in refused.log
    assert registry_api(registry).tags(repository) == []


def test_a_hotfix_whose_only_tag_the_registry_takes_away_is_built_not_pushed(
    tmp_path: Path, app: Path, registry: Registry, repository: str, registry_inputs: dict[str, str]
) -> None:
    """Known only once the registry is read: releasing 1.4.1 with the rule {{major}} alone,
    when 1.5.0 is there, makes no tag (1 stays on 1.5.0)."""
    image = f"{registry.address}/{repository}"
    api = registry_api(registry)
    ok(
        run_build_push(
            tmp_path / "v150", app, {"images": image, **registry_inputs}, ref="refs/tags/v1.5.0"
        )
    )
    before = api.manifest(repository, "1")
    assert before is not None
    run = ok(
        run_build_push(
            tmp_path / "v141",
            app,
            {"images": image, "tags": "type=semver,pattern={{major}}", **registry_inputs},
            ref="refs/tags/v1.4.1",
        )
    )
    assert run.outputs["pushed"] == "false" and run.tags == []
    assert "'1' not moved to 1.4.1: the registry has 1.5.0" in run.log
    (notice,) = run.annotations("notice")
    assert "refs/tags/v1.4.1 (push event): type=semver,pattern={{major}}" in notice
    after = api.manifest(repository, "1")
    assert after is not None and after.digest == before.digest
    assert sorted(api.tags(repository)) == ["1", "1.5", "1.5.0", "latest"]
