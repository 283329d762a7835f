"""The edges of the tag rules that the mutation run (scripts/mutation.py) found unpinned: the
exact attributes a rule is parsed into, the exact notes and errors, the expressions inside
affixes and values, the lines a moving tag follows, and the registry's versions read through
the rules' affixes. Pure: no registry, no Docker."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

import pytest

from shipyard.build_push.tags import (
    Flavor,
    RefContext,
    SemVer,
    TagRule,
    TagRuleError,
    compile_pattern,
    compute_tags,
    default_rule_lines,
    needs_registry_versions,
    parse_flavor,
    parse_rule,
    parse_rules,
    registry_versions,
    sanitize_tag,
)

SHA = "0123456789abcdef0123456789abcdef01234567"
NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)


def ctx(ref: str, event: str = "push", **kw: Any) -> RefContext:
    kw.setdefault("sha", SHA)
    kw.setdefault("default_branch", "main")
    return RefContext(event_name=event, ref=ref, now=NOW, **kw)


def decide(
    context: RefContext, rules: list[str], flavor: list[str] | None = None, **kw: Any
) -> Any:
    return compute_tags(parse_rules(rules), parse_flavor(flavor or []), context, **kw)


def error_of(call: Any, *args: Any) -> str:
    with pytest.raises(TagRuleError) as caught:
        call(*args)
    return str(caught.value)


# --- the default rules, per event -----------------------------------------------------------


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        (ctx("refs/heads/main", "schedule"), ["type=schedule", "type=sha"]),
        (ctx("refs/pull/7/merge", "pull_request"), ["type=ref,event=pr", "type=sha"]),
        (
            ctx("refs/tags/v1.2.3"),
            [
                "type=semver,pattern={{version}}",
                "type=semver,pattern={{major}}.{{minor}}",
                "type=semver,pattern={{major}}",
            ],
        ),
        # A slash in a tag reads as '-': 1.2.3/rc.1 is the pre-release 1.2.3-rc.1.
        (
            ctx("refs/tags/1.2.3/rc.1"),
            [
                "type=semver,pattern={{version}}",
                "type=semver,pattern={{major}}.{{minor}}",
                "type=semver,pattern={{major}}",
            ],
        ),
        (ctx("refs/tags/release-x"), ["type=ref,event=tag"]),
        (ctx("refs/heads/main"), ["type=raw,value=latest", "type=sha"]),
        (
            ctx("refs/heads/dev"),
            ["type=raw,value={{branch}}-latest", "type=raw,value={{branch}}-{{sha}}"],
        ),
        (ctx(""), ["type=sha"]),
        (ctx("", sha=""), ["type=raw,value=dev"]),
    ],
)
def test_default_rule_lines_exactly(context: RefContext, expected: list[str]) -> None:
    assert default_rule_lines(context) == expected


# --- parsing: the exact attributes, texts and errors --------------------------------------


@pytest.mark.parametrize(
    ("line", "attrs"),
    [
        (
            "type=semver,pattern={{version}}",
            {"pattern": "{{version}}", "value": "", "match": "", "enable": "true"},
        ),
        (
            "type=pep440,pattern={{version}}",
            {"pattern": "{{version}}", "value": "", "match": "", "enable": "true"},
        ),
        (
            "type=match,pattern=v(.*)",
            {"pattern": "v(.*)", "group": "0", "value": "", "enable": "true"},
        ),
        ("type=edge", {"branch": "", "enable": "true"}),
        ("type=schedule", {"pattern": "nightly", "enable": "true"}),
        ("type=sha", {"prefix": "sha-", "format": "short", "enable": "true"}),
        ("type=ref,event=pr", {"event": "pr", "prefix": "pr-", "enable": "true"}),
        ("type=ref,event=tag", {"event": "tag", "enable": "true"}),
        # An empty field is skipped, not the end of the line.
        ("type=raw,,value=a", {"value": "a", "enable": "true"}),
        # A quoted field after a space holds a comma (csv with skipinitialspace).
        ('type=raw, "value=a,b"', {"value": "a,b", "enable": "true"}),
    ],
)
def test_rules_are_parsed_into_exactly_these_attributes(line: str, attrs: dict[str, str]) -> None:
    assert dict(parse_rule(line).attrs) == attrs


def test_a_rule_keeps_its_text_trimmed_and_its_priority() -> None:
    rule = parse_rule("  type=raw,value=a,priority=5  ")
    assert (rule.type, rule.text, rule.priority) == ("raw", "type=raw,value=a,priority=5", 5)
    assert rule.where == "tag rule 'type=raw,value=a,priority=5'"


def test_get_of_a_missing_attribute_is_the_default() -> None:
    rule = TagRule("raw", {"value": "a"}, "type=raw,value=a", 200)
    assert rule.get("prefix") == ""
    assert rule.get("prefix", "x-") == "x-"
    assert rule.get("value", "b") == "a"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("type=semver", "'type=semver': needs a pattern, e.g. pattern={{version}}"),
        ("type=pep440", "'type=pep440': needs a pattern, e.g. pattern={{version}}"),
        ("type=raw", "'type=raw': type=raw needs a value"),
        ("", "'': type=raw needs a value"),
        ("type=match", r"'type=match': type=match needs a pattern, e.g. pattern=v(\d.\d.\d)"),
        (
            "type=nope",
            "'type=nope': unknown type 'nope'; use one of: schedule, semver, pep440, match, "
            "edge, ref, raw, sha",
        ),
        (
            "type=raw,value=a,foo=1,bar=2",
            "'type=raw,value=a,foo=1,bar=2': type=raw has no attribute bar, foo; it takes "
            "enable, prefix, priority, suffix, value",
        ),
        ("type=ref", "'type=ref': type=ref needs event=branch, event=tag or event=pr"),
    ],
)
def test_rule_errors_word_for_word(line: str, message: str) -> None:
    assert error_of(parse_rule, line) == message


@pytest.mark.parametrize(
    "line",
    ["type=semver,pattern={{version}},match=(", "type=match,pattern=("],
)
def test_a_bad_regular_expression_names_the_rule(line: str) -> None:
    assert error_of(parse_rule, line).startswith(f"'{line}': '(' is not a regular expression (")


def test_a_field_too_long_for_csv_is_a_rule_error_not_a_traceback() -> None:
    line = "type=raw,value=" + "a" * 140_000
    assert error_of(parse_rules, [line]) == (
        f"'{line[:60]}...': cannot be read as comma-separated values "
        "(field larger than field limit (131072))"
    )
    assert error_of(parse_flavor, ["prefix=" + "a" * 140_000]).endswith(
        "cannot be read as comma-separated values (field larger than field limit (131072))"
    )


def test_javascript_flags_add_up_and_unknown_ones_change_nothing() -> None:
    both = compile_pattern("/a.b/is", "here")
    assert both.flags & re.IGNORECASE and both.flags & re.DOTALL
    assert both.search("A\nB")
    assert compile_pattern("/a+/gy", "here").flags == re.compile("a+").flags


# --- the flavor -------------------------------------------------------------------------------


def test_flavor_comments_and_blank_lines_are_skipped_not_the_end() -> None:
    flavor = parse_flavor(["", "# latest=true", "latest=false", "  ", "prefix=p-"])
    assert flavor == Flavor(latest="false", prefix="p-")


def test_flavor_values() -> None:
    assert parse_flavor(["latest=auto"]).latest == "auto"
    assert parse_flavor(["latest=true"]).latest == "true"
    assert parse_flavor(["prefix=a=b"]).prefix == "a=b"
    assert parse_flavor(["prefix=x,onlatest=false"]) == Flavor(prefix="x", prefix_latest=False)
    assert parse_flavor(["suffix=-s,onlatest=true"]) == Flavor(suffix="-s", suffix_latest=True)


# --- expressions: the namespace, and errors that name the rule ----------------------------


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        (ctx("refs/heads/main"), "true-false"),
        (ctx("refs/heads/dev"), "false-true"),
        (ctx("refs/heads/dev", "schedule"), "true-false"),
    ],
)
def test_is_default_branch_expressions(context: RefContext, expected: str) -> None:
    rules = ["type=raw,value={{is_default_branch}}-{{is_not_default_branch}}"]
    assert decide(context, rules).tags == (expected,)


def test_expressions_in_affixes_and_values_are_rendered() -> None:
    context = ctx("refs/heads/dev")
    rules = ["type=raw,value=v-{{sha}},prefix={{branch}}-,suffix=-{{branch}}"]
    assert decide(context, rules).tags == ("dev-v-0123456-dev",)
    tagged = ctx("refs/tags/v1.2.3")
    assert decide(tagged, ["type=semver,pattern={{version}},value={{tag}}"]).tags == (
        "1.2.3",
        "latest",
    )


@pytest.mark.parametrize(
    "line",
    [
        "type=raw,value=a,prefix={{nope}}",
        "type=raw,value=a,suffix={{nope}}",
        "type=raw,value=a,enable={{nope}}",
        "type=raw,value={{nope}}",
        "type=semver,pattern={{version}},value={{nope}}",
        "type=semver,pattern={{nope}}",
        "type=schedule,pattern={{nope}}",
    ],
)
def test_an_unknown_expression_names_the_rule(line: str) -> None:
    context = ctx("refs/tags/v1.2.3", "schedule")
    message = error_of(decide, context, [line])
    assert message.startswith(f"tag rule '{line}': unknown expression {{{{nope}}}}; known: ")


def test_commit_date_errors_name_commit_date() -> None:
    message = error_of(decide, ctx("refs/heads/main"), ["type=raw,value={{commit_date}}"])
    assert message == ("{{commit_date 'FORMAT'}} takes one format, e.g. {{commit_date 'YYYYMMDD'}}")


# --- notes, word for word ---------------------------------------------------------------------


def test_a_value_with_no_valid_character_is_skipped_with_a_note() -> None:
    decision = decide(ctx("refs/heads/main"), ["type=raw,value=..."])
    assert decision.tags == ()
    assert decision.notes == (
        "'...' has no character a tag can hold; rule 'type=raw,value=...' skipped",
    )
    assert decision.version == ""
    assert decision.release is None and decision.releases == ()


def test_sanitize_drops_only_leading_dots_and_dashes() -> None:
    assert sanitize_tag("Xtag") == "Xtag"
    assert sanitize_tag(".-X.y") == "X.y"


@pytest.mark.parametrize(
    ("rule", "note"),
    [
        (
            "type=semver,pattern={{version}},value=abc",
            "'abc' is not a semantic version; rule 'type=semver,pattern={{version}},value=abc' "
            "made no tag",
        ),
        (
            "type=pep440,pattern={{version}},value=abc",
            "'abc' is not a PEP 440 version; rule 'type=pep440,pattern={{version}},value=abc' "
            "made no tag",
        ),
        (
            r"type=match,pattern=v(\d+),value=abc",
            r"pattern 'v(\d+)' does not match 'abc'",
        ),
        (
            r"type=match,pattern=v(\d+),group=2,value=v1",
            r"pattern 'v(\d+)' has no group 2",
        ),
    ],
)
def test_rules_that_make_no_tag_say_why(rule: str, note: str) -> None:
    decision = decide(ctx("refs/heads/main"), [rule])
    assert decision.tags == ()
    assert decision.notes == (note,)


def test_a_match_attribute_that_does_not_match_reads_the_whole_source() -> None:
    decision = decide(ctx("refs/tags/1.2.3"), [r"type=semver,pattern={{version}},match=v(\d.*)"])
    assert decision.tags == ("1.2.3", "latest")
    assert decision.notes == (r"match 'v(\d.*)' does not match '1.2.3'",)


def test_a_slash_in_a_version_reads_as_a_dash() -> None:
    decision = decide(ctx("refs/tags/1.2.3/rc.1"), ["type=semver,pattern={{version}}"])
    assert decision.tags == ("1.2.3-rc.1",)
    assert decision.release == SemVer(1, 2, 3, ("rc", "1"))


def test_raw_pattern_with_spaces_gives_a_prerelease_its_raw_text() -> None:
    decision = decide(ctx("refs/tags/v1.2.0-rc.1"), ["type=semver,pattern={{ raw }}"])
    assert decision.tags == ("v1.2.0-rc.1",)


# --- which line a moving tag follows ----------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("{{major}}.{{minor}}.{{patch}}", ["1.2.3"]),  # exact: never held back
        ("{{raw}}", ["v1.2.3"]),
        ("{{version}}", ["1.2.3"]),
    ],
)
def test_exact_patterns_are_given_even_under_a_higher_release(
    pattern: str, expected: list[str]
) -> None:
    decision = decide(
        ctx("refs/tags/v1.2.3"), [f"type=semver,pattern={pattern}"], existing_tags=["1.2.4"]
    )
    assert list(decision.tags) == expected


def test_the_minor_line_note_word_for_word() -> None:
    decision = decide(
        ctx("refs/tags/v1.2.3"),
        ["type=semver,pattern={{major}}.{{minor}}"],
        existing_tags=["1.2.4", "1.3.0"],
    )
    assert decision.tags == ()
    assert decision.notes == ("'1.2' not moved to 1.2.3: the registry has 1.2.4, higher in 1.2.x",)


def test_a_pattern_with_no_version_part_follows_every_release() -> None:
    decision = decide(
        ctx("refs/tags/v1.2.3"), ["type=semver,pattern=stable"], existing_tags=["2.0.0"]
    )
    assert decision.tags == ()
    assert decision.notes == ("'stable' not moved to 1.2.3: the registry has 2.0.0",)
    fresh = decide(ctx("refs/tags/v2.1.0"), ["type=semver,pattern=stable"], existing_tags=["2.0.0"])
    assert fresh.tags == ("stable", "latest")
    assert fresh.releases == (SemVer(2, 1, 0),)


# --- the registry's versions, read through the rules' affixes ---------------------------------


def versions(existing: list[str], rules: list[str], context: RefContext | None = None) -> Any:
    context = context or ctx("refs/tags/v1.0.0", base_ref="main")
    return registry_versions(existing, parse_rules(rules), Flavor(), context)


def test_registry_tags_with_a_v_are_releases_too() -> None:
    assert versions(["v2.0.0", "V3.0.0", "2.1.0XXXX", "x2.2.0"], []) == [
        SemVer(2, 0, 0),
        SemVer(3, 0, 0),
    ]


def test_registry_affixes_come_from_exact_semver_and_match_rules_only() -> None:
    assert versions(["main-2.0.0"], ["type=semver,pattern={{version}},prefix={{base_ref}}-"]) == [
        SemVer(2, 0, 0)
    ]
    assert versions(["r-2.0.0"], [r"type=match,pattern=\d.*,prefix=r-"]) == [SemVer(2, 0, 0)]
    # A moving tag's affixes are not read: 'm-2.0.0' is no release of the 'm-' rule.
    assert versions(["m-2.0.0"], ["type=semver,pattern={{major}},prefix=m-"]) == []
    assert versions(["s-2.0.0"], ["type=raw,value=x,prefix=s-"]) == []


def test_a_registry_tag_must_have_both_affixes() -> None:
    both = ["type=semver,pattern={{version}},prefix=app-,suffix=-alpine"]
    assert versions(["app-3.0.0", "3.0.0-alpine", "app-4.0.0-alpine"], both) == [SemVer(4, 0, 0)]
    # A tag as long as the affixes, but with other text in their place, is no release.
    assert versions(["abcd3.0.0"], ["type=semver,pattern={{version}},prefix=app-"]) == []
    assert versions(["3.0.0-alpinX"], ["type=semver,pattern={{version}},suffix=-alpine"]) == []


# --- edge, latest, the main tag ----------------------------------------------------------------


def test_edge_goes_to_the_default_branch_also_when_it_is_not_known() -> None:
    # Without the repository's default branch, main and master both count as default.
    for branch in ("main", "master"):
        assert decide(ctx(f"refs/heads/{branch}", default_branch=""), ["type=edge"]).tags == (
            "edge",
        )
    assert decide(ctx("refs/heads/dev", default_branch=""), ["type=edge"]).tags == ()
    assert decide(ctx("refs/heads/dev"), ["type=edge,branch=dev"]).tags == ("edge",)
    assert decide(ctx("refs/heads/main"), ["type=edge,branch=dev"]).tags == ()


def test_the_main_tag_is_a_latest_one_when_there_is_no_other() -> None:
    decision = decide(ctx("refs/heads/dev"), ["type=raw,value={{branch}}-latest"])
    assert decision.tags == ("dev-latest",)
    assert decision.version == "dev-latest"


def test_releases_are_returned() -> None:
    decision = decide(ctx("refs/tags/v1.2.3"), ["type=semver,pattern={{version}}"])
    assert decision.releases == (SemVer(1, 2, 3),)
    assert decision.release == SemVer(1, 2, 3)


def test_needs_no_registry_when_a_rule_is_bad() -> None:
    rules = parse_rules(["type=semver,pattern={{version}},enable={{nope}}"])
    assert needs_registry_versions(rules, ctx("refs/tags/v1.2.3")) is False
