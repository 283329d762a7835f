"""Image tags from the git ref, in docker/metadata-action's vocabulary, with its surprises fixed.

Rules (one per line, CSV like metadata-action): ``type=semver,pattern={{version}}``,
``type=sha``, ``type=ref,event=branch|tag|pr``, ``type=raw,value=...``, ``type=schedule``,
``type=edge``, ``type=pep440``, each with ``prefix``, ``suffix``, ``enable`` and ``priority``;
the flavor sets ``latest=auto|true|false`` and a global ``prefix``/``suffix``.

What differs from metadata-action, on purpose:

* on pull requests ``{{sha}}`` and ``type=sha`` use the PR head commit, not the merge commit;
* ``latest`` (with ``latest=auto``) and the moving tags of a release (``{{major}}``,
  ``{{major}}.{{minor}}``) are given only when the release is the highest version of its line
  among the tags already in the registry: a 1.4.1 hotfix after 2.0.0 gets ``1.4.1``, ``1.4``
  and ``1`` but not ``latest``;
* ``latest=auto`` never gives ``latest`` for a pre-release or a non-semver git tag
  (metadata-action gives it to ``type=ref,event=tag``);
* a rule with an unknown type or attribute is an error, not silently ignored.

Everything here is pure: no environment, no I/O. The clock comes in through ``RefContext.now``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from typing import Any

PRIORITIES = {
    "schedule": 1000,
    "semver": 900,
    "pep440": 900,
    "edge": 700,
    "ref": 600,
    "raw": 200,
    "sha": 100,
}
REF_EVENTS = ("branch", "tag", "pr")
_COMMON_ATTRS = {"type", "prefix", "suffix", "enable", "priority"}
_TYPE_ATTRS = {
    "schedule": {"pattern"},
    "semver": {"pattern", "value"},
    "pep440": {"pattern", "value"},
    "edge": {"branch"},
    "ref": {"event"},
    "raw": {"value"},
    "sha": {"format"},
}
SHORT_SHA = 7
MAX_TAG = 128
_INVALID_TAG_CHARS = re.compile(r"[^a-zA-Z0-9._-]+")
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
_EXPRESSION = re.compile(r"\{\{\s*([a-zA-Z_]+)((?:\s+[^}]*?)?)\s*\}\}")
_ARGUMENT = re.compile(r"""\s*(?:([a-zA-Z_]+)=)?(?:'([^']*)'|"([^"]*)")""")
_DATE_TOKEN = re.compile(r"\[[^\]]*\]|YYYY|YY|MM|M|DD|D|HH|H|mm|m|ss|s|.", re.DOTALL)


class TagRuleError(ValueError):
    """A tag rule or flavor entry cannot be used; the message says which and why."""


# ----------------------------------------------------------------------------------- versions


@dataclass(frozen=True)
class SemVer:
    """A semantic version (semver.org 2.0), compared by its precedence."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: str = ""

    @property
    def version(self) -> str:
        """``1.2.3`` or ``1.2.3-rc.1`` (build metadata left out, as metadata-action does)."""
        core = f"{self.major}.{self.minor}.{self.patch}"
        return core + ("-" + ".".join(self.prerelease) if self.prerelease else "")

    @property
    def is_prerelease(self) -> bool:
        return bool(self.prerelease)

    def key(self) -> tuple[Any, ...]:
        identifiers = tuple(
            (0, int(part), "") if part.isdigit() else (1, 0, part) for part in self.prerelease
        )
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, identifiers)

    def __lt__(self, other: SemVer) -> bool:
        return self.key() < other.key()

    def __le__(self, other: SemVer) -> bool:
        return self.key() <= other.key()

    def __gt__(self, other: SemVer) -> bool:
        return self.key() > other.key()

    def __ge__(self, other: SemVer) -> bool:
        return self.key() >= other.key()

    def __str__(self) -> str:
        return self.version


def parse_semver(text: str) -> SemVer | None:
    """A semantic version, allowing a leading ``v`` or ``=`` (as node-semver); else None."""
    value = text.strip()
    if value[:1] in ("v", "V", "="):
        value = value[1:]
    match = _SEMVER.match(value)
    if not match:
        return None
    pre = tuple(match.group(4).split(".")) if match.group(4) else ()
    return SemVer(
        int(match.group(1)), int(match.group(2)), int(match.group(3)), pre, match.group(5) or ""
    )


# ------------------------------------------------------------------------------------ context


@dataclass(frozen=True)
class RefContext:
    """What the tags depend on: the event, the git ref, the commit and the time."""

    event_name: str = ""
    ref: str = ""
    #: The commit the image is built from: the PR head on pull requests, not the merge commit.
    sha: str = ""
    default_branch: str = ""
    pr_number: int | None = None
    base_ref: str = ""
    head_ref: str = ""
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def branch(self) -> str:
        return self.ref.removeprefix("refs/heads/") if self.ref.startswith("refs/heads/") else ""

    @property
    def git_tag(self) -> str:
        return self.ref.removeprefix("refs/tags/") if self.ref.startswith("refs/tags/") else ""

    @property
    def is_pull_request(self) -> bool:
        return self.ref.startswith("refs/pull/") or self.pr_number is not None

    @property
    def pr(self) -> str:
        if self.pr_number is not None:
            return str(self.pr_number)
        if self.ref.startswith("refs/pull/"):
            return self.ref.removeprefix("refs/pull/").split("/", 1)[0]
        return ""

    @property
    def short_sha(self) -> str:
        return self.sha[:SHORT_SHA]

    @property
    def is_default_branch(self) -> bool:
        if not self.branch:
            return False
        if self.default_branch:
            return self.branch == self.default_branch
        return self.branch in ("main", "master")


def context_from_event(
    *,
    event_name: str,
    ref: str,
    sha: str,
    event: Mapping[str, Any],
    head_ref: str = "",
    base_ref: str = "",
    now: datetime | None = None,
) -> RefContext:
    """The RefContext of a workflow run, from GITHUB_* values and the event payload."""
    repository = event.get("repository") if isinstance(event.get("repository"), Mapping) else {}
    default_branch = str((repository or {}).get("default_branch") or "")
    pull = event.get("pull_request") if isinstance(event.get("pull_request"), Mapping) else None
    pr_number: int | None = None
    if pull is not None:
        number = pull.get("number", event.get("number"))
        pr_number = int(number) if isinstance(number, int | str) and str(number).isdigit() else None
        head = pull.get("head") if isinstance(pull.get("head"), Mapping) else {}
        head_sha = str((head or {}).get("sha") or "")
        if head_sha:
            sha = head_sha
        head_ref = head_ref or str((head or {}).get("ref") or "")
        base = pull.get("base") if isinstance(pull.get("base"), Mapping) else {}
        base_ref = base_ref or str((base or {}).get("ref") or "")
        if event_name == "pull_request_target" and pr_number is not None:
            # The target event runs on the base branch; the tags are the PR's, as for PRs.
            ref = f"refs/pull/{pr_number}/merge"
    elif ref.startswith("refs/pull/"):
        part = ref.removeprefix("refs/pull/").split("/", 1)[0]
        pr_number = int(part) if part.isdigit() else None
    return RefContext(
        event_name=event_name,
        ref=ref,
        sha=sha,
        default_branch=default_branch,
        pr_number=pr_number,
        base_ref=base_ref,
        head_ref=head_ref,
        now=now or datetime.now(timezone.utc),
    )


# -------------------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class TagRule:
    """One parsed line of the ``tags`` input."""

    type: str
    attrs: Mapping[str, str]
    text: str
    priority: int

    def has(self, name: str) -> bool:
        return name in self.attrs

    def get(self, name: str, default: str = "") -> str:
        return self.attrs.get(name, default)


def _fields(line: str) -> list[str]:
    rows = list(csv.reader([line], skipinitialspace=True))
    return [item.strip() for item in rows[0]] if rows else []


def parse_rule(line: str) -> TagRule:
    """Parse one rule such as ``type=semver,pattern={{major}}.{{minor}}``."""
    attrs: dict[str, str] = {}
    rule_type = ""
    for item in _fields(line):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep:
            attrs["value"] = item
            continue
        key = key.strip().lower()
        value = value.strip()
        if key == "type":
            rule_type = value.lower()
            if rule_type not in PRIORITIES:
                raise TagRuleError(
                    f"'{line}': unknown type '{value}'; use one of: {', '.join(PRIORITIES)}"
                )
            continue
        attrs[key] = value
    rule_type = rule_type or "raw"
    allowed = _COMMON_ATTRS | _TYPE_ATTRS[rule_type]
    unknown = sorted(set(attrs) - allowed)
    if unknown:
        raise TagRuleError(
            f"'{line}': type={rule_type} has no attribute {', '.join(unknown)}; it takes "
            f"{', '.join(sorted(allowed - {'type'}))}"
        )
    if rule_type == "schedule":
        attrs.setdefault("pattern", "nightly")
    elif rule_type in ("semver", "pep440"):
        if not attrs.get("pattern"):
            raise TagRuleError(f"'{line}': type={rule_type} needs a pattern, e.g. {{{{version}}}}")
        attrs.setdefault("value", "")
    elif rule_type == "ref":
        event = attrs.get("event", "")
        if event not in REF_EVENTS:
            raise TagRuleError(f"'{line}': type=ref needs event=branch, event=tag or event=pr")
        if event == "pr":
            attrs.setdefault("prefix", "pr-")
    elif rule_type == "raw":
        if not attrs.get("value"):
            raise TagRuleError(f"'{line}': type=raw needs a value")
    elif rule_type == "sha":
        attrs.setdefault("prefix", "sha-")
        attrs.setdefault("format", "short")
        if attrs["format"] not in ("short", "long"):
            raise TagRuleError(f"'{line}': format must be short or long")
    elif rule_type == "edge":
        attrs.setdefault("branch", "")
    attrs.setdefault("enable", "true")
    priority_text = attrs.pop("priority", str(PRIORITIES[rule_type]))
    try:
        priority = int(priority_text)
    except ValueError:
        raise TagRuleError(f"'{line}': priority '{priority_text}' is not a number") from None
    return TagRule(rule_type, attrs, line.strip(), priority)


def parse_rules(lines: Iterable[str]) -> list[TagRule]:
    """Every non-empty, non-comment line; sorted by priority (highest first), stable."""
    rules = [
        parse_rule(line) for line in lines if line.strip() and not line.strip().startswith("#")
    ]
    return sorted(rules, key=lambda rule: -rule.priority)


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


# ------------------------------------------------------------------------------------- flavor


@dataclass(frozen=True)
class Flavor:
    latest: str = "auto"
    prefix: str = ""
    prefix_latest: bool = False
    suffix: str = ""
    suffix_latest: bool = False


def parse_flavor(lines: Iterable[str]) -> Flavor:
    """``latest=auto|true|false``, ``prefix=x[,onlatest=true]``, ``suffix=x[,onlatest=true]``."""
    values: dict[str, Any] = {}
    for line in lines:
        if not line.strip() or line.strip().startswith("#"):
            continue
        target = ""
        for item in _fields(line):
            key, sep, value = item.partition("=")
            key, value = key.strip().lower(), value.strip()
            if not sep:
                raise TagRuleError(f"flavor '{line.strip()}': '{item}' is not key=value")
            if key == "latest":
                if value not in ("auto", "true", "false"):
                    raise TagRuleError(
                        f"flavor '{line.strip()}': latest must be auto, true or false"
                    )
                values["latest"] = value
            elif key in ("prefix", "suffix"):
                values[key] = value
                target = key
            elif key == "onlatest":
                if value not in ("true", "false") or not target:
                    raise TagRuleError(
                        f"flavor '{line.strip()}': onlatest=true|false follows prefix= or suffix="
                    )
                values[f"{target}_latest"] = value == "true"
            else:
                raise TagRuleError(
                    f"flavor '{line.strip()}': unknown entry '{key}'; use latest, prefix, suffix"
                )
    return Flavor(**values)


# -------------------------------------------------------------------------------- expressions


def format_date(moment: datetime, pattern: str) -> str:
    """A moment.js-style date format: YYYY YY MM M DD D HH H mm m ss s and [literal text]."""
    out: list[str] = []
    for token in _DATE_TOKEN.findall(pattern):
        if token.startswith("[") and token.endswith("]") and len(token) >= 2:
            out.append(token[1:-1])
            continue
        out.append(
            {
                "YYYY": f"{moment.year:04d}",
                "YY": f"{moment.year % 100:02d}",
                "MM": f"{moment.month:02d}",
                "M": str(moment.month),
                "DD": f"{moment.day:02d}",
                "D": str(moment.day),
                "HH": f"{moment.hour:02d}",
                "H": str(moment.hour),
                "mm": f"{moment.minute:02d}",
                "m": str(moment.minute),
                "ss": f"{moment.second:02d}",
                "s": str(moment.second),
            }.get(token, token)
        )
    return "".join(out)


def _zone(name: str) -> tzinfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TagRuleError(f"unknown time zone '{name}' in a date expression") from None


Namespace = Mapping[str, "str | Callable[[list[str], dict[str, str]], str]"]


def render(template: str, namespace: Namespace, where: str) -> str:
    """Replace every ``{{name}}`` / ``{{name 'arg' key='v'}}``; unknown names are an error."""

    def replace(match: re.Match[str]) -> str:
        name, rest = match.group(1), match.group(2) or ""
        if name not in namespace:
            known = ", ".join("{{" + key + "}}" for key in namespace)
            raise TagRuleError(f"{where}: unknown expression {{{{{name}}}}}; known: {known}")
        value = namespace[name]
        if isinstance(value, str):
            if rest.strip():
                raise TagRuleError(f"{where}: {{{{{name}}}}} takes no arguments")
            return value
        args: list[str] = []
        options: dict[str, str] = {}
        position = 0
        rest = rest.strip()
        while position < len(rest):
            argument = _ARGUMENT.match(rest, position)
            if not argument or argument.end() == position:
                raise TagRuleError(f"{where}: cannot read the arguments of {{{{{name}}}}}")
            text = argument.group(2) if argument.group(2) is not None else argument.group(3)
            if argument.group(1):
                options[argument.group(1)] = text or ""
            else:
                args.append(text or "")
            position = argument.end()
        return value(args, options)

    return _EXPRESSION.sub(replace, template)


def _date_function(moment: datetime) -> Callable[[list[str], dict[str, str]], str]:
    def date(args: list[str], options: dict[str, str]) -> str:
        if len(args) != 1:
            raise TagRuleError("{{date 'FORMAT'}} takes one format, e.g. {{date 'YYYYMMDD'}}")
        unknown = set(options) - {"tz"}
        if unknown:
            raise TagRuleError(f"{{{{date}}}} has no option {', '.join(sorted(unknown))}")
        zone = _zone(options["tz"]) if "tz" in options else timezone.utc
        return format_date(moment.astimezone(zone), args[0])

    return date


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
        "date": _date_function(ctx.now),
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


def sanitize_tag(value: str) -> str:
    """Replace characters a tag cannot hold (``feature/x`` -> ``feature-x``), drop leading
    ``.``/``-``, cut at 128 characters."""
    cleaned = _INVALID_TAG_CHARS.sub("-", value).lstrip(".-")
    return cleaned[:MAX_TAG]


def _pattern_line(pattern: str) -> str:
    """Which versions a semver pattern's tag moves with: exact, minor, major, or all."""
    names = {match.group(1) for match in _EXPRESSION.finditer(pattern)}
    if names & {"version", "patch", "raw"}:
        return "exact"
    if "minor" in names:
        return "minor"
    if "major" in names:
        return "major"
    return "all"


_LINE_NAMES: dict[str, Callable[[SemVer], str]] = {
    "major": lambda v: f", higher in {v.major}.x",
    "minor": lambda v: f", higher in {v.major}.{v.minor}.x",
    "all": lambda v: "",
    "exact": lambda v: "",
}


def _in_line(candidate: SemVer, release: SemVer, line: str) -> bool:
    if line == "major":
        return candidate.major == release.major
    if line == "minor":
        return (candidate.major, candidate.minor) == (release.major, release.minor)
    return True


def _affixes(rule: TagRule, flavor: Flavor, namespace: Namespace) -> tuple[str, str]:
    prefix = rule.get("prefix") if rule.has("prefix") else flavor.prefix
    suffix = rule.get("suffix") if rule.has("suffix") else flavor.suffix
    where = f"tag rule '{rule.text}'"
    return render(prefix, namespace, where), render(suffix, namespace, where)


def registry_versions(
    existing_tags: Iterable[str], rules: Sequence[TagRule], flavor: Flavor, ctx: RefContext
) -> list[SemVer]:
    """The final releases among the registry's tags, reading them through the affixes of the
    exact-version semver rules (``v1.2.3``, ``1.2.3-alpine``) as well as plain."""
    namespace = global_namespace(ctx)
    affixes = {("", ""), ("v", "")}
    for rule in rules:
        if rule.type == "semver" and _pattern_line(rule.get("pattern")) == "exact":
            affixes.add(_affixes(rule, flavor, namespace))
    found: list[SemVer] = []
    for tag in existing_tags:
        for prefix, suffix in affixes:
            if not (tag.startswith(prefix) and tag.endswith(suffix)):
                continue
            core = tag[len(prefix) : len(tag) - len(suffix) if suffix else len(tag)]
            version = parse_semver(core)
            if version is not None and not version.is_prerelease:
                found.append(version)
                break
    return found


def needs_registry_versions(rules: Sequence[TagRule], ctx: RefContext) -> bool:
    """Whether the tags depend on the registry's versions (a final release on a tag ref)."""
    namespace = global_namespace(ctx)
    for rule in rules:
        if rule.type not in ("semver", "pep440"):
            continue
        if render(rule.get("enable"), namespace, rule.text).strip().lower() != "true":
            continue
        raw = render(rule.get("value"), namespace, rule.text) if rule.get("value") else ""
        raw = raw or ctx.git_tag.replace("/", "-")
        parsed = _parse_release(rule.type, raw) if raw else None
        if parsed is not None and parsed[1] is None:
            return True
    return False


def compute_tags(
    rules: Sequence[TagRule],
    flavor: Flavor,
    ctx: RefContext,
    existing_tags: Iterable[str] | None = None,
) -> TagDecision:
    """The tags (without image names) for ``ctx``. ``existing_tags`` are the tags already in
    the registry (None: not looked up, so every release counts as the highest)."""
    namespace = global_namespace(ctx)
    existing = (
        registry_versions(existing_tags, rules, flavor, ctx) if existing_tags is not None else None
    )
    tags: list[str] = []
    notes: list[str] = []
    releases: list[SemVer] = []
    release: SemVer | None = None

    def add(value: str, rule: TagRule) -> None:
        if not value:
            return
        prefix, suffix = _affixes(rule, flavor, namespace)
        wanted = f"{prefix}{value}{suffix}"
        tag = sanitize_tag(wanted)
        if not tag:
            notes.append(f"'{wanted}' has no character a tag can hold; rule '{rule.text}' skipped")
            return
        if tag != wanted:
            notes.append(f"'{wanted}' is not a valid tag; using '{tag}'")
        if tag not in tags:
            tags.append(tag)

    for rule in rules:
        where = f"tag rule '{rule.text}'"
        enabled = render(rule.get("enable"), namespace, where).strip().lower()
        if enabled not in ("true", "false"):
            raise TagRuleError(f"{where}: enable must be true or false, not '{enabled}'")
        if enabled == "false":
            continue
        if rule.type == "schedule":
            if ctx.event_name == "schedule":
                add(render(rule.get("pattern"), namespace, where), rule)
        elif rule.type in ("semver", "pep440"):
            if not ctx.git_tag and not rule.get("value"):
                continue
            raw = (
                render(rule.get("value"), namespace, where)
                if rule.get("value")
                else ctx.git_tag.replace("/", "-")
            )
            parsed = _parse_release(rule.type, raw)
            if parsed is None:
                kind = "semantic" if rule.type == "semver" else "PEP 440"
                notes.append(f"'{raw}' is not a {kind} version; rule '{rule.text}' made no tag")
                continue
            version, exact, values = parsed
            if rule.type == "semver":
                release = release or version
            pattern = rule.get("pattern")
            if exact is not None:
                # A pre-release gets its exact version only: never 1, 1.2 or latest.
                raw_pattern = pattern.replace(" ", "") == "{{raw}}"
                add(render(pattern, values, where) if raw_pattern else exact, rule)
                continue
            tag = render(pattern, values, where)
            line = _pattern_line(pattern)
            if line != "exact" and existing is not None:
                higher = [v for v in existing if _in_line(v, version, line) and v > version]
                if higher:
                    notes.append(
                        f"'{tag}' not moved to {version.version}: the registry has "
                        f"{max(higher)}{_LINE_NAMES[line](version)}"
                    )
                    continue
            releases.append(version)
            add(tag, rule)
        elif rule.type == "ref":
            event = rule.get("event")
            if event == "branch" and ctx.branch:
                add(ctx.branch, rule)
            elif event == "tag" and ctx.git_tag:
                add(ctx.git_tag, rule)
            elif event == "pr" and ctx.is_pull_request and ctx.pr:
                add(ctx.pr, rule)
        elif rule.type == "edge":
            target = (
                rule.get("branch")
                or ctx.default_branch
                or ("main" if ctx.is_default_branch else "")
            )
            if ctx.branch and ctx.branch == target:
                add("edge", rule)
        elif rule.type == "raw":
            add(render(rule.get("value"), namespace, where), rule)
        elif rule.type == "sha" and ctx.sha:
            add(ctx.sha if rule.get("format") == "long" else ctx.short_sha, rule)

    latest = False
    if flavor.latest == "true":
        latest = bool(tags)
    elif flavor.latest == "auto" and releases:
        top = max(releases)
        higher = [v for v in existing or [] if v > top]
        if higher:
            notes.append(f"'latest' not moved to {top.version}: the registry has {max(higher)}")
        else:
            latest = True
    latest_tag = sanitize_tag(
        (flavor.prefix if flavor.prefix_latest else "")
        + "latest"
        + (flavor.suffix if flavor.suffix_latest else "")
    )
    if latest and latest_tag not in tags:
        tags.append(latest_tag)
    main = next(
        (t for t in tags if t != latest_tag and not t.endswith("-latest")),
        tags[0] if tags else "",
    )
    return TagDecision(tuple(tags), main, latest_tag in tags, release, tuple(notes))


def _parse_release(kind: str, raw: str) -> tuple[SemVer, str | None, dict[str, str]] | None:
    """(version, exact tag if it is a pre-release else None, pattern values), or None."""
    if kind == "semver":
        version = parse_semver(raw)
        if version is None:
            return None
        values = {
            "version": version.version,
            "major": str(version.major),
            "minor": str(version.minor),
            "patch": str(version.patch),
            "raw": raw,
        }
        return version, version.version if version.is_prerelease else None, values
    from packaging.version import InvalidVersion, Version

    try:
        pep = Version(raw)
    except InvalidVersion:
        return None
    parts = (*pep.release, 0, 0, 0)
    semver = SemVer(parts[0], parts[1], parts[2])
    values = {
        "version": pep.public,
        "major": str(parts[0]),
        "minor": str(parts[1]),
        "patch": str(parts[2]),
        "raw": raw,
    }
    unstable = pep.is_prerelease or pep.is_postrelease or pep.is_devrelease
    return semver, str(pep) if unstable else None, values
