"""The reusable workflows and the runbook examples: zizmor clean (also as an auditor), every
``with:`` key an input the action or reusable workflow declares, inputs reaching scripts only
through ``env:``, third-party actions pinned by SHA, least permissions per job. All offline.

The inputs of our actions come from their specs (``shipyard.<action>.spec.SPEC``); every
action the workflows use has one.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
REUSABLE = {
    name: ROOT / ".github" / "workflows" / f"{name}.yml"
    for name in (
        "python-ci",
        "release",
        "deploy",
        "security-scan",
        "approval-gate",
        "github-release",
    )
}
RUNBOOKS = ("ecommerce", "platform", "amani", "company-app", "agentic")
EXAMPLES = sorted(p for runbook in RUNBOOKS for p in (ROOT / "examples" / runbook).glob("*.yml"))
#: This repository's own workflows: its CI and the release of shipyard itself (RELEASING.md).
OWN = {name: ROOT / ".github" / "workflows" / f"{name}.yml" for name in ("ci", "publish")}
ALL = sorted(REUSABLE.values()) + sorted(OWN.values()) + EXAMPLES
#: What zizmor audits: every workflow of this repository and every example, at any depth.
EVERY_WORKFLOW = sorted((ROOT / ".github" / "workflows").glob("*.yml")) + sorted(
    (ROOT / "examples").rglob("*.yml")
)
OUR_ACTION = re.compile(r"^your-org/actions/(?P<action>[a-z-]+)@v1$")
OUR_WORKFLOW = re.compile(r"^your-org/actions/\.github/workflows/(?P<name>[a-z-]+)\.yml@v1$")


def load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict), path
    # YAML 1.1 reads the key `on` as True
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def steps(doc: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_id, job in (doc.get("jobs") or {}).items():
        for step in job.get("steps") or []:
            yield job_id, step


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


@cache
def action_inputs(action: str) -> tuple[set[str], set[str]]:
    """(all inputs, required inputs) of one of our actions."""
    module = "shipyard." + action.replace("-", "_")
    spec = importlib.import_module(module + ".spec").SPEC
    names = {item.name for item in spec.inputs}
    required = {item.name for item in spec.inputs if item.required}
    return names, required


def workflow_interface(name: str) -> dict[str, Any]:
    on = load(REUSABLE[name])["on"]
    call = on["workflow_call"]
    return {"inputs": call.get("inputs") or {}, "secrets": call.get("secrets") or {}}


# ------------------------------------------------------------------------------------- zizmor


@pytest.mark.parametrize("persona", ["regular", "auditor"])
def test_zizmor_finds_nothing(persona: str) -> None:
    """Every file of examples/ and .github/workflows/, the pedantic auditor persona included
    (secrets only in jobs with an environment, each permission explained, named jobs,
    concurrency limits)."""
    assert len(EVERY_WORKFLOW) > len(ALL)  # the single-action examples and this repo's CI too
    zizmor = shutil.which("zizmor") or str(ROOT / ".venv" / "bin" / "zizmor")
    result = subprocess.run(
        [zizmor, "--offline", "--no-progress", "--format", "plain", f"--persona={persona}",
         "--config", str(ROOT / ".github" / "zizmor.yml"), *map(str, EVERY_WORKFLOW)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout, result.stdout


def test_zizmor_would_catch_an_injection(tmp_path: Path) -> None:
    """The check above can fail: a ``${{ }}`` in a script is reported."""
    bad = tmp_path / "bad.yml"
    text = REUSABLE["deploy"].read_text(encoding="utf-8")
    bad.write_text(
        text.replace('          if [ "$OUTCOME" = success ]', '          echo "${{ inputs.app }}"\n'
                     '          if [ "$OUTCOME" = success ]', 1)
    )  # fmt: skip
    zizmor = shutil.which("zizmor") or str(ROOT / ".venv" / "bin" / "zizmor")
    result = subprocess.run(
        [zizmor, "--offline", "--no-progress", "--format", "plain", "--persona=auditor",
         "--config", str(ROOT / ".github" / "zizmor.yml"), str(bad)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "template-injection" in result.stdout


# ------------------------------------------------------------------------- inputs and secrets


@pytest.mark.parametrize("path", ALL, ids=rel)
def test_with_keys_of_our_actions_are_declared_inputs(path: Path) -> None:
    doc = load(path)
    for job_id, step in steps(doc):
        match = OUR_ACTION.match(str(step.get("uses", "")))
        if not match:
            continue
        names, required = action_inputs(match["action"])
        given = set((step.get("with") or {}).keys())
        where = f"{rel(path)} job {job_id} step {step.get('id') or step.get('name')}"
        assert given <= names, f"{where}: {sorted(given - names)} are not inputs of {match[0]}"
        assert required <= given, f"{where}: required {sorted(required - given)} missing"


def test_every_action_the_workflows_use_exists() -> None:
    used = {
        m["action"]
        for path in ALL
        for _, step in steps(load(path))
        if (m := OUR_ACTION.match(str(step.get("uses", ""))))
    }
    assert {"notify", "approval", "build-push", "lint", "audit", "deploy"} <= used
    for action in used:
        assert (ROOT / action / "action.yml").exists(), action
        assert action_inputs(action)[0], action


@pytest.mark.parametrize("path", sorted(REUSABLE.values()) + EXAMPLES, ids=rel)
def test_callers_give_declared_inputs_and_secrets(path: Path) -> None:
    doc = load(path)
    calls = 0
    for job_id, job in doc["jobs"].items():
        match = OUR_WORKFLOW.match(str(job.get("uses", "")))
        if not match:
            continue
        calls += 1
        interface = workflow_interface(match["name"])
        given = set((job.get("with") or {}).keys())
        declared = set(interface["inputs"])
        assert given <= declared, f"{rel(path)} job {job_id}: {sorted(given - declared)}"
        required = {k for k, v in interface["inputs"].items() if v.get("required")}
        assert required <= given, f"{rel(path)} job {job_id}: missing {sorted(required - given)}"
        secrets = job.get("secrets") or {}
        if secrets != "inherit":
            assert set(secrets) <= set(interface["secrets"]), f"{rel(path)} job {job_id}"
            needed = {k for k, v in interface["secrets"].items() if v.get("required")}
            assert needed <= set(secrets), f"{rel(path)} job {job_id}: missing {needed}"
        assert "permissions" in job, f"{rel(path)} job {job_id} grants no permissions"
    github_only = {"examples/amani/codeql.yml"}  # CodeQL: GitHub's own actions, nothing of ours
    assert calls or path in REUSABLE.values() or rel(path) in github_only, (
        f"{rel(path)} calls no reusable workflow"
    )


@pytest.mark.parametrize("name", sorted(REUSABLE))
def test_reusable_workflow_interface_is_documented(name: str) -> None:
    doc = load(REUSABLE[name])
    assert set(doc["on"]) == {"workflow_call"}
    interface = workflow_interface(name)
    for kind in ("inputs", "secrets"):
        for key, item in interface[kind].items():
            assert item.get("description"), f"{name}: {kind} {key} has no description"
    for key, item in (doc["on"]["workflow_call"].get("outputs") or {}).items():
        assert item.get("description") and item.get("value"), f"{name}: output {key}"
    text = yaml.safe_dump(doc["jobs"])  # the jobs, without the comments' examples
    for ref in re.findall(r"inputs\.([a-z][a-z0-9-]*)", text):
        assert ref in interface["inputs"], f"{name}: inputs.{ref} is not declared"
    for ref in re.findall(r"secrets\.([A-Z][A-Z0-9_]*)", text):
        assert ref in interface["secrets"], f"{name}: secrets.{ref} is not declared"


@pytest.mark.parametrize("name", [*sorted(REUSABLE), "publish"])
def test_least_permissions_per_job(name: str) -> None:
    doc = load(REUSABLE.get(name) or OWN[name])
    assert doc["permissions"] == {}, f"{name}: the workflow's permissions must be {{}}"
    for job_id, job in doc["jobs"].items():
        assert "permissions" in job, f"{name} job {job_id} sets no permissions"
        for scope, level in (job["permissions"] or {}).items():
            assert level in ("read", "write"), f"{name} job {job_id}: {scope}: {level}"


# ------------------------------------------------------------------------ scripts and pinning


@pytest.mark.parametrize("path", ALL, ids=rel)
def test_no_expression_inside_a_script(path: Path) -> None:
    for job_id, step in steps(load(path)):
        script = step.get("run")
        if script is not None:
            assert "${{" not in script, f"{rel(path)} job {job_id}: ${{{{ }}}} in run:"


@pytest.mark.parametrize("path", ALL, ids=rel)
def test_third_party_actions_are_pinned_by_sha(path: Path) -> None:
    doc = load(path)
    uses = [str(step["uses"]) for _, step in steps(doc) if "uses" in step]
    uses += [str(job["uses"]) for job in doc["jobs"].values() if "uses" in job]
    for ref in uses:
        if ref.startswith("your-org/actions/"):
            assert ref.endswith("@v1"), ref
            continue
        if ref.startswith("./") and path in OWN.values():  # publish.yml calls ci.yml
            continue
        assert re.search(r"@[0-9a-f]{40}$", ref), f"{rel(path)}: {ref} is not pinned by SHA"


PINNED_FILES = EVERY_WORKFLOW + sorted(ROOT.glob("*/action.yml"))


def test_every_sha_pin_names_its_version_for_dependabot() -> None:
    """``@<sha> # vX.Y.Z``: Dependabot updates the commit and the comment together, and a
    reader sees which release the commit is."""
    pins = 0
    for path in PINNED_FILES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"uses:\s*\S+@[0-9a-f]{40}", line):
                pins += 1
                assert re.search(r"@[0-9a-f]{40} # v\d+(\.\d+){0,2}$", line), (
                    f"{rel(path)}:{number}: a SHA pin without its '# vX.Y.Z' comment"
                )
    assert pins > 20  # the check sees the pins


def test_dependabot_watches_the_workflows_and_every_action() -> None:
    """.github/dependabot.yml updates the pinned actions of .github/workflows ("/") and of each
    action's action.yml (a composite action's steps may pin actions too)."""
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    assert config["version"] == 2
    [update] = [u for u in config["updates"] if u["package-ecosystem"] == "github-actions"]
    actions = {f"/{p.parent.name}" for p in ROOT.glob("*/action.yml")}
    assert len(actions) >= 6
    assert set(update["directories"]) == {"/"} | actions
    assert update["schedule"]["interval"] in {"daily", "weekly"}


def test_the_readme_shows_how_to_pin_and_a_dependabot_config_for_teams() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Pinning a version\n", 1)[1].split("\n## ", 1)[0]
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)]
    pins, config = blocks
    assert [step["uses"] for step in pins] == [
        "your-org/actions/notify@v1",
        "your-org/actions/deploy@v1.0.0",
        "your-org/actions/.github/workflows/python-ci.yml@v1",
    ]
    assert re.search(r"`uses: your-org/actions/notify@<[^>]*commit[^>]*> # v1\.0\.0`", section)
    assert config["version"] == 2
    assert config["updates"][0]["package-ecosystem"] == "github-actions"
    assert config["updates"][0]["directory"] == "/"


@pytest.mark.parametrize("runbook", RUNBOOKS)
def test_each_runbook_folder_has_a_readme_naming_its_workflows(runbook: str) -> None:
    folder = ROOT / "examples" / runbook
    readme = (folder / "README.md").read_text(encoding="utf-8")
    workflows = sorted(folder.glob("*.yml"))
    assert workflows
    for path in workflows:
        assert path.name in readme, f"{runbook}/README.md does not mention {path.name}"


# -------------------------------------------------------------- secrets, tokens and outputs


def deploy_callers() -> Iterator[tuple[Path, str, dict[str, Any]]]:
    for path in EXAMPLES:
        for job_id, job in load(path)["jobs"].items():
            if OUR_WORKFLOW.match(str(job.get("uses", ""))) and "deploy.yml" in job["uses"]:
                yield path, job_id, job


def test_deploy_keys_come_from_the_environment_not_the_repository() -> None:
    """The SSH key and the app's environment are secrets of the GitHub environment the deploy
    job runs in (its reviewers protect them): callers map only the environment's own names,
    never a repository-level PRODUCTION_SSH_KEY that a workflow on any branch could read."""
    callers = list(deploy_callers())
    assert len(callers) >= 5
    for path, job_id, job in callers:
        secrets = job.get("secrets") or {}
        assert secrets != "inherit", f"{rel(path)} job {job_id}"
        assert secrets.get("SSH_KEY") == "${{ secrets.SSH_KEY }}", f"{rel(path)} job {job_id}"
        if "APP_ENV" in secrets:
            assert secrets["APP_ENV"] == "${{ secrets.APP_ENV }}", f"{rel(path)} job {job_id}"
    deploy = load(REUSABLE["deploy"])["jobs"]["deploy"]
    assert deploy["environment"]["name"] == "${{ inputs.environment }}"


def _may_run_on_pull_request(condition: object) -> bool:
    """Whether a job's `if:` can be true on a pull_request event. Conditions that test only
    github.event_name are evaluated; anything else counts as 'may run'."""
    if condition is None:
        return True
    text = str(condition).strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    text = text.replace("github.event_name", "'pull_request'")
    python = re.sub(r"!(?!=)", " not ", text.replace("&&", " and ").replace("||", " or "))
    if re.search(r"[A-Za-z_][\w.]*(?=\s*\()|(?<!')\b(?!and\b|or\b|not\b)[A-Za-z_]\w*\b(?!')",
                 re.sub(r"'[^']*'", "''", python)):  # fmt: skip
        return True
    return bool(eval(python, {"__builtins__": {}}, {}))  # quotes and operators only


def test_no_job_that_runs_on_pull_requests_can_write_issues() -> None:
    """A pull request's run (a fork's code) never holds a token that can write issues: jobs
    that keep issues run on schedule or push only."""
    assert _may_run_on_pull_request("${{ github.event_name != 'schedule' }}")
    assert not _may_run_on_pull_request("${{ github.event_name == 'schedule' }}")
    assert _may_run_on_pull_request("${{ startsWith(github.ref, 'refs/tags/') }}")
    checked = 0
    for path in EVERY_WORKFLOW:
        doc = load(path)
        on = doc.get("on")
        events = set(on) if isinstance(on, dict) else set(on if isinstance(on, list) else [on])
        if not events & {"pull_request", "pull_request_target"}:
            continue
        top = (doc.get("permissions") or {}) if isinstance(doc.get("permissions"), dict) else {}
        assert top.get("issues") != "write", f"{rel(path)}: issues: write at workflow level"
        for job_id, job in doc["jobs"].items():
            permissions = job.get("permissions") or {}
            if isinstance(permissions, dict) and permissions.get("issues") == "write":
                checked += 1
                assert not _may_run_on_pull_request(job.get("if")), f"{rel(path)} job {job_id}"
    assert checked  # the check has something to check (examples/audit.yml's daily job)


def _file_commands(text: str) -> dict[str, list[str]]:
    """GITHUB_OUTPUT as the runner reads it: name=value lines and name<<DELIMITER blocks."""
    outputs: dict[str, list[str]] = {}
    lines = iter(text.split("\n"))
    for line in lines:
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value: list[str] = []
            for body in lines:
                if body == delimiter:
                    break
                value.append(body)
            else:
                raise AssertionError(f"{name}: no closing delimiter")
            outputs.setdefault(name, []).append("\n".join(value))
        else:
            assert "=" in line, f"not a file command: {line!r}"
            name, _, single = line.partition("=")
            outputs.setdefault(name, []).append(single)
    return outputs


def test_deploy_result_links_cannot_add_outputs(tmp_path: Path) -> None:
    """deploy.yml's Result step writes `links` with a fresh random delimiter and each link on
    one line: a `url` input holding line breaks and the old fixed delimiter stays one link."""
    step = next(s for _, s in steps(load(REUSABLE["deploy"])) if s.get("id") == "result")
    hostile = "https://app.example.com\nSHIPYARD_LINKS\nheadline=owned\nstatus=success"
    delimiters = set()
    for attempt in range(2):
        output = tmp_path / f"output-{attempt}"
        output.touch()
        env = {
            "PATH": "/usr/bin:/bin",
            "GITHUB_OUTPUT": str(output),
            "OUTCOME": "failure",
            "STATUS": "failed",
            "ROLLBACK": "failure",
            "ISSUE_URL": "",
            "APP_URL": hostile,
        }
        subprocess.run(["bash", "-e", "-c", step["run"]], env=env, check=True, timeout=30)
        text = output.read_text()
        delimiters.add(text.split("\n", 1)[0].split("<<", 1)[1])
        outputs = _file_commands(text)
        assert set(outputs) == {"links", "status", "headline"}, outputs
        assert all(len(values) == 1 for values in outputs.values()), outputs
        assert outputs["links"] == [
            "App=https://app.example.comSHIPYARD_LINKSheadline=ownedstatus=success"
        ]
        assert outputs["status"] == ["failure"]
    assert len(delimiters) == 2  # a new one each run
