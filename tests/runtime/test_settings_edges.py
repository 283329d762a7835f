"""The edges of settings and inputs parsing that the mutation run (scripts/mutation.py) found
unpinned: the Input a setting() declares, field for field; what an input not supplied is, per
kind; blank values and empty defaults; the boundaries of numbers; the exact words of what each
kind accepts and of each error; and the old ``ctx.inputs`` object. Pure."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

import pytest

from shipyard.runtime import (
    Duration,
    HostName,
    InputError,
    KeyValues,
    Secret,
    Text,
    inputs_of,
    parse_settings,
    setting,
)
from shipyard.runtime.inputs import Input, parse_bool, parse_duration, parse_int
from shipyard.runtime.settings import input_values


def error(call: object, *args: object) -> str:
    with pytest.raises(InputError) as caught:
        call(*args)  # type: ignore[operator]
    return str(caught.value)


# --- what setting() declares ----------------------------------------------------------------


def declared() -> type:
    """Declared inside a test, so that setting() runs while the test does (as mutation
    testing needs: a class body at import time runs before any mutant is switched on)."""

    @dataclass(frozen=True)
    class Declared:
        count: int = setting(
            "How many",
            default="2",
            required=True,
            minimum=1,
            maximum=9,
            yaml_default="${{ vars.count }}",
            deprecation="use amount",
            name="old_count",
        )
        word: str = setting("A word")
        key: Secret = setting("A key")
        mode: Literal["a", "b"] = setting("A mode", default="a")

    return Declared


def test_every_argument_of_setting_reaches_the_input() -> None:
    assert inputs_of(declared()) == (
        Input(
            "old_count",
            "How many",
            kind="int",
            default="2",
            required=True,
            secret=False,
            minimum=1,
            maximum=9,
            yaml_default="${{ vars.count }}",
            deprecation="use amount",
        ),
        Input("word", "A word"),
        Input("key", "A key", secret=True),
        Input("mode", "A mode", kind="enum", default="a", choices=("a", "b")),
    )


def test_a_settings_class_can_be_made_with_no_argument() -> None:
    cls = declared()
    assert cls() == cls(None, None, None, None)


def test_input_values_by_input_name() -> None:
    settings = parse_settings(declared(), {"old_count": "3", "word": "w"})
    assert input_values(settings) == {"old_count": 3, "word": "w", "key": "", "mode": "a"}


# --- declarations that cannot work ----------------------------------------------------------


def test_a_union_other_than_optional_is_refused() -> None:
    @dataclass(frozen=True)
    class Bad:
        value: int | str = setting("x", default="1")

    with pytest.raises(TypeError) as caught:
        inputs_of(Bad)
    assert str(caught.value) == "unsupported union int | str: only 'X | None' is allowed"


def test_not_a_dataclass_and_a_plain_field_are_refused_word_for_word() -> None:
    class Plain:
        pass

    with pytest.raises(TypeError) as caught:
        inputs_of(Plain)
    assert str(caught.value).endswith("Plain'> is not a dataclass")

    @dataclass(frozen=True)
    class Undeclared:
        value: str = dataclasses.field(default="")

    with pytest.raises(TypeError) as caught:
        inputs_of(Undeclared)
    assert str(caught.value) == "Undeclared.value is not declared with setting()"


@dataclass(frozen=True)
class LooseInt:
    value: int = setting("x")


@dataclass(frozen=True)
class LooseDuration:
    value: Duration = setting("x")


@dataclass(frozen=True)
class LooseEnum:
    value: Literal["a", "b"] = setting("x")


@pytest.mark.parametrize(
    ("loose", "kind"), [(LooseInt, "int"), (LooseDuration, "duration"), (LooseEnum, "enum")]
)
def test_an_optional_number_duration_or_enum_needs_a_default(loose: type, kind: str) -> None:
    message = f"{loose.__name__}.value: an optional {kind} setting needs a default or '| None'"
    with pytest.raises(TypeError) as caught:
        inputs_of(loose)
    assert str(caught.value) == message
    with pytest.raises(TypeError) as caught:
        parse_settings(loose, {"value": "1"})
    assert str(caught.value) == message


# --- not supplied, blank, empty defaults -----------------------------------------------------


@dataclass(frozen=True)
class Empties:
    flag: bool = setting("A flag")
    items: list[str] = setting("Items")
    pairs: KeyValues = setting("Pairs")
    word: str = setting("A word")
    maybe_mode: Literal["a", "b"] | None = setting("A mode")
    maybe_items: list[str] | None = setting("Items or nothing")
    maybe_word: str | None = setting("A word or nothing", default="")
    padded: str = setting("A word with a default", default="d")
    script: Text = setting("A script")
    host: HostName | None = setting("A host", secret=True)


def test_what_an_input_not_supplied_is_per_kind() -> None:
    settings = parse_settings(Empties, {})
    assert settings.flag is False
    assert settings.items == []
    assert settings.pairs == KeyValues() and isinstance(settings.pairs, KeyValues)
    assert settings.word == ""
    assert settings.maybe_mode is None
    assert settings.maybe_items is None
    assert settings.maybe_word is None  # an empty default is no default
    assert settings.padded == "d"


def test_a_blank_value_is_not_supplied_and_values_are_trimmed_but_text() -> None:
    settings = parse_settings(
        Empties, {"padded": "  \n ", "word": "  w  ", "script": "  a\n  b  ", "maybe-mode": " B "}
    )
    assert settings.padded == "d"
    assert settings.word == "w"
    assert settings.script == "  a\n  b  "
    assert settings.maybe_mode == "b"


def test_a_secret_host_is_not_quoted() -> None:
    assert error(parse_settings, Empties, {"host": "a b"}) == (
        "Input 'host': the value is not a host name: it contains a space or a control character."
    )


# --- numbers and durations ------------------------------------------------------------------


def test_int_bounds_are_inclusive_and_errors_name_the_input() -> None:
    assert parse_int("n", "9", 1, 9) == 9
    assert parse_int("n", "1", 1, 9) == 1
    assert error(parse_int, "n", "10", 1, 9) == "Input 'n': 10 is too large; it must be at most 9."
    assert error(parse_int, "n", "0", 1, 9) == "Input 'n': 0 is too small; it must be at least 1."
    assert error(parse_int, "n", "1.5") == "Input 'n': '1.5' is not a whole number."
    assert error(Input("n", "d", kind="int", maximum=5).parse, "6") == (
        "Input 'n': 6 is too large; it must be at most 5."
    )


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [("90", 90.0), ("2.5", 2.5), ("250ms", 0.25), ("1h30m", 5400.0), ("1 d", 86400.0)],
)
def test_durations(raw: str, seconds: float) -> None:
    assert parse_duration("t", raw) == seconds


@pytest.mark.parametrize("raw", ["5x", "-1", "m", "1h x"])
def test_bad_durations_word_for_word(raw: str) -> None:
    assert error(parse_duration, "t", raw) == (
        f"Input 't': '{raw}' is not a duration. Use for example 90s, 5m, 1h or 1h30m."
    )


def test_a_bad_boolean_word_for_word() -> None:
    assert error(parse_bool, "flag", " yes ") == (
        "Input 'flag': 'yes' is not a boolean. Use true, True, TRUE, false, False or FALSE "
        "(YAML 1.2 core schema; yes/no/on/off/1/0 are not booleans)."
    )


# --- what each kind accepts, word for word --------------------------------------------------


@pytest.mark.parametrize(
    ("given", "phrase"),
    [
        (Input("x", "d", kind="bool"), "true or false"),
        (Input("x", "d", kind="int"), "a whole number"),
        (Input("x", "d", kind="int", minimum=1), "a whole number (>= 1)"),
        (Input("x", "d", kind="int", maximum=9), "a whole number (<= 9)"),
        (Input("x", "d", kind="int", minimum=1, maximum=9), "a whole number (>= 1, <= 9)"),
        (
            Input("x", "d", kind="duration"),
            "a duration such as 90s, 5m or 1h (a bare number is seconds)",
        ),
        (Input("x", "d", kind="list"), "a list, one item per line or comma-separated"),
        (Input("x", "d", kind="enum", choices=("a", "b")), "one of: a, b"),
        (Input("x", "d", kind="keyvalues"), "KEY=VALUE lines"),
        (Input("x", "d", kind="text"), "multi-line text"),
        (Input("x", "d", kind="url"), "an http(s) URL"),
        (Input("x", "d", kind="host"), "a host name or IP address"),
        (Input("x", "d", kind="hostport"), "host or host:port"),
        (Input("x", "d"), "text"),
    ],
)
def test_what_each_kind_accepts(given: Input, phrase: str) -> None:
    assert given.accepts() == phrase


# --- KeyValues ------------------------------------------------------------------------------


def test_key_values_hash_and_repr() -> None:
    pairs = KeyValues([("A", "1"), ("B", "secret")])
    assert hash(pairs) == hash((("A", "1"), ("B", "secret")))
    assert hash(pairs) == hash(KeyValues({"A": "1", "B": "secret"}))
    assert repr(pairs) == "KeyValues(['A', 'B'])"  # never the values
    assert KeyValues(pairs) == {"A": "1", "B": "secret"}


def test_durations_are_floats_in_settings() -> None:
    @dataclass(frozen=True)
    class Timing:
        timeout: Duration = setting("Timeout", default="90")

    assert parse_settings(Timing, {}).timeout == 90.0
