"""Tag rules and the flavor: parsing metadata-action's CSV lines into checked rules. Pure."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .expressions import TagRuleError

PRIORITIES = {
    "schedule": 1000,
    "semver": 900,
    "pep440": 900,
    "match": 800,
    "edge": 700,
    "ref": 600,
    "raw": 200,
    "sha": 100,
}
REF_EVENTS = ("branch", "tag", "pr")
_COMMON_ATTRS = {"type", "prefix", "suffix", "enable", "priority"}
_TYPE_ATTRS = {
    "schedule": {"pattern"},
    "semver": {"pattern", "value", "match"},
    "pep440": {"pattern", "value", "match"},
    "match": {"pattern", "group", "value"},
    "edge": {"branch"},
    "ref": {"event"},
    "raw": {"value"},
    "sha": {"format"},
}
_JS_REGEX = re.compile(r"^/(.+)/([a-z]*)$", re.DOTALL)
_JS_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}


# -------------------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class TagRule:
    """One parsed line of the ``tags`` input."""

    type: str
    attrs: Mapping[str, str]
    text: str
    priority: int

    def has(self, name: str) -> bool:
        """Whether the rule sets attribute ``name``."""
        return name in self.attrs

    def get(self, name: str, default: str = "") -> str:
        """The rule's attribute ``name``, else ``default``."""
        return self.attrs.get(name, default)

    @property
    def where(self) -> str:
        return f"tag rule '{self.text}'"


def _fields(line: str) -> list[str]:
    try:
        rows = list(csv.reader([line], skipinitialspace=True))
    except csv.Error as exc:  # a field longer than csv's limit (128 KiB)
        raise TagRuleError(
            f"'{line[:60]}...': cannot be read as comma-separated values ({exc})"
        ) from None
    return [item.strip() for row in rows for item in row]


def _read_attrs(line: str) -> tuple[str, dict[str, str]]:
    """(type as written, attributes); a field without ``=`` is the value."""
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
        if key == "type":
            rule_type = value.strip()
        else:
            attrs[key] = value.strip()
    return rule_type, attrs


def is_disabled(line: str) -> bool:
    """A rule with a literal ``enable=false`` is skipped before anything else is read."""
    try:
        _type, attrs = _read_attrs(line)
    except TagRuleError:
        return False  # parse_rule says what is wrong with it
    return attrs.get("enable", "").strip().lower() == "false"


def compile_pattern(pattern: str, where: str) -> re.Pattern[str]:
    """A regular expression, also in JavaScript's ``/re/flags`` form (``i``, ``m``, ``s``;
    ``g``, ``u``, ``y`` change nothing here)."""
    flags = 0
    literal = _JS_REGEX.match(pattern)
    if literal:
        pattern = literal.group(1)
        for flag in literal.group(2):
            flags |= _JS_FLAGS.get(flag, 0)
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise TagRuleError(f"{where}: '{pattern}' is not a regular expression ({exc})") from None


def _require(attrs: dict[str, str], name: str, line: str, message: str) -> None:
    if not attrs.get(name):
        raise TagRuleError(f"'{line}': {message}")


def _defaults_schedule(attrs: dict[str, str], line: str) -> None:
    attrs.setdefault("pattern", "nightly")


def _defaults_version(attrs: dict[str, str], line: str) -> None:
    _require(attrs, "pattern", line, "needs a pattern, e.g. pattern={{version}}")
    attrs.setdefault("value", "")
    attrs.setdefault("match", "")
    if attrs["match"]:
        compile_pattern(attrs["match"], f"'{line}'")


def _defaults_match(attrs: dict[str, str], line: str) -> None:
    _require(attrs, "pattern", line, r"type=match needs a pattern, e.g. pattern=v(\d.\d.\d)")
    compile_pattern(attrs["pattern"], f"'{line}'")
    group = attrs.setdefault("group", "0")
    if not group.isdigit():
        raise TagRuleError(f"'{line}': group must be a number, not '{group}'")
    attrs.setdefault("value", "")


def _defaults_ref(attrs: dict[str, str], line: str) -> None:
    if attrs.get("event") not in REF_EVENTS:
        raise TagRuleError(f"'{line}': type=ref needs event=branch, event=tag or event=pr")
    if attrs["event"] == "pr":
        attrs.setdefault("prefix", "pr-")


def _defaults_raw(attrs: dict[str, str], line: str) -> None:
    _require(attrs, "value", line, "type=raw needs a value")


def _defaults_sha(attrs: dict[str, str], line: str) -> None:
    attrs.setdefault("prefix", "sha-")
    attrs.setdefault("format", "short")
    if attrs["format"] not in ("short", "long"):
        raise TagRuleError(f"'{line}': format must be short or long")


def _defaults_edge(attrs: dict[str, str], line: str) -> None:
    attrs.setdefault("branch", "")


_DEFAULTS: dict[str, Callable[[dict[str, str], str], None]] = {
    "schedule": _defaults_schedule,
    "semver": _defaults_version,
    "pep440": _defaults_version,
    "match": _defaults_match,
    "ref": _defaults_ref,
    "raw": _defaults_raw,
    "sha": _defaults_sha,
    "edge": _defaults_edge,
}


def parse_rule(line: str) -> TagRule:
    """Parse one rule such as ``type=semver,pattern={{major}}.{{minor}}``."""
    written, attrs = _read_attrs(line)
    rule_type = written.lower() or "raw"
    if rule_type not in PRIORITIES:
        raise TagRuleError(
            f"'{line}': unknown type '{written}'; use one of: {', '.join(PRIORITIES)}"
        )
    allowed = _COMMON_ATTRS | _TYPE_ATTRS[rule_type]
    unknown = sorted(set(attrs) - allowed)
    if unknown:
        raise TagRuleError(
            f"'{line}': type={rule_type} has no attribute {', '.join(unknown)}; it takes "
            f"{', '.join(sorted(allowed - {'type'}))}"
        )
    _DEFAULTS[rule_type](attrs, line)
    attrs.setdefault("enable", "true")
    priority_text = attrs.pop("priority", str(PRIORITIES[rule_type]))
    try:
        priority = int(priority_text)
    except ValueError:
        raise TagRuleError(f"'{line}': priority '{priority_text}' is not a number") from None
    return TagRule(rule_type, attrs, line.strip(), priority)


def parse_rules(lines: Iterable[str]) -> list[TagRule]:
    """Every non-empty, non-comment line that is not ``enable=false``; sorted by priority
    (highest first), stable."""
    wanted = [line for line in lines if line.strip() and not line.strip().startswith("#")]
    rules = [parse_rule(line) for line in wanted if not is_disabled(line)]
    return sorted(rules, key=lambda rule: -rule.priority)


# ------------------------------------------------------------------------------------- flavor


@dataclass(frozen=True)
class Flavor:
    """metadata-action's ``flavor``: the ``latest`` rule and a global prefix and suffix (and whether
    ``latest`` gets them)."""

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
