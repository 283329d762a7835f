"""The tag rules: metadata-action's vocabulary, the runbook defaults, and the fixed surprises."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from shipyard.build_push.tags import (
    Flavor,
    RefContext,
    SemVer,
    TagRuleError,
    compute_tags,
    context_from_event,
    default_rule_lines,
    format_date,
    needs_registry_versions,
    parse_flavor,
    parse_rule,
    parse_rules,
    parse_semver,
    registry_versions,
    sanitize_tag,
)

SHA = "0123456789abcdef0123456789abcdef01234567"
HEAD = "fedcba9876543210fedcba9876543210fedcba98"
NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)


def ctx(ref: str, event: str = "push", **kw: Any) -> RefContext:
    kw.setdefault("sha", SHA)
    kw.setdefault("default_branch", "main")
    return RefContext(event_name=event, ref=ref, now=NOW, **kw)


def tags(
    context: RefContext,
    rules: list[str] | None = None,
    flavor: list[str] | None = None,
    existing: list[str] | None = None,
) -> list[str]:
    return list(decide(context, rules, flavor, existing).tags)


def decide(
    context: RefContext,
    rules: list[str] | None = None,
    flavor: list[str] | None = None,
    existing: list[str] | None = None,
) -> Any:
    lines = default_rule_lines(context) if rules is None else rules
    return compute_tags(parse_rules(lines), parse_flavor(flavor or []), context, existing)


# --- the defaults, per event (the list) -------------------------------------------


def test_push_to_the_default_branch() -> None:
    assert tags(ctx("refs/heads/main")) == ["latest", "sha-0123456"]


def test_push_to_another_branch_sanitizes_the_branch_name() -> None:
    decision = decide(ctx("refs/heads/feature/Login_page"))
    assert list(decision.tags) == ["feature-Login_page-latest", "feature-Login_page-0123456"]
    assert decision.version == "feature-Login_page-0123456"
    assert any("feature/Login_page-latest" in note for note in decision.notes)


def test_tag_v1_2_3_gets_the_semver_set_and_latest() -> None:
    decision = decide(ctx("refs/tags/v1.2.3"), existing=[])
    assert list(decision.tags) == ["1.2.3", "1.2", "1", "latest"]
    assert decision.version == "1.2.3" and decision.latest
    assert decision.release == SemVer(1, 2, 3)


def test_prerelease_gets_only_its_exact_version() -> None:
    decision = decide(ctx("refs/tags/v1.2.0-rc.1"), existing=["1.1.0", "latest"])
    assert list(decision.tags) == ["1.2.0-rc.1"]
    assert not decision.latest


def test_hotfix_lower_than_the_registry_highest_does_not_take_latest() -> None:
    existing = ["2.0.0", "2.0", "2", "1.4.0", "1.4", "1", "latest", "sha-0aa1111"]
    decision = decide(ctx("refs/tags/v1.4.1"), existing=existing)
    assert list(decision.tags) == ["1.4.1", "1.4", "1"]
    assert not decision.latest
    assert "'latest' not moved to 1.4.1: the registry has 2.0.0" in decision.notes


def test_hotfix_of_an_older_minor_keeps_only_its_minor_line() -> None:
    decision = decide(ctx("refs/tags/v1.3.5"), existing=["2.0.0", "1.4.0", "1.3.4"])
    assert list(decision.tags) == ["1.3.5", "1.3"]
    assert "'1' not moved to 1.3.5: the registry has 1.4.0, higher in 1.x" in decision.notes


def test_rebuilding_the_highest_release_keeps_every_tag() -> None:
    assert tags(ctx("refs/tags/v2.0.0"), existing=["2.0.0", "1.9.9"]) == [
        "2.0.0",
        "2.0",
        "2",
        "latest",
    ]


def test_prereleases_in_the_registry_do_not_count_as_higher() -> None:
    assert "latest" in tags(ctx("refs/tags/v1.5.0"), existing=["2.0.0-rc.1", "1.4.0"])


def test_registry_versions_read_through_the_rules_affixes() -> None:
    rules = parse_rules(["type=semver,pattern={{version}},prefix=v,suffix=-alpine"])
    found = registry_versions(
        ["v2.0.0-alpine", "1.9.0", "v1.8.0", "latest", "v3.0.0-rc.1-alpine"],
        rules,
        Flavor(),
        ctx("refs/tags/v1.0.0"),
    )
    assert sorted(str(v) for v in found) == ["1.8.0", "1.9.0", "2.0.0"]


def test_pull_request_tags_the_head_sha_not_the_merge_commit() -> None:
    event = {
        "number": 12,
        "pull_request": {
            "number": 12,
            "head": {"sha": HEAD, "ref": "feature/x"},
            "base": {"ref": "main"},
        },
        "repository": {"default_branch": "main"},
    }
    context = context_from_event(
        event_name="pull_request", ref="refs/pull/12/merge", sha=SHA, event=event, now=NOW
    )
    assert context.sha == HEAD and context.pr_number == 12 and context.head_ref == "feature/x"
    assert tags(context) == ["pr-12", "sha-fedcba9"]


def test_pull_request_target_uses_the_pr_ref() -> None:
    event = {"pull_request": {"number": 7, "head": {"sha": HEAD}}}
    context = context_from_event(
        event_name="pull_request_target", ref="refs/heads/main", sha=SHA, event=event, now=NOW
    )
    assert context.ref == "refs/pull/7/merge"
    assert tags(context) == ["pr-7", "sha-fedcba9"]


def test_schedule() -> None:
    assert tags(ctx("refs/heads/main", "schedule")) == ["nightly", "sha-0123456"]


def test_workflow_dispatch_on_the_default_branch_and_on_a_tag() -> None:
    assert tags(ctx("refs/heads/main", "workflow_dispatch")) == ["latest", "sha-0123456"]
    assert tags(ctx("refs/heads/dev", "workflow_dispatch")) == ["dev-latest", "dev-0123456"]
    assert tags(ctx("refs/tags/v3.1.0", "workflow_dispatch"), existing=[]) == [
        "3.1.0",
        "3.1",
        "3",
        "latest",
    ]


def test_non_semver_git_tag_gets_its_name_and_no_latest() -> None:
    assert tags(ctx("refs/tags/release/2024")) == ["release-2024"]


def test_no_ref_and_no_sha_is_dev() -> None:
    assert tags(RefContext(now=NOW)) == ["dev"]
    assert tags(RefContext(sha=SHA, now=NOW)) == ["sha-0123456"]


def test_default_branch_falls_back_to_main_or_master_without_a_payload() -> None:
    assert ctx("refs/heads/master", default_branch="").is_default_branch
    assert not ctx("refs/heads/develop", default_branch="").is_default_branch
    assert tags(ctx("refs/heads/trunk", default_branch="trunk")) == ["latest", "sha-0123456"]


# --- the rule vocabulary -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "rules", "expected"),
    [
        ("refs/tags/v1.2.3", ["type=semver,pattern={{version}}"], ["1.2.3", "latest"]),
        ("refs/tags/v1.2.3", ["type=semver,pattern={{major}}.{{minor}}"], ["1.2", "latest"]),
        ("refs/tags/v1.2.3", ["type=semver,pattern={{major}}"], ["1", "latest"]),
        ("refs/tags/v1.2.3", ["type=semver,pattern={{raw}}"], ["v1.2.3", "latest"]),
        (
            "refs/tags/v1.2.3",
            ["type=semver,pattern=v{{major}}.{{minor}}.{{patch}}"],
            ["v1.2.3", "latest"],
        ),
        ("refs/heads/main", ["type=semver,pattern={{version}}"], []),
        ("refs/heads/main", ["type=semver,pattern={{version}},value=v4.5.6"], ["4.5.6", "latest"]),
        ("refs/tags/foo", ["type=semver,pattern={{version}}"], []),
        ("refs/heads/main", ["type=sha"], ["sha-0123456"]),
        ("refs/heads/main", ["type=sha,format=long"], [f"sha-{SHA}"]),
        ("refs/heads/main", ["type=sha,prefix=,suffix=-x"], ["0123456-x"]),
        ("refs/heads/main", ["type=ref,event=branch"], ["main"]),
        ("refs/heads/main", ["type=ref,event=tag"], []),
        ("refs/tags/v1.0.0", ["type=ref,event=tag"], ["v1.0.0", "latest"]),
        ("refs/tags/v1.0.0-rc.1", ["type=ref,event=tag"], ["v1.0.0-rc.1"]),
        ("refs/tags/nightly-1", ["type=ref,event=tag"], ["nightly-1"]),
        ("refs/pull/5/merge", ["type=ref,event=pr"], ["pr-5"]),
        ("refs/pull/5/merge", ["type=ref,event=pr,prefix=mr-"], ["mr-5"]),
        ("refs/heads/main", ["type=raw,value=stable"], ["stable"]),
        ("refs/heads/main", ["stable"], ["stable"]),
        ("refs/heads/main", ["type=raw,value={{branch}}-{{sha}}"], ["main-0123456"]),
        ("refs/heads/main", ["type=raw,value=x,enable={{is_default_branch}}"], ["x"]),
        ("refs/heads/dev", ["type=raw,value=x,enable={{is_default_branch}}"], []),
        ("refs/heads/dev", ["type=raw,value=x,enable={{is_not_default_branch}}"], ["x"]),
        ("refs/heads/main", ["type=raw,value=x,enable=false"], []),
        ("refs/heads/main", ["type=edge"], ["edge"]),
        ("refs/heads/dev", ["type=edge"], []),
        ("refs/heads/dev", ["type=edge,branch=dev"], ["edge"]),
        ("refs/heads/main", ["type=schedule"], []),
        ("refs/tags/1.2.3", ["type=pep440,pattern={{version}}"], ["1.2.3", "latest"]),
        ("refs/tags/1.2.3rc1", ["type=pep440,pattern={{major}}"], ["1.2.3rc1"]),
        ("refs/heads/main", ["type=raw,value={{date 'YYYYMMDD'}}"], ["20240506"]),
        (
            "refs/heads/main",
            ["type=raw,value=build-{{date 'YY.M.D-H[h]mm'}}"],
            ["build-24.5.6-7h08"],
        ),
    ],
)
def test_rule_vocabulary(ref: str, rules: list[str], expected: list[str]) -> None:
    event = "pull_request" if ref.startswith("refs/pull/") else "push"
    assert tags(ctx(ref, event), rules, existing=[]) == expected


def test_schedule_pattern_with_date_and_time_zone() -> None:
    rules = ["type=schedule,pattern={{date 'YYYYMMDD-HH' tz='Asia/Tokyo'}}"]
    assert tags(ctx("refs/heads/main", "schedule"), rules) == ["20240506-16"]


def test_priority_orders_tags_and_picks_the_version() -> None:
    decision = decide(
        ctx("refs/tags/v1.2.3"),
        ["type=sha", "type=raw,value=x,priority=950", "type=semver,pattern={{version}}"],
        existing=[],
    )
    assert list(decision.tags) == ["x", "1.2.3", "sha-0123456", "latest"]
    assert decision.version == "x"


def test_duplicates_are_dropped() -> None:
    assert tags(ctx("refs/heads/main"), ["type=raw,value=a", "type=raw,value=a"]) == ["a"]


# --- flavor --------------------------------------------------------------------------------


def test_flavor_prefix_and_suffix_apply_to_tags_not_to_latest() -> None:
    flavor = ["prefix=app-", "suffix=-alpine"]
    got = tags(ctx("refs/tags/v1.2.3"), ["type=semver,pattern={{version}}"], flavor, [])
    assert got == ["app-1.2.3-alpine", "latest"]


def test_flavor_onlatest() -> None:
    flavor = ["suffix=-alpine,onlatest=true"]
    got = tags(ctx("refs/tags/v1.2.3"), ["type=semver,pattern={{version}}"], flavor, [])
    assert got == ["1.2.3-alpine", "latest-alpine"]


def test_rule_affixes_win_over_the_flavor() -> None:
    got = tags(ctx("refs/heads/main"), ["type=sha,prefix=git-"], ["prefix=x-"])
    assert got == ["git-0123456"]


def test_latest_true_and_false() -> None:
    assert tags(ctx("refs/heads/dev"), ["type=ref,event=branch"], ["latest=true"]) == [
        "dev",
        "latest",
    ]
    assert tags(ctx("refs/tags/v1.2.3"), None, ["latest=false"], []) == ["1.2.3", "1.2", "1"]
    # latest=true forces latest even when a higher version exists
    assert "latest" in tags(ctx("refs/tags/v1.0.1"), None, ["latest=true"], ["2.0.0"])


def test_latest_auto_never_for_a_non_semver_tag_or_a_branch() -> None:
    assert tags(ctx("refs/tags/release1"), ["type=ref,event=tag"]) == ["release1"]
    assert tags(ctx("refs/tags/v1.0.0-rc.1"), ["type=ref,event=tag"]) == ["v1.0.0-rc.1"]
    assert tags(ctx("refs/heads/dev"), ["type=ref,event=branch"]) == ["dev"]


def test_ref_event_tag_on_a_final_release_gets_latest_only_when_highest() -> None:
    rules = ["type=ref,event=tag"]
    assert tags(ctx("refs/tags/v1.1.1"), rules, existing=["v1.0.0"]) == ["v1.1.1", "latest"]
    decision = decide(ctx("refs/tags/v1.1.1"), rules, existing=["v2.0.0", "latest"])
    assert list(decision.tags) == ["v1.1.1"]
    assert any("'latest' not moved to 1.1.1: the registry has 2.0.0" in n for n in decision.notes)
    assert needs_registry_versions(parse_rules(rules), ctx("refs/tags/v1.1.1"))
    assert not needs_registry_versions(parse_rules(rules), ctx("refs/tags/v1.1.1-rc.1"))


def test_without_registry_lookup_a_release_counts_as_highest() -> None:
    assert "latest" in tags(ctx("refs/tags/v1.0.1"), existing=None)


# --- parsing errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("type=semvar,pattern={{version}}", "unknown type 'semvar'"),
        ("type=semver", "needs a pattern"),
        ("type=ref", "needs event=branch"),
        ("type=ref,event=commit", "needs event=branch"),
        ("type=raw", "needs a value"),
        ("type=sha,format=medium", "format must be short or long"),
        ("type=semver,patern={{version}}", "has no attribute patern"),
        ("type=raw,value=x,priority=high", "priority 'high' is not a number"),
    ],
)
def test_bad_rules_are_errors_naming_the_line(line: str, needle: str) -> None:
    with pytest.raises(TagRuleError, match=needle):
        parse_rule(line)


def test_bad_expressions_are_errors() -> None:
    with pytest.raises(TagRuleError, match="unknown expression"):
        tags(ctx("refs/heads/main"), ["type=raw,value={{nope}}"])
    with pytest.raises(TagRuleError, match="enable must be true or false"):
        tags(ctx("refs/heads/main"), ["type=raw,value=x,enable=maybe"])
    with pytest.raises(TagRuleError, match="unknown time zone"):
        tags(ctx("refs/heads/main"), ["type=raw,value={{date 'YYYY' tz='Mars/Base'}}"])


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("latest=sometimes", "latest must be auto, true or false"),
        ("colour=blue", "unknown entry 'colour'"),
        ("onlatest=true", "onlatest=true|false follows prefix= or suffix="),
        ("prefix", "is not key=value"),
    ],
)
def test_bad_flavor(line: str, needle: str) -> None:
    with pytest.raises(TagRuleError, match=needle):
        parse_flavor([line])


def test_comments_and_blank_lines_are_skipped() -> None:
    rules = parse_rules(["# a comment", "", "type=sha"])
    assert [rule.type for rule in rules] == ["sha"]


# --- helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.2.3", SemVer(1, 2, 3)),
        ("v1.2.3", SemVer(1, 2, 3)),
        ("1.2.3-rc.1+build.5", SemVer(1, 2, 3, ("rc", "1"), "build.5")),
        ("1.2", None),
        ("01.2.3", None),
        ("1.2.3-", None),
        ("latest", None),
    ],
)
def test_parse_semver(text: str, expected: SemVer | None) -> None:
    assert parse_semver(text) == expected


def test_semver_precedence() -> None:
    ordered = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.10.0",
        "2.0.0",
    ]
    versions = [parse_semver(v) for v in ordered]
    assert all(v is not None for v in versions)
    assert sorted(versions) == versions  # type: ignore[type-var]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("feature/x", "feature-x"),
        ("a b@c", "a-b-c"),
        ("-x", "x"),
        (".hidden", "hidden"),
        ("ünïcode", "n-code"),
        ("x" * 200, "x" * 128),
        ("///", ""),
    ],
)
def test_sanitize_tag(value: str, expected: str) -> None:
    assert sanitize_tag(value) == expected


def test_format_date_literal_text() -> None:
    assert format_date(NOW, "[v]YYYY.MM.DD") == "v2024.05.06"


def test_needs_registry_versions_only_for_final_releases() -> None:
    rules = parse_rules(default_rule_lines(ctx("refs/tags/v1.0.0")))
    assert needs_registry_versions(rules, ctx("refs/tags/v1.0.0"))
    assert not needs_registry_versions(rules, ctx("refs/tags/v1.0.0-rc.1"))
    main = ctx("refs/heads/main")
    assert not needs_registry_versions(parse_rules(default_rule_lines(main)), main)


# --- issue 9: the rest of metadata-action's vocabulary --------------------------------------


@pytest.mark.parametrize(
    ("ref", "rules", "expected"),
    [
        ("refs/tags/v1.2.3", [r"type=match,pattern=v(\d+\.\d+),group=1"], ["1.2", "latest"]),
        ("refs/tags/20240101-RC2", [r"type=match,pattern=\d{8}"], ["20240101"]),
        (
            "refs/tags/p1/v1.0.0",
            [r'type=match,"pattern=/^P1\/V(\d.\d.\d)$/i",group=1'],
            ["1.0.0", "latest"],
        ),
        ("refs/tags/v2.0.8-beta.1", [r"type=match,pattern=\d.\d.\d"], ["2.0.8"]),
        ("refs/tags/v1.2.3", [r"type=match,pattern=x(\d)"], []),
        ("refs/tags/v1.2.3", [r"type=match,pattern=v(\d)(x?),group=2"], []),
        ("refs/tags/v1.2.3", [r"type=match,pattern=v(\d),group=5"], []),
        ("refs/heads/main", [r"type=match,pattern=v(\d)"], []),
        (
            "refs/heads/main",
            [r"type=match,pattern=v(.*),group=1,value=v3.1.4"],
            ["3.1.4", "latest"],
        ),
        (
            "refs/tags/p1/v1.2.3",
            [r'type=semver,pattern={{major}}.{{minor}},"match=v(\d.\d.\d)$"'],
            ["1.2", "latest"],
        ),
        (
            "refs/tags/app-1.2.3",
            [r"type=pep440,pattern={{version}},match=app-(.*)"],
            ["1.2.3", "latest"],
        ),
        ("refs/tags/v1.2.3", ["type=raw,value={{base_ref}}-x"], ["main-x"]),
        ("refs/heads/main", ["type=nope,enable=false", "type=raw,value=a"], ["a"]),
    ],
)
def test_match_rules_and_match_attributes(ref: str, rules: list[str], expected: list[str]) -> None:
    assert tags(ctx(ref, base_ref="main"), rules, existing=[]) == expected


def test_match_priority_sits_between_semver_and_edge() -> None:
    rules = parse_rules(["type=edge", r"type=match,pattern=\d", "type=semver,pattern={{version}}"])
    assert [rule.type for rule in rules] == ["semver", "match", "edge"]
    assert rules[1].priority == 800


def test_a_match_release_that_is_not_the_highest_does_not_take_latest() -> None:
    decision = decide(ctx("refs/tags/v1.2.3"), [r"type=match,pattern=\d.\d.\d"], existing=["2.0.0"])
    assert list(decision.tags) == ["1.2.3"]


def test_base_ref_of_a_tag_push_comes_from_the_push_payload() -> None:
    context = context_from_event(
        event_name="push",
        ref="refs/tags/v1.1.1",
        sha=SHA,
        event={"base_ref": "refs/heads/release/1.x", "ref": "refs/tags/v1.1.1"},
        now=NOW,
    )
    assert context.base_ref == "release/1.x"
    assert tags(context, ["type=raw,value=from-{{base_ref}}"]) == ["from-release-1.x"]


def test_commit_date_comes_from_the_head_commit() -> None:
    context = context_from_event(
        event_name="push",
        ref="refs/heads/main",
        sha=SHA,
        event={"head_commit": {"timestamp": "2022-04-19T11:27:24+02:00"}},
        now=NOW,
    )
    assert tags(context, ["type=raw,value={{commit_date 'YYYYMMDD-HHmm'}}"]) == ["20220419-0927"]
    assert tags(ctx("refs/heads/main"), ["type=raw,value={{commit_date 'YYYY'}}"]) == ["2024"]


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("type=match", "needs a pattern"),
        ("type=match,pattern=(", "is not a regular expression"),
        ("type=match,pattern=x,group=one", "group must be a number"),
        ("type=semver,pattern={{version}},match=(", "is not a regular expression"),
        ("type=nope", "unknown type 'nope'"),
    ],
)
def test_bad_match_rules(line: str, needle: str) -> None:
    with pytest.raises(TagRuleError, match=needle):
        parse_rules([line])
