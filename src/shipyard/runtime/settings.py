"""Typed settings: an action declares its inputs once, as a frozen dataclass.

Each field is an input; its kind comes from the annotation and its documentation from
:func:`setting`::

    @dataclass(frozen=True)
    class Settings:
        hosts: list[str] = setting("Hosts, one per line or comma-separated", required=True)
        strategy: Literal["blue-green", "rolling"] = setting("How to switch", default="rolling")
        timeout: Duration = setting("How long to wait", default="60s")
        token: Secret = setting("API token", yaml_default="${{ github.token }}")

:func:`inputs_of` derives the spec's inputs (action.yml, README, ``--help``) and
:func:`parse_settings` builds the object from raw strings (pure: no environment, no files), so
settings are unit-tested without a runner. Kinds: ``str``, :data:`Text`, :data:`Secret`,
``bool``, ``int``, :data:`Duration`, ``list[str]``, :class:`KeyValues`, :data:`Url`,
:data:`HostName`, :data:`HostPort`, ``Literal[...]`` and ``X | None`` (None when not supplied).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, NewType, TypeVar, Union

from .errors import InputError
from .inputs import Input, InputKind, KeyValues

#: Multi-line text, kept as written (only the value as a whole is trimmed).
Text = NewType("Text", str)
#: A secret: masked at once, read only from the environment.
Secret = NewType("Secret", str)
#: Seconds, written as ``90s``, ``5m``, ``1h30m`` or a bare number.
Duration = NewType("Duration", float)
#: An http(s) URL with a valid host (IDNA labels, port); errors never show it. With
#: ``secret=True`` it is masked as well.
Url = NewType("Url", str)
#: A host name (in ASCII: an internationalised name becomes its xn-- form) or an IP address.
HostName = NewType("HostName", str)
#: ``host`` or ``host:port`` (``[v6]:port``), the host as for :data:`HostName`.
HostPort = NewType("HostPort", str)

S = TypeVar("S")

_META = "shipyard.setting"


@dataclasses.dataclass(frozen=True)
class _SettingInfo:
    description: str
    default: str | None
    required: bool
    secret: bool
    minimum: int | None
    maximum: int | None
    yaml_default: str | None
    deprecation: str | None
    name: str | None


def setting(
    description: str,
    *,
    default: str | None = None,
    required: bool = False,
    secret: bool = False,
    minimum: int | None = None,
    maximum: int | None = None,
    yaml_default: str | None = None,
    deprecation: str | None = None,
    name: str | None = None,
) -> Any:
    """Declare one input. ``default`` is the string form, as action.yml writes it."""
    info = _SettingInfo(
        description, default, required, secret, minimum, maximum, yaml_default, deprecation, name
    )
    return dataclasses.field(default=None, metadata={_META: info})


@dataclasses.dataclass(frozen=True)
class _Kind:
    kind: InputKind
    optional: bool = False
    secret: bool = False
    choices: tuple[str, ...] = ()


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(annotation)
    union_types: tuple[Any, ...] = (Union, types.UnionType)
    if origin in union_types:
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(args) == 1 and len(typing.get_args(annotation)) == 2:
            return args[0], True
        raise TypeError(f"unsupported union {annotation!r}: only 'X | None' is allowed")
    return annotation, False


_SIMPLE: dict[Any, InputKind] = {
    str: "string",
    Text: "text",
    Secret: "string",
    bool: "bool",
    int: "int",
    Duration: "duration",
    float: "duration",
    KeyValues: "keyvalues",
    Url: "url",
    HostName: "host",
    HostPort: "hostport",
}


def _kind_of(annotation: Any) -> _Kind:
    annotation, optional = _strip_optional(annotation)
    if annotation in _SIMPLE:
        return _Kind(_SIMPLE[annotation], optional, secret=annotation is Secret)
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        choices = tuple(str(arg) for arg in typing.get_args(annotation))
        return _Kind("enum", optional, choices=choices)
    if origin is list and typing.get_args(annotation) == (str,):
        return _Kind("list", optional)
    raise TypeError(f"unsupported setting type {annotation!r}")


def _fields(cls: type[Any]) -> list[tuple[dataclasses.Field[Any], _SettingInfo, _Kind]]:
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    hints = typing.get_type_hints(cls)
    found = []
    for item in dataclasses.fields(cls):
        info = item.metadata.get(_META)
        if info is None:
            raise TypeError(f"{cls.__name__}.{item.name} is not declared with setting()")
        found.append((item, info, _kind_of(hints[item.name])))
    return found


def _input(item: dataclasses.Field[Any], info: _SettingInfo, kind: _Kind, owner: str) -> Input:
    name = info.name or item.name.replace("_", "-")
    if (
        kind.kind in ("int", "duration", "enum")
        and not kind.optional
        and info.default is None
        and not info.required
    ):
        raise TypeError(
            f"{owner}.{item.name}: an optional {kind.kind} setting needs a default or '| None'"
        )
    return Input(
        name,
        info.description,
        kind=kind.kind,
        default=info.default,
        required=info.required,
        secret=info.secret or kind.secret,
        choices=kind.choices,
        minimum=info.minimum,
        maximum=info.maximum,
        yaml_default=info.yaml_default,
        deprecation=info.deprecation,
    )


def inputs_of(cls: type[Any]) -> tuple[Input, ...]:
    """The spec's inputs, in field order, derived from a settings dataclass."""
    return tuple(_input(item, info, kind, cls.__name__) for item, info, kind in _fields(cls))


def _empty(kind: _Kind) -> object:
    if kind.optional:
        return None
    if kind.kind == "bool":
        return False
    if kind.kind == "list":
        return []
    if kind.kind == "keyvalues":
        return KeyValues()
    return ""


def parse_settings(cls: type[S], raw: Mapping[str, str]) -> S:
    """Build ``cls`` from raw input strings (input name -> value; empty = not supplied).

    Pure: reads no environment and no file. Raises :class:`InputError` naming the first bad
    input (and whatever ``__post_init__`` raises for cross-input checks)."""
    values: dict[str, object] = {}
    for item, info, kind in _fields(cls):
        spec_input = _input(item, info, kind, cls.__name__)
        text = raw.get(spec_input.name)
        if text is not None and text.strip() == "":
            text = None
        if text is None:
            text = info.default if info.default not in (None, "") else None
        if text is None:
            if info.required:
                raise InputError(
                    spec_input.name, f"is required but was not supplied ({info.description})."
                )
            values[item.name] = _empty(kind)
            continue
        values[item.name] = spec_input.parse(text if kind.kind == "text" else text.strip())
    return cls(**values)


def input_values(settings: object) -> dict[str, object]:
    """Input name -> value of a settings object (what notify's templates see as ``inputs``)."""
    return {
        _input(item, info, kind, type(settings).__name__).name: getattr(settings, item.name)
        for item, info, kind in _fields(type(settings))
    }


__all__ = [
    "Duration",
    "HostName",
    "HostPort",
    "KeyValues",
    "Secret",
    "Text",
    "Url",
    "input_values",
    "inputs_of",
    "parse_settings",
    "setting",
]
