"""Each action.yml and README agrees with the action's spec; zizmor finds nothing."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from scripts.generate import ROOT, expected_files, load_spec

from shipyard import ACTIONS
from shipyard.runtime.spec import CACHE_ACTION_SHA, CACHE_ACTION_VERSION

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml")) + sorted(
    (ROOT / "examples").glob("*.yml")
)


@pytest.mark.parametrize("action", ACTIONS)
def test_generated_files_are_fresh(action: str) -> None:
    for path, text in expected_files(action).items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(ROOT)} is stale: run `python scripts/generate.py`"
        )


@pytest.mark.parametrize("action", ACTIONS)
def test_action_yml_matches_spec_and_maps_inputs_only_through_env(action: str) -> None:
    spec = load_spec(action)
    document = yaml.safe_load((ROOT / action / "action.yml").read_text(encoding="utf-8"))
    assert list(document["inputs"]) == [item.name for item in spec.inputs]
    for item in spec.inputs:
        declared = document["inputs"][item.name]
        assert declared["required"] is item.required
        expected_default = item.yaml_default if item.yaml_default is not None else item.default
        assert declared.get("default") == expected_default
    assert list(document.get("outputs", {})) == [out.name for out in spec.outputs]
    runs = document["runs"]
    assert runs["using"] == "composite"
    steps = {step["id"]: step for step in runs["steps"]}
    assert list(steps) == ["cache-plan", "cache-restore", "run", "cache-save"]
    step = steps["run"]
    assert "uses" not in step
    assert "${{" not in step["run"], "inputs must reach the script through env:, never ${{ }}"
    # exec: no shell stays behind holding the inputs in its environment (hardening #17 item 5)
    assert step["run"] == f'exec "${{GITHUB_ACTION_PATH}}/../scripts/bootstrap.sh" {action}'
    for item in spec.inputs:
        assert step["env"][item.env_name] == f"${{{{ inputs.{item.name} }}}}"
    assert step["env"]["SHIPYARD_CACHE_REPORT"] == "${{ steps.cache-plan.outputs.restore }}"
    # names are namespaced so that no mapping can collide with runner variables
    assert all(re.fullmatch(r"SHIPYARD_[A-Z0-9_]+", name) for name in step["env"])


@pytest.mark.parametrize("action", ACTIONS)
def test_no_description_holds_an_expression(action: str) -> None:
    """act evaluates ``${{ }}`` inside action.yml descriptions and fails to load the action
    (found by the build-push act test): descriptions stay plain text."""
    spec = load_spec(action)
    texts = [spec.description] + [item.description for item in (*spec.inputs, *spec.outputs)]
    assert not [text for text in texts if "${{" in text]


@pytest.mark.parametrize("action", ACTIONS)
def test_the_only_third_party_uses_is_actions_cache_pinned_by_commit(action: str) -> None:
    """GitHub's cache service has one client, actions/cache: restore before the run, save
    after it, both at the full commit of the release vendored for act (issue 23 item 2)."""
    text = (ROOT / action / "action.yml").read_text(encoding="utf-8")
    uses = re.findall(r"^\s*-?\s*uses:\s*(\S+)(.*)$", text, re.MULTILINE)
    assert uses == [
        (f"actions/cache/restore@{CACHE_ACTION_SHA}", f" # {CACHE_ACTION_VERSION}"),
        (f"actions/cache/save@{CACHE_ACTION_SHA}", f" # {CACHE_ACTION_VERSION}"),
    ]
    steps = {s["id"]: s for s in yaml.safe_load(text)["runs"]["steps"]}
    plan = steps["cache-plan"]
    assert (
        plan["run"]
        == f'exec "${{GITHUB_ACTION_PATH}}/../scripts/bootstrap.sh" --cache-plan {action}'
    )
    assert steps["cache-restore"]["if"] == "steps.cache-plan.outputs.restore == 'true'"
    # never a half-installed venv (the run step says ready before it starts Python), never
    # over an exact hit (a key's cache is immutable), and after a failed run too
    assert steps["cache-save"]["if"] == (
        "always() && steps.cache-plan.outputs.save == 'true' "
        "&& steps.cache-restore.outputs.cache-hit != 'true' "
        "&& steps.run.outputs.shipyard-venv == 'ready'"
    )


def test_the_vendored_actions_cache_is_the_pinned_release() -> None:
    vendored = ROOT / "tests" / "e2e" / "vendor" / "actions-cache"
    readme = (vendored / "README.md").read_text(encoding="utf-8")
    assert f"commit `{CACHE_ACTION_SHA}`" in readme and f"`{CACHE_ACTION_VERSION}`" in readme
    for kind in ("restore", "save"):
        action = yaml.safe_load((vendored / kind / "action.yml").read_text(encoding="utf-8"))
        assert (vendored / kind / action["runs"]["main"]).resolve().is_file()


def test_workflows_never_interpolate_inputs_into_run_scripts() -> None:
    assert WORKFLOWS, "no workflows found"
    for path in WORKFLOWS:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for job in document.get("jobs", {}).values():
            for step in job.get("steps", []):
                script = step.get("run", "")
                assert not re.search(r"\$\{\{[^}]*(inputs|github\.event)\.", script), (
                    f"{path.name}: a run: script interpolates untrusted data: {script[:80]}"
                )


def test_third_party_actions_in_workflows_are_pinned_by_sha() -> None:
    for path in WORKFLOWS:
        for ref in re.findall(r"uses:\s*([^\s#]+)", path.read_text(encoding="utf-8")):
            if ref.startswith("./") or ref.startswith("your-org/actions/"):
                continue
            assert re.search(r"@[0-9a-f]{40}$", ref), f"{path.name}: {ref} is not pinned by SHA"


def test_zizmor_reports_nothing() -> None:
    zizmor = shutil.which("zizmor") or str(Path(ROOT / ".venv" / "bin" / "zizmor"))
    targets = [str(ROOT / action / "action.yml") for action in ACTIONS] + [
        str(p) for p in WORKFLOWS
    ]
    result = subprocess.run(
        [
            zizmor,
            "--offline",
            "--no-progress",
            "--format",
            "plain",
            "--config",
            str(ROOT / ".github" / "zizmor.yml"),
            *targets,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout, result.stdout


def test_zizmor_auditor_finds_nothing_in_the_approval_examples() -> None:
    """The pedantic persona too: no write permission at workflow level (excessive-permissions),
    each permission explained, secrets only in jobs with an environment, named jobs."""
    zizmor = shutil.which("zizmor") or str(Path(ROOT / ".venv" / "bin" / "zizmor"))
    examples = sorted((ROOT / "examples").glob("approval-*.yml"))
    assert len(examples) == 4
    result = subprocess.run(
        [
            zizmor,
            "--offline",
            "--no-progress",
            "--persona=auditor",
            "--format",
            "plain",
            "--config",
            str(ROOT / ".github" / "zizmor.yml"),
            *map(str, examples),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "excessive-permissions" not in result.stdout, result.stdout
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout, result.stdout
