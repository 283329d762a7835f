"""Input parsing: YAML 1.2 booleans, ints, durations, lists, enums, required, defaults."""

from __future__ import annotations

import pytest

from shipyard.runtime import InputError
from shipyard.runtime.inputs import (
    Input,
    parse_bool,
    parse_duration,
    parse_enum,
    parse_int,
    parse_list,
    read_raw,
)


@pytest.mark.parametrize("text", ["true", "True", "TRUE", " true "])
def test_true_spellings(text: str) -> None:
    assert parse_bool("x", text) is True


@pytest.mark.parametrize("text", ["false", "False", "FALSE"])
def test_false_spellings(text: str) -> None:
    assert parse_bool("x", text) is False


@pytest.mark.parametrize("text", ["yes", "no", "on", "off", "1", "0", "tRUE", "y", "enabled"])
def test_yaml_1_1_spellings_are_not_booleans(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_bool("fail-on-error", text)
    message = str(info.value)
    assert "fail-on-error" in message and f"'{text}'" in message and "YAML 1.2" in message
    assert info.value.exit_code == 2


def test_int_bounds_and_errors() -> None:
    assert parse_int("retries", " 7 ") == 7
    with pytest.raises(InputError, match="'retries': 'three' is not a whole number"):
        parse_int("retries", "three")
    with pytest.raises(InputError, match="at most 10"):
        parse_int("retries", "11", 0, 10)
    with pytest.raises(InputError, match="at least 0"):
        parse_int("retries", "-1", 0, 10)
    with pytest.raises(InputError):
        parse_int("retries", "1.5")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("5m", 300),
        ("1h", 3600),
        ("1d", 86400),
        ("250ms", 0.25),
        ("45", 45),
        ("1h30m", 5400),
        ("2m 10s", 130),
        ("1.5h", 5400),
        ("5M", 300),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration("timeout", text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["soon", "5 minutes", "-5s", "1w", "h", "5m-"])
def test_bad_durations_name_the_input(text: str) -> None:
    with pytest.raises(InputError, match=r"Input 'timeout': .* is not a duration"):
        parse_duration("timeout", text)


def test_lists_newline_and_comma_separated_trimmed() -> None:
    assert parse_list("a, b,,c\n\n  d  \n e,f ") == ["a", "b", "c", "d", "e", "f"]
    assert parse_list("") == []
    assert parse_list(" ,\n , ") == []


def test_enum_case_insensitive_and_canonical() -> None:
    assert parse_enum("smtp-security", "STARTTLS", ("auto", "starttls")) == "starttls"
    with pytest.raises(InputError, match="'ssl' is not allowed; use one of: auto, starttls"):
        parse_enum("smtp-security", "ssl", ("auto", "starttls"))


def test_read_raw_precedence_flag_then_namespaced_env_then_input_env() -> None:
    spec = (Input("slack-channel", "c"), Input("status", "s"), Input("title", "t"))
    env = {
        "SHIPYARD_INPUT_SLACK_CHANNEL": "#env",
        "INPUT_SLACK-CHANNEL": "#act",
        "INPUT_STATUS": " started ",
        "SHIPYARD_INPUT_TITLE": "   ",
    }
    assert read_raw(spec, {"slack-channel": "#flag"}, env) == {
        "slack-channel": "#flag",
        "status": "started",
    }
    assert read_raw(spec, {}, env)["slack-channel"] == "#env"


def test_env_names() -> None:
    item = Input("fail-on-error", "x")
    assert item.env_name == "SHIPYARD_INPUT_FAIL_ON_ERROR"
    assert item.runner_env_name == "INPUT_FAIL-ON-ERROR"
    assert item.attr == "fail_on_error"
