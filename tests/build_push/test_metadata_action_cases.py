"""docker/metadata-action's own test tables (``__tests__/meta.test.ts``), run through our tags.

``data/metadata_action_cases.json`` holds the cases of its ``null``, ``push``, ``tag``,
``latest``, ``pr``, ``pr-head-sha``, ``schedule``, ``release`` and ``raw`` tables (labels left
out), generated from the upstream file by ``data/extract_metadata_action_cases.js`` and
``data/gen_metadata_action_cases.py``. Every case must give upstream's tags, or be listed in
``DIFFERENCES`` with the reason build-push/README.md gives and the tags we give instead.

A case is also a run: upstream, metadata-action outputs its tags (maybe none) and
build-push-action builds. build-push builds too, with ``push: auto`` or ``false``, when the rules
make no tag (not pushed, with a notice); with ``push: true`` that is an error, the one difference
left of those cases (``NO_TAGS``).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from shipyard.build_push.images import parse_image_lines
from shipyard.build_push.plan import NoTagsError, push_without_tags
from shipyard.build_push.tags import (
    TagDecision,
    TagRuleError,
    compute_tags,
    context_from_event,
    parse_flavor,
    parse_rules,
)

DATA = json.loads((Path(__file__).parent / "data" / "metadata_action_cases.json").read_text())
#: Upstream mocks every clock (now and the commit date) to this moment.
NOW = datetime(2020, 1, 10, 0, 30, tzinfo=timezone.utc)
#: metadata-action's rules when ``tags`` is empty (ours are the runbook's: see the README).
UPSTREAM_DEFAULTS = [
    "type=schedule",
    "type=ref,event=branch",
    "type=ref,event=tag",
    "type=ref,event=pr",
]

# Reasons, as build-push/README.md states them.
MERGE_COMMIT = "pull requests tag the PR head commit, not the merge commit"
LATEST_RELEASE = "latest (latest=auto) goes to a final semantic-version release only"
LATEST_PRIORITY = "latest follows the release, not the rule with the highest priority"
UNQUOTED = "a date format must be quoted; an unquoted one is an error, not the ISO date"


def _both(*tags: str) -> list[str]:
    """The tags on the two images most upstream cases use."""
    return [f"{image}:{tag}" for image in ("org/app", "ghcr.io/user/app") for tag in tags]


LONG_HEAD = "sha-3370e228f2209994d57af4427fe64e71bb79ac96"

#: Upstream's cases whose rules make no tag. metadata-action outputs none and build-push-action
#: builds; build-push builds them without pushing (push: auto, false), and stops with exit 2 on
#: push: true (README: "Deliberate differences from metadata-action").
NO_TAGS = {"null/null01", "null/null02", "push/push12", "tag/tag10"}

#: case id -> (reason, the tags we give; None: an error naming the rule)
DIFFERENCES: dict[str, tuple[str, list[str] | None]] = {
    "tag/tag01": (LATEST_RELEASE, ["user/app:release1"]),
    "tag/tag02": (LATEST_RELEASE, ["user/app:20200110-RC2"]),
    "tag/tag07": (LATEST_RELEASE, _both("2.0.8-beta.67")),
    "tag/tag08": (LATEST_RELEASE, _both("2.0")),
    "tag/tag09": (LATEST_RELEASE, _both("2.0.8", "67")),
    "tag/tag16": (LATEST_PRIORITY, _both("foo", "v1.1.1", "latest")),
    "latest/latest01": (LATEST_RELEASE, ["user/app:release1"]),
    "latest/latest02": (LATEST_RELEASE, ["user/app:20200110-RC2"]),
    "latest/latest03": (LATEST_RELEASE, ["user/app:20200110"]),
    "latest/latest06": (LATEST_RELEASE, _both("2.0.8")),
    "latest/latest10": (LATEST_RELEASE, ["2.0.8"]),
    "raw/raw03": (LATEST_RELEASE, [f"user/app:{t}" for t in ("release1", "my", "custom", "tags")]),
    "pr/pr03": (MERGE_COMMIT, _both("pr-15", "sha-3370e22")),
    "pr/pr04": (MERGE_COMMIT, _both("sha-3370e22", "pr-15")),
    "pr/pr07": (MERGE_COMMIT, _both("sha-3370e22", "pr-15")),
    "pr/pr09": (MERGE_COMMIT, ["org/app:pr-15", "org/app:sha-3370e22", f"org/app:{LONG_HEAD}"]),
    "pr/pr12": (UNQUOTED, None),
    "pr-head-sha/pr12": (UNQUOTED, None),
}


def _decide(case: dict[str, Any]) -> TagDecision:
    env = DATA["environments"][case["env"]]
    ctx = context_from_event(
        event_name=env["event_name"],
        ref=env["ref"],
        sha=env["sha"],
        event=env["event"],
        head_ref=env["head_ref"],
        base_ref=env["base_ref"],
        now=NOW,
        commit_time=NOW,
    )
    rules = parse_rules(case["tags"] if case["tags"] is not None else UPSTREAM_DEFAULTS)
    return compute_tags(rules, parse_flavor(case["flavor"]), ctx, existing_tags=None)


def _ours(case: dict[str, Any]) -> list[str]:
    decision = _decide(case)
    images = parse_image_lines(case["images"])
    if not images:
        return list(decision.tags)
    return [image.ref(tag) for image in images for tag in decision.tags]


def _builds(case: dict[str, Any], push: str) -> bool:
    """Whether a build-push run of this case builds (the tags are checked separately): a run
    whose rules make no tag builds, not pushed, unless push is true."""
    if _decide(case).tags:
        return True
    rules = case["tags"] if case["tags"] is not None else UPSTREAM_DEFAULTS
    try:
        push_without_tags(push, rules, "this run")
    except NoTagsError:
        return False
    return True


def _cases() -> list[Any]:
    return [pytest.param(case, id=case["id"]) for case in DATA["cases"]]


@pytest.mark.parametrize("case", _cases())
def test_metadata_action_case(case: dict[str, Any]) -> None:
    difference = DIFFERENCES.get(case["id"])
    if difference is None:
        assert _ours(case) == case["expected"]
        assert _decide(case).version == (case["main"] or "")
        # Upstream builds every case; so does build-push with push: auto (or false).
        assert _builds(case, "auto") and _builds(case, "false")
        return
    reason, ours = difference
    if ours is None:
        with pytest.raises(TagRuleError):
            _ours(case)
        return
    assert ours != case["expected"], f"{case['id']} now agrees with upstream: drop it ({reason})"
    assert _ours(case) == ours, reason


def test_the_table_is_the_upstream_one() -> None:
    assert "docker/metadata-action" in DATA["source"]
    assert len(DATA["cases"]) >= 100
    assert set(DIFFERENCES) <= {case["id"] for case in DATA["cases"]}


@pytest.mark.parametrize("case", [c for c in _cases() if c.id in NO_TAGS])
def test_no_tags_with_push_true_is_the_one_difference_left(case: dict[str, Any]) -> None:
    assert case["expected"] == [] and _ours(case) == []
    assert not _builds(case, "true"), "push: true with no tag must stay exit 2"


def test_the_no_tag_cases_are_exactly_upstreams() -> None:
    assert {case["id"] for case in DATA["cases"] if not case["expected"]} == NO_TAGS
