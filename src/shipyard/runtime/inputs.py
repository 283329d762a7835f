"""One input as action.yml declares it (:class:`Input`, derived from the settings dataclass),
its raw value read from a flag or the environment, and the parsing of each kind.

The parsing follows @actions/core: values are trimmed; an empty value means "not supplied";
booleans accept only the YAML 1.2 core-schema spellings. Every error names the input and says
what it accepts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from .errors import InputError

InputKind = Literal[
    "string",
    "text",
    "bool",
    "int",
    "duration",
    "list",
    "enum",
    "keyvalues",
    "url",
    "host",
    "hostport",
]

TRUE_VALUES = ("true", "True", "TRUE")
FALSE_VALUES = ("false", "False", "FALSE")
_SECONDS = re.compile(r"^\d+(?:\.\d+)?$")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


@dataclass(frozen=True)
class Input:
    """One input of an action, as action.yml and the README show it."""

    name: str
    description: str
    kind: InputKind = "string"
    default: str | None = None
    required: bool = False
    secret: bool = False
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    #: The default as action.yml writes it when it is an expression (e.g. ``${{ github.token }}``).
    yaml_default: str | None = None
    deprecation: str | None = None

    @property
    def env_name(self) -> str:
        """The namespaced variable action.yml maps this input to."""
        return "SHIPYARD_INPUT_" + self.name.upper().replace("-", "_").replace(" ", "_")

    @property
    def runner_env_name(self) -> str:
        """``INPUT_<NAME>``, which act (but not GitHub) sets for composite actions."""
        return "INPUT_" + self.name.upper().replace(" ", "_")

    @property
    def attr(self) -> str:
        """The Python attribute name: dashes become underscores."""
        return self.name.replace("-", "_")

    def accepts(self) -> str:
        """A short phrase saying what the input accepts, for errors and --help."""
        if self.kind == "bool":
            return "true or false"
        if self.kind == "int":
            bounds = []
            if self.minimum is not None:
                bounds.append(f">= {self.minimum}")
            if self.maximum is not None:
                bounds.append(f"<= {self.maximum}")
            return "a whole number" + (f" ({', '.join(bounds)})" if bounds else "")
        if self.kind == "duration":
            return "a duration such as 90s, 5m or 1h (a bare number is seconds)"
        if self.kind == "list":
            return "a list, one item per line or comma-separated"
        if self.kind == "enum":
            return "one of: " + ", ".join(self.choices)
        if self.kind == "keyvalues":
            return "KEY=VALUE lines"
        if self.kind == "text":
            return "multi-line text"
        if self.kind == "url":
            return "an http(s) URL"
        if self.kind == "host":
            return "a host name or IP address"
        if self.kind == "hostport":
            return "host or host:port"
        return "text"

    def parse(self, raw: str) -> object:
        """Turn a raw, non-empty string into the typed value, or raise InputError."""
        if self.kind == "bool":
            return parse_bool(self.name, raw)
        if self.kind == "int":
            return parse_int(self.name, raw, self.minimum, self.maximum)
        if self.kind == "duration":
            return parse_duration(self.name, raw)
        if self.kind == "list":
            return parse_list(raw)
        if self.kind == "enum":
            return parse_enum(self.name, raw, self.choices)
        if self.kind == "keyvalues":
            return parse_key_values(self.name, raw)
        if self.kind in ("url", "host", "hostport"):
            return self._parse_address(raw.strip())
        return raw

    def _parse_address(self, raw: str) -> str:
        from . import network  # only actions with such inputs pay for it

        if self.kind == "url":
            return network.check_url(self.name, raw)
        if self.kind == "host":
            return network.check_host(self.name, raw, secret=self.secret)
        return network.check_host_port(self.name, raw, secret=self.secret)


def parse_bool(name: str, raw: str) -> bool:
    """YAML 1.2 core-schema booleans only, as @actions/core's getBooleanInput."""
    value = raw.strip()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise InputError(
        name,
        f"'{value}' is not a boolean. Use true, True, TRUE, false, False or FALSE "
        "(YAML 1.2 core schema; yes/no/on/off/1/0 are not booleans).",
    )


def parse_int(name: str, raw: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number in base 10, within ``minimum`` and ``maximum`` when given."""
    value = raw.strip()
    try:
        number = int(value)
    except ValueError:
        raise InputError(name, f"'{value}' is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise InputError(name, f"{number} is too small; it must be at least {minimum}.")
    if maximum is not None and number > maximum:
        raise InputError(name, f"{number} is too large; it must be at most {maximum}.")
    return number


def parse_duration(name: str, raw: str) -> float:
    """``90s``, ``5m``, ``1h``, ``1d``, ``250ms``, or a bare number of seconds; also ``1h30m``."""
    value = raw.strip().lower()
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)", value)
    if parts and re.fullmatch(r"(?:\s*\d+(?:\.\d+)?\s*(?:ms|s|m|h|d))+\s*", value):
        return sum(float(number) * _DURATION_UNITS[unit] for number, unit in parts)
    if not _SECONDS.match(value):
        raise InputError(
            name, f"'{raw.strip()}' is not a duration. Use for example 90s, 5m, 1h or 1h30m."
        )
    return float(value)  # a bare number of seconds (with a unit it matched above)


def parse_list(raw: str) -> list[str]:
    """Newline- or comma-separated items, trimmed, empties dropped."""
    items: list[str] = []
    for line in raw.splitlines():
        items.extend(part.strip() for part in line.split(","))
    return [item for item in items if item]


def parse_enum(name: str, raw: str, choices: Sequence[str]) -> str:
    value = raw.strip()
    lowered = {choice.lower(): choice for choice in choices}
    if value.lower() in lowered:
        return lowered[value.lower()]
    raise InputError(name, f"'{value}' is not allowed; use one of: {', '.join(choices)}.")


_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


class KeyValues(Mapping[str, str]):
    """``KEY=VALUE`` pairs in the order given: a read-only, hashable mapping."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str]] | Mapping[str, str] = ()) -> None:
        self._items: dict[str, str] = dict(items)

    def __getitem__(self, key: str) -> str:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(tuple(self._items.items()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self._items) == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"KeyValues({list(self._items)!r})"  # keys only: values may be secret


def parse_key_values(name: str, raw: str) -> KeyValues:
    """``KEY=VALUE`` lines; blank lines and ``#`` comments skipped. Errors name the line, never
    the value (it may be a secret)."""
    pairs: list[tuple[str, str]] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        key = key.strip()
        if not sep or not _KEY.match(key):
            raise InputError(
                name,
                f"line {number} is not KEY=VALUE (a key is letters, digits, '_', '.', '-').",
            )
        pairs.append((key, value.strip()))
    return KeyValues(pairs)


def read_raw(
    spec_inputs: Sequence[Input], flags: Mapping[str, str], env: Mapping[str, str]
) -> dict[str, str]:
    """The raw value of each input: a flag, else SHIPYARD_INPUT_X, else INPUT_X; trimmed."""
    raw: dict[str, str] = {}
    for item in spec_inputs:
        for value in (flags.get(item.name), env.get(item.env_name), env.get(item.runner_env_name)):
            if value is not None and value.strip() != "":
                raw[item.name] = value.strip()
                break
    return raw
