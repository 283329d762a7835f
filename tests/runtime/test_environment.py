"""One scrubbed environment; what children and templates may see (hardening #8 item 1)."""

from __future__ import annotations

import os

import pytest

from shipyard.runtime import ConfigError, child_env, scrub_env, template_env
from shipyard.runtime.entry import read_inputs_fd
from shipyard.runtime.environment import is_credential_name

ENV = {
    "PATH": "/bin",
    "HOME": "/home/runner",
    "GITHUB_REPOSITORY": "o/r",
    "GITHUB_TOKEN": "ghs_x",
    "RUNNER_TEMP": "/tmp/r",
    "SHIPYARD_INPUT_SLACK_TOKEN": "xoxb",
    "SHIPYARD_INPUT_TITLE": "t",
    "INPUT_REGISTRY_PASSWORD": "pw",
    "AWS_SECRET_ACCESS_KEY": "aws",
    "DEPLOY_ENV": "prod",
    "NPM_AUTH_TOKEN": "npm",
}


def test_scrub_drops_every_input_variable() -> None:
    scrubbed = scrub_env(ENV)
    assert not [name for name in scrubbed if "INPUT_" in name]
    assert scrubbed["AWS_SECRET_ACCESS_KEY"] == "aws"  # not an input: the job's own business


def test_template_env_is_an_allow_list() -> None:
    seen = template_env(ENV, allow=["DEPLOY_ENV"])
    assert seen == {"GITHUB_REPOSITORY": "o/r", "RUNNER_TEMP": "/tmp/r", "DEPLOY_ENV": "prod"}
    # a credential only when named on purpose; an input never
    named = template_env(ENV, allow=["AWS_SECRET_ACCESS_KEY", "SHIPYARD_INPUT_SLACK_TOKEN"])
    assert "AWS_SECRET_ACCESS_KEY" in named and "SHIPYARD_INPUT_SLACK_TOKEN" not in named


def test_child_env_drops_credentials_unless_allowed() -> None:
    child = child_env(ENV)
    assert set(child) == {"PATH", "HOME", "GITHUB_REPOSITORY", "RUNNER_TEMP", "DEPLOY_ENV"}
    allowed = child_env(ENV, allow=["GITHUB_TOKEN"], extra={"DOCKER_CONFIG": "/d"})
    assert allowed["GITHUB_TOKEN"] == "ghs_x" and allowed["DOCKER_CONFIG"] == "/d"


def test_credential_names() -> None:
    for name in ("GITHUB_TOKEN", "DB_PASSWORD", "API_KEY", "SSH_KEY", "MY_SECRET", "BASIC_AUTH"):
        assert is_credential_name(name), name
    for name in ("PATH", "HOME", "KEYBOARD", "GITHUB_SHA", "MONKEY_BUSINESS"):
        assert not is_credential_name(name), name


def _pipe_with(data: bytes) -> str:
    read_end, write_end = os.pipe()
    os.write(write_end, data)
    os.close(write_end)
    return str(read_end)


def test_inputs_on_a_descriptor_are_read_unescaped_and_it_is_closed() -> None:
    """The records scripts/bootstrap.sh writes (hardening #17 item 5): NAME=VALUE lines with
    backslash and newline escaped; names that are not input variables are ignored."""
    fd = _pipe_with(
        b"SHIPYARD_INPUT_NOTE=a\\\\b\\nc = \\\\n \xc3\xa9\n"
        b"INPUT_GITHUB-TOKEN=ghs_x\n"
        b"PATH=/evil\n"
        b"garbage without an equals sign\n\n"
    )
    assert read_inputs_fd(fd) == {
        "SHIPYARD_INPUT_NOTE": "a\\b\nc = \\n é",
        "INPUT_GITHUB-TOKEN": "ghs_x",
    }
    with pytest.raises(OSError):
        os.fstat(int(fd))  # closed: no child can inherit it, nothing can read it again


@pytest.mark.parametrize("value", ["x", "-1", "987654"])
def test_a_bad_inputs_descriptor_is_a_config_error(value: str) -> None:
    with pytest.raises(ConfigError, match="SHIPYARD_INPUTS_FD"):
        read_inputs_fd(value)
