"""The ignore file (`.shipyard/audit-ignore.yml`): parse it and apply it to findings (pure).

```yaml
ignore:
  - id: PYSEC-2023-74          # or an alias (CVE-..., GHSA-...), or fingerprint: <from the report>
    reason: not reachable, we never follow redirects
    expires: 2027-01-31
```
An entry whose `expires` date has passed stops ignoring (and the report says so); an entry that
matches no finding is stale; ignored findings stay in the SARIF as suppressed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shipyard.runtime import ConfigError

from .findings import Finding


@dataclass(frozen=True)
class IgnoreEntry:
    key: str  # the id, alias or fingerprint it names
    by: str  # "id" or "fingerprint"
    reason: str
    expires: dt.date | None
    position: int  # 1-based index in the file, for messages

    def matches(self, finding: Finding) -> bool:
        if self.by == "fingerprint":
            return finding.fingerprint == self.key
        return self.key in finding.ids

    def label(self) -> str:
        return f"{self.by} {self.key}"


@dataclass
class IgnoreResult:
    """What the ignore file did: which findings it suppresses and why, what expired, what
    matched nothing."""

    suppressed: dict[str, str] = field(default_factory=dict)  # fingerprint -> reason
    expired: list[tuple[IgnoreEntry, list[Finding]]] = field(default_factory=list)
    stale: list[IgnoreEntry] = field(default_factory=list)


def _date(value: object, where: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(
            f"{where}: expires {value!r} is not a date",
            hint="Write it as YYYY-MM-DD, e.g. expires: 2027-01-31.",
        ) from None


def parse_ignore(text: str, source: str) -> list[IgnoreEntry]:
    """Parse the ignore file's text; a bad shape is a ConfigError naming the file and entry."""
    import yaml

    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source} is not valid YAML: {exc}") from None
    items = (data or {}).get("ignore", []) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ConfigError(f"{source}: expected a mapping with an `ignore:` list")
    entries: list[IgnoreEntry] = []
    for position, item in enumerate(items, start=1):
        where = f"{source}: entry {position}"
        if not isinstance(item, dict):
            raise ConfigError(f"{where} is not a mapping")
        by = "fingerprint" if item.get("fingerprint") else "id"
        key = str(item.get(by) or "").strip()
        if not key:
            raise ConfigError(f"{where} has neither `id` nor `fingerprint`")
        reason = str(item.get("reason") or "").strip()
        if not reason:
            raise ConfigError(f"{where} ({key}) has no `reason`", hint="Say why it is ignored.")
        entries.append(IgnoreEntry(key, by, reason, _date(item.get("expires"), where), position))
    return entries


def apply_ignores(
    findings: Sequence[Finding], entries: Sequence[IgnoreEntry], today: dt.date
) -> IgnoreResult:
    result = IgnoreResult()
    for entry in entries:
        hits = [f for f in findings if entry.matches(f)]
        if not hits:
            result.stale.append(entry)
        elif entry.expires is not None and entry.expires < today:
            result.expired.append((entry, hits))
        else:
            for finding in hits:
                result.suppressed.setdefault(finding.fingerprint, entry.reason)
    return result


def load_ignore(path: Path, source: str) -> list[IgnoreEntry]:
    """The entries of the ignore file at `path` (none when it does not exist)."""
    if not path.is_file():
        return []
    return parse_ignore(path.read_text(encoding="utf-8"), source)
