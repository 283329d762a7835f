"""Typed settings: kinds from annotations, pure parsing, errors naming the input."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

from shipyard.runtime import (
    ActionContext,
    ActionSpec,
    ConfigError,
    Duration,
    InputError,
    KeyValues,
    Outcome,
    Runner,
    Secret,
    Text,
    inputs_of,
    parse_settings,
    run_action,
    setting,
)
from shipyard.runtime.spec import render_action_yml


@dataclass(frozen=True)
class Settings:
    hosts: list[str] = setting("Hosts, one per line or comma-separated", required=True)
    strategy: Literal["blue-green", "rolling", "recreate"] = setting(
        "How to switch", default="blue-green"
    )
    replicas: int = setting("Containers per host", default="1", minimum=1)
    health_timeout: Duration = setting("How long to wait", default="60s")
    env: KeyValues = setting("KEY=VALUE lines", secret=True)
    ssh_key: Secret = setting("Private key")
    script: Text = setting("Multi-line text kept as is")
    dry_run: bool = setting("Only say what would happen", default="false")
    port: int | None = setting("A port")
    token: Secret = setting("API token", yaml_default="${{ github.token }}")
    old: str = setting("Old thing", name="legacy_name", deprecation="use hosts")

    def __post_init__(self) -> None:
        if self.strategy == "rolling" and self.replicas < 2:
            raise ConfigError("rolling needs at least 2 replicas")


def test_inputs_are_derived_with_kinds_and_names() -> None:
    inputs = {item.name: item for item in inputs_of(Settings)}
    assert list(inputs) == [
        "hosts",
        "strategy",
        "replicas",
        "health-timeout",
        "env",
        "ssh-key",
        "script",
        "dry-run",
        "port",
        "token",
        "legacy_name",
    ]
    assert inputs["hosts"].required and inputs["hosts"].kind == "list"
    assert inputs["strategy"].kind == "enum"
    assert inputs["strategy"].choices == ("blue-green", "rolling", "recreate")
    assert inputs["health-timeout"].kind == "duration"
    assert inputs["env"].kind == "keyvalues" and inputs["env"].secret
    assert inputs["ssh-key"].secret and inputs["token"].secret
    assert inputs["script"].kind == "text"
    assert inputs["port"].kind == "int" and not inputs["port"].required
    assert inputs["token"].yaml_default == "${{ github.token }}"


def test_parse_defaults_and_optional_values() -> None:
    settings = parse_settings(Settings, {"hosts": "a, b\nc"})
    assert settings.hosts == ["a", "b", "c"]
    assert settings.strategy == "blue-green"
    assert settings.replicas == 1
    assert settings.health_timeout == 60.0
    assert settings.env == {} and isinstance(settings.env, KeyValues)
    assert settings.ssh_key == "" and settings.script == ""
    assert settings.dry_run is False
    assert settings.port is None


def test_parse_every_kind() -> None:
    settings = parse_settings(
        Settings,
        {
            "hosts": "h1",
            "strategy": "Recreate",
            "replicas": "3",
            "health-timeout": "1h30m",
            "env": "A=1\n# comment\n\nB = two=2",
            "script": "line 1\n  indented\n",
            "dry-run": "TRUE",
            "port": "8080",
        },
    )
    assert settings.strategy == "recreate"
    assert settings.replicas == 3
    assert settings.health_timeout == 5400.0
    assert dict(settings.env) == {"A": "1", "B": "two=2"}
    assert hash(settings.env) == hash(KeyValues([("A", "1"), ("B", "two=2")]))
    assert settings.script == "line 1\n  indented\n"
    assert settings.dry_run is True
    assert settings.port == 8080


@pytest.mark.parametrize(
    ("raw", "name", "words"),
    [
        ({}, "hosts", "required"),
        ({"hosts": "a", "strategy": "big-bang"}, "strategy", "one of: blue-green"),
        ({"hosts": "a", "replicas": "0"}, "replicas", "at least 1"),
        ({"hosts": "a", "replicas": "two"}, "replicas", "whole number"),
        ({"hosts": "a", "health-timeout": "soon"}, "health-timeout", "not a duration"),
        ({"hosts": "a", "dry-run": "yes"}, "dry-run", "not a boolean"),
        ({"hosts": "a", "env": "A=1\nnot a pair"}, "env", "line 2"),
    ],
)
def test_bad_input_names_the_input(raw: dict[str, str], name: str, words: str) -> None:
    with pytest.raises(InputError) as info:
        parse_settings(Settings, raw)
    assert info.value.input_name == name
    assert words in info.value.message


def test_key_values_error_does_not_show_the_value() -> None:
    with pytest.raises(InputError) as info:
        parse_settings(Settings, {"hosts": "a", "env": "s3cr3t-without-equals"})
    assert "s3cr3t" not in info.value.message


def test_cross_input_check_in_post_init() -> None:
    with pytest.raises(ConfigError, match="rolling needs"):
        parse_settings(Settings, {"hosts": "a", "strategy": "rolling"})


def test_unsupported_annotation_is_refused() -> None:
    @dataclass(frozen=True)
    class Bad:
        numbers: list[int] = setting("numbers")

    with pytest.raises(TypeError, match="unsupported"):
        inputs_of(Bad)


def test_optional_enum_without_default_is_refused() -> None:
    @dataclass(frozen=True)
    class Bad:
        mode: Literal["a", "b"] = setting("mode")

    with pytest.raises(TypeError, match="needs a default"):
        inputs_of(Bad)


SPEC = ActionSpec(name="demo", title="Demo", description="typed", settings=Settings)


def test_spec_from_settings_renders_action_yml() -> None:
    text = render_action_yml(SPEC)
    assert "  health-timeout:" in text
    assert "SHIPYARD_INPUT_HEALTH_TIMEOUT: ${{ inputs.health-timeout }}" in text
    assert 'default: "${{ github.token }}"' in text
    assert "deprecationMessage" in text


def test_run_action_gives_typed_settings_and_masks_secrets(tmp_path: Path) -> None:
    seen: list[Settings] = []

    def run(ctx: ActionContext[Settings]) -> Outcome:
        seen.append(ctx.settings)
        ctx.runner.info(f"key is {ctx.settings.ssh_key}")
        ctx.runner.info(f"password is {ctx.settings.env['DB_PASSWORD']}")
        return Outcome("done")

    out = io.StringIO()
    env = {
        "GITHUB_ACTIONS": "true",
        "SHIPYARD_INPUT_HOSTS": "h",
        "SHIPYARD_INPUT_SSH_KEY": "-----KEY-----\nabc\n",
        "SHIPYARD_INPUT_LEGACY_NAME": "x",
        "SHIPYARD_INPUT_ENV": "DB_PASSWORD=hunter22\nDEBUG=1",
    }
    code = run_action(SPEC, run, [], env=env, runner=Runner(env=env, stream=out))
    assert code == 0
    assert seen[0].hosts == ["h"]
    assert seen[0].ssh_key == "-----KEY-----\nabc"
    log = out.getvalue()
    assert "::add-mask::abc" in log
    assert "key is ***" in log
    assert "password is ***" in log  # each value of a secret KEY=VALUE input is masked
    assert "Input 'legacy_name' is deprecated" in log


def test_run_action_bad_setting_exits_2(tmp_path: Path) -> None:
    out = io.StringIO()
    env = {"SHIPYARD_INPUT_HOSTS": "h", "SHIPYARD_INPUT_DRY_RUN": "maybe"}
    code = run_action(SPEC, lambda ctx: None, [], env=env, runner=Runner(env=env, stream=out))
    assert code == 2
    assert "Input 'dry-run'" in out.getvalue()
    assert "Traceback" not in out.getvalue()
