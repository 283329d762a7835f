"""Build secrets and SSH forwarding without Docker: the inputs checked against the environment
(errors name the input, never a value), the buildx flags (names, never values), what each
docker command's environment holds, and the private ssh-agent (a real OpenSSH ssh-agent)."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from shipyard.build_push import sshagent
from shipyard.build_push.buildsecrets import (
    BuildSecret,
    SecretInputError,
    SshForward,
    normalize_key,
    parse_secrets,
    parse_ssh,
)
from shipyard.build_push.buildx import Docker
from shipyard.build_push.plan import BuildOptions, BuildOutput, CachePlan, build_argv
from shipyard.build_push.platforms import Platform
from shipyard.build_push.settings import is_socket, read_settings
from shipyard.build_push.spec import Settings
from shipyard.build_push.sshagent import SshAgent
from shipyard.runtime import InputError, RunContext, Runner
from shipyard.runtime.settings import parse_settings
from tests.build_push._run import run_build_push
from tests.build_push.conftest import write_app

VALUE = "npm_" + secrets.token_hex(16)
NOW = datetime(2024, 5, 6, tzinfo=timezone.utc)


def _keygen(path: Path, passphrase: str = "") -> str:
    if shutil.which("ssh-keygen") is None:
        pytest.fail("ssh-keygen (openssh-client) is part of the test bed")
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "build", "-f", str(path)],
        check=True,
    )
    return path.read_text()


@pytest.fixture
def agent_socket(tmp_path: Path) -> Iterator[str]:
    """A unix socket standing for an agent an earlier step started (webfactory/ssh-agent)."""
    path = tmp_path / "runner-agent.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    yield str(path)
    server.close()


# ------------------------------------------------------------------------------- secrets


def test_secrets_are_names_of_variables_and_their_values_are_returned_to_mask() -> None:
    text = "# the registry of npm\nnpm=NPM_TOKEN\n\npip.conf = PIP_CONF\n"
    found, values = parse_secrets(text, {"NPM_TOKEN": VALUE, "PIP_CONF": "[global]\nx=1"})
    assert found == (BuildSecret("npm", "NPM_TOKEN"), BuildSecret("pip.conf", "PIP_CONF"))
    assert values == (VALUE, "[global]\nx=1")
    assert found[0].flag == "id=npm,env=NPM_TOKEN"
    assert parse_secrets("", {}) == ((), ())


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("NPM_TOKEN", "line 1 is not ID=ENV_NAME"),
        ("=NPM_TOKEN", "line 1 is not ID=ENV_NAME"),
        ("a b=NPM_TOKEN", "line 1: the id may hold letters"),
        ("npm=NPM_TOKEN\nnpm=NPM_TOKEN", "line 2: the id 'npm' is given twice"),
        ("npm=MISSING_VAR", "line 1 (id 'npm'): the variable named after '=' is not set"),
        ("npm=EMPTY_VAR", "line 1 (id 'npm'): the variable named after '=' is not set in"),
    ],
)
def test_bad_secret_lines_name_the_input_and_the_line(text: str, needle: str) -> None:
    with pytest.raises(SecretInputError) as caught:
        parse_secrets(text, {"NPM_TOKEN": VALUE, "EMPTY_VAR": ""})
    assert caught.value.input_name == "secrets"
    assert needle in str(caught.value)
    if "is not" in needle:
        assert "NPM_TOKEN: ${{ secrets.NPM_TOKEN }}" in caught.value.hint


@pytest.mark.parametrize(
    "pasted",
    [
        "ghp_" + secrets.token_urlsafe(27).replace("-", "x"),  # a valid name, unset: a value
        "JBSWY3DPEHPK3PXP" + secrets.token_hex(4).upper(),  # upper case, like a variable
        "s3cr3t value with spaces",
        "glpat-" + secrets.token_hex(10),
    ],
)
def test_a_value_pasted_instead_of_a_variable_name_is_never_quoted(pasted: str) -> None:
    """docker/build-push-action's ``secrets`` takes values: a user moving over may paste one."""
    with pytest.raises(SecretInputError) as caught:
        parse_secrets(f"token={pasted}", {"NPM_TOKEN": VALUE})
    message = str(caught.value) + caught.value.hint
    assert "line 1 (id 'token')" in message
    assert pasted not in message and pasted[:8] not in message


# ----------------------------------------------------------------------------------- ssh


def test_ssh_ids_use_the_agent_of_ssh_key(tmp_path: Path) -> None:
    key = _keygen(tmp_path / "id")
    assert parse_ssh("default\ngitlab", key, {}, is_socket) == (
        SshForward("default"),
        SshForward("gitlab"),
    )
    assert SshForward("default").flag("/tmp/a.sock") == "default=/tmp/a.sock"


def test_ssh_without_a_key_forwards_the_agent_of_an_earlier_step(agent_socket: str) -> None:
    env = {"SSH_AUTH_SOCK": agent_socket}
    assert parse_ssh("default", "", env, is_socket) == (SshForward("default", agent_socket),)
    explicit = parse_ssh(f"github={agent_socket}", "", {}, is_socket)
    assert explicit == (SshForward("github", agent_socket),)


@pytest.mark.parametrize(
    ("text", "key", "name", "needle"),
    [
        ("default", "", "ssh-key", "is required for ssh: default"),
        ("", "KEY", "ssh", "is empty, so ssh-key would not be used"),
        ("default=./id_ed25519", "", "ssh", "line 1 (id 'default'): what follows '=' is not"),
        ("default=/etc/passwd", "", "ssh", "is not an SSH agent socket"),
        ("default\ndefault", "KEY", "ssh", "the id 'default' is given twice"),
        ("default", "not a key at all", "ssh-key", "is not a private key"),
    ],
)
def test_bad_ssh_inputs_name_the_input(
    tmp_path: Path, text: str, key: str, name: str, needle: str
) -> None:
    real_key = _keygen(tmp_path / "id") if key == "KEY" else key
    with pytest.raises(SecretInputError) as caught:
        parse_ssh(text, real_key, {}, is_socket)
    assert caught.value.input_name == name and needle in str(caught.value)
    assert "PRIVATE KEY" not in str(caught.value) + caught.value.hint or name == "ssh-key"


def test_a_key_pasted_with_crlf_and_no_final_newline_is_normalized(tmp_path: Path) -> None:
    key = _keygen(tmp_path / "id")
    assert normalize_key(key.strip().replace("\n", "\r\n")) == key


# ------------------------------------------------------------------------------ settings


def _settings(tmp_path: Path, raw: dict[str, str], env: dict[str, str]):  # type: ignore[no-untyped-def]
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    run = RunContext(
        workspace=str(tmp_path), ref="refs/heads/main", event_name="push", sha="a" * 40
    )
    return read_settings(parse_settings(Settings, {"images": "a/b", **raw}), run, NOW, env)


def test_read_settings_checks_secrets_against_the_environment(tmp_path: Path) -> None:
    key = _keygen(tmp_path / "id")
    s = _settings(
        tmp_path,
        {"secrets": "npm=NPM_TOKEN", "ssh": "default", "ssh-key": key},
        {"NPM_TOKEN": VALUE},
    )
    assert s.build_secrets == (BuildSecret("npm", "NPM_TOKEN"),)
    assert s.ssh == (SshForward("default"),)
    assert VALUE in s.secrets and key.strip() in s.secrets
    assert VALUE not in repr(s) and key.strip() not in repr(s)
    with pytest.raises(InputError) as caught:
        _settings(tmp_path, {"secrets": "npm=NPM_TOKEN"}, {})
    assert str(caught.value).startswith("Input 'secrets': line 1 (id 'npm'): the variable named")
    with pytest.raises(InputError, match="Input 'ssh': is used by builds; mode: merge"):
        _settings(tmp_path, {"mode": "merge", "ssh": "default", "ssh-key": key}, {})


# ---------------------------------------------------------------------------- buildx argv


def test_the_build_argv_names_secrets_never_their_values() -> None:
    options = BuildOptions(
        context=".",
        secrets=(BuildSecret("npm", "NPM_TOKEN").flag,),
        ssh=(SshForward("default").flag("/tmp/shipyard-ssh-x/agent.sock"),),
    )
    argv = build_argv(
        options, [Platform("linux", "amd64")], BuildOutput("cacheonly"), CachePlan("none")
    )
    assert argv[argv.index("--secret") + 1] == "id=npm,env=NPM_TOKEN"
    assert argv[argv.index("--ssh") + 1] == "default=/tmp/shipyard-ssh-x/agent.sock"
    assert VALUE not in " ".join(argv)


def test_only_buildx_build_gets_the_secrets_variables() -> None:
    env = {
        "PATH": "/usr/bin",
        "HOME": "/root",
        "NPM_TOKEN": VALUE,  # credential-looking
        "PIP_CONF": "[global]",  # a build secret whose name does not look like one
        "GITHUB_TOKEN": "ghs_job",
        "ACTIONS_RUNTIME_TOKEN": "rt",
        "ACTIONS_RESULTS_URL": "http://results",
        "SSH_AUTH_SOCK": "/tmp/agent",
        "DOCKER_HOST": "unix:///var/run/docker.sock",
    }
    docker = Docker("docker", env, Runner(env={}), secret_env=("NPM_TOKEN", "PIP_CONF"))
    other, build = docker._env(), docker._env(build=True)
    assert {"NPM_TOKEN", "PIP_CONF", "GITHUB_TOKEN", "ACTIONS_RUNTIME_TOKEN"}.isdisjoint(other)
    assert {"PATH", "HOME", "DOCKER_HOST", "SSH_AUTH_SOCK"} <= set(other)
    assert build["NPM_TOKEN"] == VALUE and build["PIP_CONF"] == "[global]"
    assert build["ACTIONS_RUNTIME_TOKEN"] == "rt" and "GITHUB_TOKEN" not in build


# ------------------------------------------------------------------------------ ssh-agent


def _listed(socket_path: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "SSH_AUTH_SOCK": socket_path}
    return subprocess.run(
        ["ssh-add", "-l"], env=env, capture_output=True, text=True, timeout=30, check=False
    )


def test_the_private_agent_holds_the_key_and_is_stopped(tmp_path: Path) -> None:
    key = _keygen(tmp_path / "id")
    fingerprint = subprocess.run(
        ["ssh-keygen", "-l", "-f", str(tmp_path / "id.pub")], capture_output=True, text=True
    ).stdout.split()[1]
    agent = SshAgent.start(key.strip(), runner=Runner(env={}), env=dict(os.environ))
    try:
        assert len(agent.socket) < 108 and Path(agent.socket).is_socket()
        assert oct(Path(agent.socket).parent.stat().st_mode & 0o777) == "0o700"
        assert fingerprint in _listed(agent.socket).stdout
        assert Path(f"/proc/{agent.pid}/comm").read_text().strip() == "ssh-agent"
    finally:
        agent.stop()
    assert not Path(agent.directory).exists()
    assert _agents_on(agent.socket) == []
    assert _listed(agent.socket).returncode == 2  # no agent there any more


def _agents_on(socket_path: str) -> list[str]:
    """The pids of processes whose command line names this socket."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if socket_path.encode() in (entry / "cmdline").read_bytes():
                found.append(entry.name)
        except OSError:
            continue
    return found


def test_a_key_with_a_passphrase_is_exit_2_naming_ssh_key_and_the_agent_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = _keygen(tmp_path / "id", passphrase="a passphrase")
    made: list[str] = []
    real_mkdtemp = sshagent.tempfile.mkdtemp

    def mkdtemp(**kw: str) -> str:
        made.append(real_mkdtemp(**kw))
        return made[-1]

    monkeypatch.setattr(sshagent.tempfile, "mkdtemp", mkdtemp)
    with pytest.raises(InputError) as caught:
        SshAgent.start(key, runner=Runner(env={}), env=dict(os.environ))
    assert caught.value.input_name == "ssh-key" and "refused by ssh-add" in str(caught.value)
    (directory,) = made
    assert not Path(directory).exists()
    assert _agents_on(os.path.join(directory, "agent.sock")) == []


# ------------------------------------------------------------------------- the whole action


def test_bad_secret_inputs_stop_the_action_before_anything_runs(tmp_path: Path) -> None:
    """Exit 2 naming the input, nothing started (no docker on PATH), no value printed."""
    app = write_app(tmp_path / "workspace", "busybox")
    pasted = "ghp_" + secrets.token_hex(18)
    cases = {
        "unset": ({"secrets": "npm=NPM_TOKEN"}, "Input 'secrets': line 1 (id 'npm'): the var"),
        "pasted": ({"secrets": f"token={pasted}"}, "Input 'secrets': line 1 (id 'token')"),
        "no key": ({"ssh": "default"}, "Input 'ssh-key': is required for ssh: default"),
    }
    for name, (inputs, needle) in cases.items():
        run = run_build_push(
            tmp_path / name.replace(" ", "-"),
            app,
            {"images": "127.0.0.1:9/acme/app", **inputs},
            env={"PATH": str(tmp_path), "NPM_TOKEN": ""},
        )
        assert run.code == 2, (name, run.log[-2000:])
        (error,) = run.annotations("error")
        assert needle in error, (name, error)
        assert pasted not in run.log + run.summary
        assert "docker" not in run.log.lower().replace("dockerfile", "")
