"""Image tags from the git ref, in docker/metadata-action's vocabulary, with its surprises fixed.

Rules (one per line, CSV like metadata-action): ``type=semver,pattern={{version}}``,
``type=pep440``, ``type=match,pattern=...,group=1``, ``type=sha``,
``type=ref,event=branch|tag|pr``, ``type=raw,value=...``, ``type=schedule``, ``type=edge``,
each with ``prefix``, ``suffix``, ``enable`` and ``priority``; the flavor sets
``latest=auto|true|false`` and a global ``prefix``/``suffix``.

What differs from metadata-action, on purpose (build-push/README.md lists each case):

* on pull requests ``{{sha}}`` and ``type=sha`` use the PR head commit, not the merge commit;
* ``latest`` (with ``latest=auto``) goes to a final release only (a semver tag, the same
  through ``type=ref,event=tag`` or ``type=match``), and only when it is the highest version
  among the tags already in the registry; the moving tags of a release (``{{major}}``,
  ``{{major}}.{{minor}}``) only when it is the highest of its line. Which rule has the
  highest priority does not decide ``latest``;
* a rule with an unknown type or attribute is an error, not silently ignored (a rule with
  ``enable=false`` is skipped before it is read, as upstream).

Everything here is pure: no environment, no I/O. The clock comes in through ``RefContext.now``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .expressions import (
    EXPRESSION,
    Namespace,
    TagRuleError,
    date_function,
    format_date,
    render,
)
from .refcontext import RefContext, context_from_event
from .tagrules import (
    PRIORITIES,
    Flavor,
    TagRule,
    compile_pattern,
    parse_flavor,
    parse_rule,
    parse_rules,
)
from .versions import (
    SemVer,
    final_release,
    parse_release,
    parse_semver,
    trailing_release,
)

__all__ = [
    "PRIORITIES",
    "Flavor",
    "RefContext",
    "SemVer",
    "TagDecision",
    "TagRule",
    "TagRuleError",
    "compile_pattern",
    "compute_tags",
    "context_from_event",
    "default_rule_lines",
    "format_date",
    "needs_registry_versions",
    "parse_flavor",
    "parse_rule",
    "parse_rules",
    "parse_semver",
    "registry_versions",
    "render",
    "sanitize_tag",
]

MAX_TAG = 128
_INVALID_TAG_CHARS = re.compile(r"[^a-zA-Z0-9._-]+")


def default_rule_lines(ctx: RefContext) -> list[str]:
    """The tags when ``tags`` is empty, as the runbooks have them:

    default branch: ``latest``, ``sha-<short>``; another branch: ``<branch>-latest``,
    ``<branch>-<short>``; a semver tag: ``{{version}}``, ``{{major}}.{{minor}}``,
    ``{{major}}`` (and ``latest`` when highest); another tag: the tag; a pull request:
    ``pr-<n>``, ``sha-<short>``; a schedule: ``nightly``, ``sha-<short>``."""
    if ctx.event_name == "schedule":
        return ["type=schedule", "type=sha"]
    if ctx.is_pull_request:
        return ["type=ref,event=pr", "type=sha"]
    if ctx.git_tag:
        if parse_semver(ctx.git_tag.replace("/", "-")) is not None:
            return [
                "type=semver,pattern={{version}}",
                "type=semver,pattern={{major}}.{{minor}}",
                "type=semver,pattern={{major}}",
            ]
        return ["type=ref,event=tag"]
    if ctx.branch:
        if ctx.is_default_branch:
            return ["type=raw,value=latest", "type=sha"]
        return ["type=raw,value={{branch}}-latest", "type=raw,value={{branch}}-{{sha}}"]
    if ctx.sha:
        return ["type=sha"]
    return ["type=raw,value=dev"]


# -------------------------------------------------------------------------------- expressions


def global_namespace(ctx: RefContext) -> dict[str, Any]:
    """The expressions every value, prefix, suffix and enable may use."""
    default = "true" if ctx.is_default_branch or ctx.event_name == "schedule" else "false"
    return {
        "branch": ctx.branch,
        "tag": ctx.git_tag,
        "sha": ctx.short_sha,
        "base_ref": ctx.base_ref,
        "is_default_branch": default,
        "is_not_default_branch": "false" if default == "true" else "true",
        "date": date_function(ctx.now),
        "commit_date": date_function(ctx.commit_time or ctx.now, "commit_date"),
    }


# ------------------------------------------------------------------------------ computation


@dataclass(frozen=True)
class TagDecision:
    """The tags for this ref, and why some were not given."""

    tags: tuple[str, ...]
    version: str
    latest: bool
    #: The release version when a semver rule matched the ref (pre-releases included).
    release: SemVer | None = None
    notes: tuple[str, ...] = ()
    #: The final releases the tags were given for (they decide ``latest=auto``).
    releases: tuple[SemVer, ...] = ()


def sanitize_tag(value: str) -> str:
    """Replace characters a tag cannot hold (``feature/x`` -> ``feature-x``), drop leading
    ``.``/``-``, cut at 128 characters."""
    cleaned = _INVALID_TAG_CHARS.sub("-", value).lstrip(".-")
    return cleaned[:MAX_TAG]


def _pattern_line(pattern: str) -> str:
    """Which versions a semver pattern's tag moves with: exact, minor, major, or all."""
    names = {match.group(1) for match in EXPRESSION.finditer(pattern)}
    if names & {"version", "patch", "raw"}:
        return "exact"
    if "minor" in names:
        return "minor"
    if "major" in names:
        return "major"
    return "all"


def _line_name(version: SemVer, line: str) -> str:
    if line == "major":
        return f", higher in {version.major}.x"
    if line == "minor":
        return f", higher in {version.major}.{version.minor}.x"
    return ""


def _in_line(candidate: SemVer, release: SemVer, line: str) -> bool:
    if line == "major":
        return candidate.major == release.major
    if line == "minor":
        return (candidate.major, candidate.minor) == (release.major, release.minor)
    return True


def _affixes(rule: TagRule, flavor: Flavor, namespace: Namespace) -> tuple[str, str]:
    prefix = rule.get("prefix") if rule.has("prefix") else flavor.prefix
    suffix = rule.get("suffix") if rule.has("suffix") else flavor.suffix
    return render(prefix, namespace, rule.where), render(suffix, namespace, rule.where)


def registry_versions(
    existing_tags: Iterable[str], rules: Sequence[TagRule], flavor: Flavor, ctx: RefContext
) -> list[SemVer]:
    """The final releases among the registry's tags, reading them through the affixes of the
    exact-version rules (``v1.2.3``, ``1.2.3-alpine``) as well as plain."""
    namespace = global_namespace(ctx)
    affixes = {("", "")}  # parse_semver reads a leading v
    for rule in rules:
        exact = rule.type == "semver" and _pattern_line(rule.get("pattern")) == "exact"
        if exact or rule.type == "match":
            affixes.add(_affixes(rule, flavor, namespace))
    found: list[SemVer] = []
    for tag in existing_tags:
        for prefix, suffix in affixes:
            if not (tag.startswith(prefix) and tag.endswith(suffix)):
                continue
            core = tag[len(prefix) : len(tag) - len(suffix)]
            version = final_release(core)
            if version is not None:
                found.append(version)
                break
    return found


class _Tagging:
    """The state of one computation: the tags so far, the notes, the releases."""

    def __init__(self, flavor: Flavor, ctx: RefContext, existing: list[SemVer] | None) -> None:
        self.flavor = flavor
        self.ctx = ctx
        self.existing = existing
        self.namespace = global_namespace(ctx)
        self.tags: list[str] = []
        self.notes: list[str] = []
        self.releases: list[SemVer] = []
        self.release: SemVer | None = None

    def add(self, value: str, rule: TagRule) -> None:
        if not value:
            return
        prefix, suffix = _affixes(rule, self.flavor, self.namespace)
        wanted = f"{prefix}{value}{suffix}"
        tag = sanitize_tag(wanted)
        if not tag:
            self.notes.append(
                f"'{wanted}' has no character a tag can hold; rule '{rule.text}' skipped"
            )
            return
        if tag != wanted:
            self.notes.append(f"'{wanted}' is not a valid tag; using '{tag}'")
        if tag not in self.tags:
            self.tags.append(tag)

    def enabled(self, rule: TagRule) -> bool:
        value = render(rule.get("enable"), self.namespace, rule.where).strip().lower()
        if value not in ("true", "false"):
            raise TagRuleError(f"{rule.where}: enable must be true or false, not '{value}'")
        return value == "true"

    def source(self, rule: TagRule) -> str | None:
        """What a version rule reads: its ``value``, else the git tag; None when neither."""
        if rule.get("value"):
            return render(rule.get("value"), self.namespace, rule.where)
        return self.ctx.git_tag or None

    def registry_has_higher(self, version: SemVer, line: str, tag: str) -> bool:
        """Whether the registry holds a higher release in the line a moving tag follows."""
        if line == "exact" or self.existing is None:
            return False
        higher = [v for v in self.existing if _in_line(v, version, line) and v > version]
        if higher:
            self.notes.append(
                f"'{tag}' not moved to {version.version}: the registry has "
                f"{max(higher)}{_line_name(version, line)}"
            )
        return bool(higher)


def _version_text(rule: TagRule, tagging: _Tagging) -> str | None:
    """The version a semver/pep440 rule parses: the source, through ``match=`` (group 1)."""
    raw = tagging.source(rule)
    if raw is None:
        return None
    if rule.get("match"):
        found = compile_pattern(rule.get("match"), rule.where).search(raw)
        if found and found.lastindex:
            raw = found.group(1)
        else:
            tagging.notes.append(f"match '{rule.get('match')}' does not match '{raw}'")
    return raw.replace("/", "-")


def _tag_version(rule: TagRule, tagging: _Tagging) -> None:
    raw = _version_text(rule, tagging)
    if raw is None:
        return
    parsed = parse_release(rule.type, raw)
    if parsed is None:
        kind = "semantic" if rule.type == "semver" else "PEP 440"
        tagging.notes.append(f"'{raw}' is not a {kind} version; rule '{rule.text}' made no tag")
        return
    version, exact, values = parsed
    if rule.type == "semver":
        tagging.release = tagging.release or version
    pattern = rule.get("pattern")
    if exact is not None:
        # A pre-release gets its exact version only: never 1, 1.2 or latest.
        raw_pattern = pattern.replace(" ", "") == "{{raw}}"
        tagging.add(render(pattern, values, rule.where) if raw_pattern else exact, rule)
        return
    tag = render(pattern, values, rule.where)
    if tagging.registry_has_higher(version, _pattern_line(pattern), tag):
        return
    tagging.releases.append(version)
    tagging.add(tag, rule)


def _tag_match(rule: TagRule, tagging: _Tagging) -> None:
    source = tagging.source(rule)
    if source is None:
        return
    found = compile_pattern(rule.get("pattern"), rule.where).search(source)
    if found is None:
        tagging.notes.append(f"pattern '{rule.get('pattern')}' does not match '{source}'")
        return
    try:
        value = found.group(int(rule.get("group")))
    except IndexError:
        tagging.notes.append(f"pattern '{rule.get('pattern')}' has no group {rule.get('group')}")
        return
    if not value:
        return
    release = trailing_release(source)
    if release is not None:
        tagging.releases.append(release)
    tagging.add(value, rule)


def _tag_schedule(rule: TagRule, tagging: _Tagging) -> None:
    if tagging.ctx.event_name == "schedule":
        tagging.add(render(rule.get("pattern"), tagging.namespace, rule.where), rule)


def _tag_ref(rule: TagRule, tagging: _Tagging) -> None:
    ctx = tagging.ctx
    event = rule.get("event")
    if event == "branch":
        tagging.add(ctx.branch, rule)
    elif event == "tag" and ctx.git_tag:
        release = final_release(ctx.git_tag)
        if release is not None:
            tagging.releases.append(release)
        tagging.add(ctx.git_tag, rule)
    elif event == "pr" and ctx.is_pull_request:
        tagging.add(ctx.pr, rule)


def _tag_edge(rule: TagRule, tagging: _Tagging) -> None:
    ctx = tagging.ctx
    wanted = rule.get("branch")
    # Without branch=, the default branch (main or master when the event does not name it).
    if ctx.branch == wanted if wanted else ctx.is_default_branch:
        tagging.add("edge", rule)


def _tag_raw(rule: TagRule, tagging: _Tagging) -> None:
    tagging.add(render(rule.get("value"), tagging.namespace, rule.where), rule)


def _tag_sha(rule: TagRule, tagging: _Tagging) -> None:
    ctx = tagging.ctx
    if ctx.sha:
        tagging.add(ctx.sha if rule.get("format") == "long" else ctx.short_sha, rule)


_HANDLERS: dict[str, Callable[[TagRule, _Tagging], None]] = {
    "schedule": _tag_schedule,
    "semver": _tag_version,
    "pep440": _tag_version,
    "match": _tag_match,
    "ref": _tag_ref,
    "edge": _tag_edge,
    "raw": _tag_raw,
    "sha": _tag_sha,
}


def _wants_latest(tagging: _Tagging) -> bool:
    flavor = tagging.flavor
    if flavor.latest == "true":
        return bool(tagging.tags)
    if flavor.latest != "auto" or not tagging.releases:
        return False
    top = max(tagging.releases)
    higher = [v for v in tagging.existing or [] if v > top]
    if higher:
        tagging.notes.append(f"'latest' not moved to {top.version}: the registry has {max(higher)}")
        return False
    return True


def _latest_tag(flavor: Flavor) -> str:
    return sanitize_tag(
        (flavor.prefix if flavor.prefix_latest else "")
        + "latest"
        + (flavor.suffix if flavor.suffix_latest else "")
    )


def _run_rules(
    rules: Sequence[TagRule], flavor: Flavor, ctx: RefContext, existing: list[SemVer] | None
) -> _Tagging:
    tagging = _Tagging(flavor, ctx, existing)
    for rule in rules:
        if tagging.enabled(rule):
            _HANDLERS[rule.type](rule, tagging)
    return tagging


def compute_tags(
    rules: Sequence[TagRule],
    flavor: Flavor,
    ctx: RefContext,
    existing_tags: Iterable[str] | None = None,
) -> TagDecision:
    """The tags (without image names) for ``ctx``. ``existing_tags`` are the tags already in
    the registry (None: not looked up, so every release counts as the highest)."""
    existing = (
        registry_versions(existing_tags, rules, flavor, ctx) if existing_tags is not None else None
    )
    tagging = _run_rules(rules, flavor, ctx, existing)
    tags = tagging.tags
    latest_tag = _latest_tag(flavor)
    if _wants_latest(tagging) and latest_tag not in tags:
        tags.append(latest_tag)
    main = next(
        (t for t in tags if t != latest_tag and not t.endswith("-latest")),
        tags[0] if tags else "",
    )
    return TagDecision(
        tuple(tags),
        main,
        latest_tag in tags,
        tagging.release,
        tuple(tagging.notes),
        tuple(tagging.releases),
    )


def needs_registry_versions(rules: Sequence[TagRule], ctx: RefContext) -> bool:
    """Whether the tags depend on the registry's versions (a final release is tagged)."""
    try:
        return bool(_run_rules(rules, Flavor(), ctx, None).releases)
    except TagRuleError:
        return False
