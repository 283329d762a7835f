"""The ignore file (`.shipyard/audit-ignore.yml`): parse it and apply it to findings.

```yaml
ignore:
  - id: PYSEC-2023-74          # or an alias (CVE-..., GHSA-...)
    reason: not reachable, we never follow redirects
    expires: 2027-01-31
  - id: B105                   # a rule (code, secrets, Dockerfiles): only with paths
    paths: ["tests/**"]
    reason: test passwords
    expires: 2027-01-31
  - fingerprint: 3f1c0a...     # one finding, from the report
    reason: a documented example key
    expires: 2027-01-31
```
Every entry needs a reason and an `expires` date at most `ignore-max-days` ahead. An `id`
ignores an advisory wherever it is found; a rule of the code, secrets or Dockerfile scanners
(`B105`, `secret:aws-access-key-id`, `DS-0002`, `DL3008`) would be every such finding, present
and future, so it needs `paths:` (globs: `*` within a folder, `**` across folders) or a
fingerprint. An entry whose date has passed stops ignoring (and the report says so); an entry
that matches no finding is stale; ignored findings stay in the SARIF as suppressed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from shipyard.findings.model import Finding
from shipyard.runtime import ConfigError

from .places import path_of

#: Ids of rules (a kind of finding anywhere), not of advisories: secrets, bandit, hadolint
#: and shellcheck, trivy's misconfiguration checks (DS-0002, AVD-DS-0002, DS002, KSV001).
RULE_ID = re.compile(
    r"^(?:secret:.*|B\d{3}|DL\d{4}|SC\d{4}|(?:AVD-)?[A-Z]{2,6}-\d{4}|[A-Z]{2,6}\d{3,4})$"
)
HINT = (
    "Every entry needs `reason` and `expires: YYYY-MM-DD`; a rule id (code, secrets, "
    "Dockerfiles) also needs `paths:` globs, or use the finding's `fingerprint` instead."
)


@dataclass(frozen=True)
class IgnoreEntry:
    """One entry of the ignore file: what it names, why, until when, and where."""

    key: str  # the id, alias or fingerprint it names
    by: str  # "id" or "fingerprint"
    reason: str
    expires: dt.date
    position: int  # 1-based index in the file, for messages
    paths: tuple[str, ...] = ()  # globs; empty: anywhere

    def matches(self, finding: Finding) -> bool:
        """Whether it names ``finding``: by fingerprint, or by id or alias (within its paths)."""
        if self.by == "fingerprint":
            return finding.fingerprint == self.key
        if self.key not in finding.ids:
            return False
        return not self.paths or any(glob_match(p, path_of(finding.file or "")) for p in self.paths)

    def label(self) -> str:
        """How messages name it: ``id PYSEC-...`` or ``fingerprint ...``."""
        return f"{self.by} {self.key}"


@dataclass
class IgnoreResult:
    """What the ignore file did: which findings it suppresses and why, what expired, what
    matched nothing."""

    suppressed: dict[str, str] = field(default_factory=dict)  # fingerprint -> reason
    expired: list[tuple[IgnoreEntry, list[Finding]]] = field(default_factory=list)
    stale: list[IgnoreEntry] = field(default_factory=list)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A path glob as a regular expression: `**` any folders, `*` and `?` within one."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            char = pattern[i]
            out.append({"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char)))
            i += 1
    return re.compile("".join(out))


def glob_match(pattern: str, path: str) -> bool:
    """Whether ``path`` matches the glob ``pattern`` (a leading ``./`` ignored on both)."""
    return glob_regex(pattern.removeprefix("./")).fullmatch(path.removeprefix("./")) is not None


def _date(value: object, where: str) -> dt.date:
    if value is None or value == "":
        raise ConfigError(f"{where} has no `expires` date", hint=HINT)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(
            f"{where}: `expires` is not a date", hint="Write it as YYYY-MM-DD, e.g. 2027-01-31."
        ) from None


def _paths(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(p, str) and p.strip() for p in items):
        raise ConfigError(f"{where}: `paths` must be a list of globs", hint=HINT)
    return tuple(p.strip() for p in items)


def _entry(item: object, where: str, today: dt.date, max_days: int, position: int) -> IgnoreEntry:
    if not isinstance(item, dict):
        raise ConfigError(f"{where} is not a mapping", hint=HINT)
    by = "fingerprint" if item.get("fingerprint") else "id"
    key = str(item.get(by) or "").strip()
    if not key:
        raise ConfigError(f"{where} has neither `id` nor `fingerprint`", hint=HINT)
    where = f"{where} ({by} {key[:80]})"
    reason = str(item.get("reason") or "").strip()
    if not reason:
        raise ConfigError(f"{where} has no `reason`", hint="Say why it is ignored.")
    expires = _date(item.get("expires"), where)
    if expires > today + dt.timedelta(days=max_days):
        raise ConfigError(
            f"{where} expires on {expires}, more than {max_days} days ahead",
            hint="Choose an earlier date and look again then (ignore-max-days sets the limit).",
        )
    paths = _paths(item.get("paths"), where)
    if by == "id" and not paths and RULE_ID.match(key):
        raise ConfigError(
            f"{where} names a rule, which would ignore it everywhere, now and later",
            hint=HINT,
        )
    return IgnoreEntry(key, by, reason, expires, position, paths)


def parse_ignore(text: str, source: str, today: dt.date, max_days: int) -> list[IgnoreEntry]:
    """Parse the ignore file's text; a bad shape is a ConfigError naming the file and entry
    (and never quoting the file: a YAML error gives its line and column only)."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise ConfigError(f"{source} is not valid YAML{where}") from None
    return [
        _entry(item, f"{source}: entry {position}", today, max_days, position)
        for position, item in enumerate(_items(data, source), start=1)
    ]


def _items(data: object, source: str) -> list[object]:
    """The entries of the parsed file: none for an empty file, one of comments only, or an
    ``ignore:`` whose entries are all commented out (YAML reads the last two as null)."""
    if data is None:
        return []
    items = data.get("ignore") if isinstance(data, dict) else ()
    if items is None:
        return []
    if not isinstance(items, list):
        raise ConfigError(f"{source}: expected a mapping with an `ignore:` list", hint=HINT)
    return items


def apply_ignores(
    findings: Sequence[Finding], entries: Sequence[IgnoreEntry], today: dt.date
) -> IgnoreResult:
    """Which findings the entries suppress. An `id` entry without `paths` that matches a
    finding at a place in the code (not a package's advisory) is a ConfigError: a rule id
    this module does not know as one must not act as a wildcard either."""
    result = IgnoreResult()
    for entry in entries:
        hits = [f for f in findings if entry.matches(f)]
        placed = [f for f in hits if f.package is None]
        if entry.by == "id" and not entry.paths and placed:
            raise ConfigError(
                f"ignore file: entry {entry.position} (id {entry.key[:80]}) names a rule of "
                f"{placed[0].tool}, which would ignore it everywhere, now and later",
                hint=HINT,
            )
        if not hits:
            result.stale.append(entry)
        elif entry.expires < today:
            result.expired.append((entry, hits))
        else:
            for finding in hits:
                result.suppressed.setdefault(finding.fingerprint, entry.reason)
    return result
