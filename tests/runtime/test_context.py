"""The run context: one reading of the event, the same commit for every action."""

from __future__ import annotations

import json
from pathlib import Path

from shipyard.runtime import RunContext
from shipyard.runtime.entry import run_context


def write_event(tmp_path: Path, payload: dict[str, object]) -> str:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    return str(path)


def test_pull_request_commit_is_the_head_not_the_merge_commit(tmp_path: Path) -> None:
    event = {
        "number": 7,
        "pull_request": {
            "number": 7,
            "head": {"sha": "h" * 40, "ref": "feature"},
            "base": {"sha": "b" * 40, "ref": "main"},
        },
        "repository": {"default_branch": "trunk"},
    }
    env = {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_SHA": "m" * 40,
        "GITHUB_EVENT_PATH": write_event(tmp_path, event),
        "GITHUB_BASE_REF": "main",
        "RUNNER_TEMP": str(tmp_path),
        "RUNNER_TOOL_CACHE": "/opt/hostedtoolcache",
    }
    run = run_context(env)
    assert run.commit == "h" * 40
    assert run.sha == "m" * 40
    assert run.pr_number == 7
    assert (run.base_ref, run.head_ref) == ("main", "feature")
    assert run.default_branch == "trunk"
    assert run.temp_dir == str(tmp_path)
    assert run.tool_cache == "/opt/hostedtoolcache"


def test_push_commit_is_github_sha_and_no_pr(tmp_path: Path) -> None:
    env = {
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_SHA": "a" * 40,
        "GITHUB_EVENT_PATH": write_event(tmp_path, {"repository": {"default_branch": "main"}}),
        "GITHUB_ACTOR": "alice",
    }
    run = run_context(env)
    assert run.commit == "a" * 40
    assert run.pr_number is None
    assert run.triggering_actor == "alice"
    assert run.temp_dir  # a temp dir even off a runner
    assert run.tool_cache.endswith(".cache/shipyard")


def test_comment_on_a_pull_request_has_its_number(tmp_path: Path) -> None:
    event = {"issue": {"number": 12, "pull_request": {"url": "x"}}}
    env = {"GITHUB_EVENT_NAME": "issue_comment", "GITHUB_EVENT_PATH": write_event(tmp_path, event)}
    assert run_context(env).pr_number == 12


def test_the_value_is_built_from_what_it_is_given_alone() -> None:
    """RunContext.from_env is pure: it reads no file (the event is handed in) and invents no
    directory; ``run_context`` does the reading."""
    env = {"GITHUB_EVENT_NAME": "push", "GITHUB_SHA": "a" * 40, "GITHUB_EVENT_PATH": "/nope"}
    run = RunContext.from_env(env, {"repository": {"default_branch": "dev"}})
    assert (run.default_branch, run.temp_dir, run.tool_cache) == ("dev", "", "")
    assert run_context(env).event == {}
