"""The ``{{...}}`` expressions of tag rules: ``{{branch}}``, ``{{date 'YYYYMMDD'}}``. Pure."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone, tzinfo

EXPRESSION = re.compile(r"\{\{\s*([a-zA-Z_]+)((?:\s+[^}]*?)?)\s*\}\}")
_ARGUMENT = re.compile(r"""\s*(?:([a-zA-Z_]+)=)?(?:'([^']*)'|"([^"]*)")""")
_DATE_TOKEN = re.compile(r"\[[^\]]*\]|YYYY|YY|MM|M|DD|D|HH|H|mm|m|ss|s|.", re.DOTALL)


class TagRuleError(ValueError):
    """A tag rule or flavor entry cannot be used; the message says which and why."""


Function = Callable[[list[str], dict[str, str]], str]
Namespace = Mapping[str, "str | Function"]


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


def _arguments(rest: str, name: str, where: str) -> tuple[list[str], dict[str, str]]:
    args: list[str] = []
    options: dict[str, str] = {}
    position = 0
    rest = rest.strip()
    while position < len(rest):
        argument = _ARGUMENT.match(rest, position)
        if not argument or argument.end() == position:
            raise TagRuleError(
                f"{where}: cannot read the arguments of {{{{{name}}}}} (quote them: "
                f"{{{{{name} 'YYYYMMDD'}}}})"
            )
        text = argument.group(2) if argument.group(2) is not None else argument.group(3)
        if argument.group(1):
            options[argument.group(1)] = text or ""
        else:
            args.append(text or "")
        position = argument.end()
    return args, options


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
        args, options = _arguments(rest, name, where)
        return value(args, options)

    return EXPRESSION.sub(replace, template)


def date_function(moment: datetime, name: str = "date") -> Function:
    """``{{date 'FORMAT' tz='Zone'}}`` (or ``{{commit_date ...}}``) for one moment."""

    def date(args: list[str], options: dict[str, str]) -> str:
        if len(args) != 1:
            raise TagRuleError(
                f"{{{{{name} 'FORMAT'}}}} takes one format, e.g. {{{{{name} 'YYYYMMDD'}}}}"
            )
        unknown = set(options) - {"tz"}
        if unknown:
            raise TagRuleError(f"{{{{{name}}}}} has no option {', '.join(sorted(unknown))}")
        zone = _zone(options["tz"]) if "tz" in options else timezone.utc
        return format_date(moment.astimezone(zone), args[0])

    return date
