"""Every value that reaches the generated ssh_config or an ssh/ssh-keyscan command line.

The settings refuse what is not a user name, a host name (IDNA) or IP literal, a port or a
known_hosts line; the rendering refuses it once more; and what is rendered is read back by the
real OpenSSH client (``ssh -G``) exactly as meant, with our options intact. No server needed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from shipyard.deploy import ssh
from shipyard.deploy.hostkeys import KnownHost, known_hosts_text
from shipyard.deploy.spec import Settings
from shipyard.deploy.targets import Target, parse_target, parse_targets
from shipyard.runtime import ConfigError, InputError, parse_settings

KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9oA"
BASE = {
    "hosts": "web1=10.0.0.1",
    "ssh-key": "KEY",
    "known-hosts": f"10.0.0.1 ssh-ed25519 {KEY}",
    "app": "api",
    "image": "registry.example/api@sha256:" + "a" * 64,
}
INJECTION = 'deploy\nProxyCommand sh -c "id > /tmp/x"'
#: Values ssh_config (or a command line) would read as more than one plain value.
HOSTILE = [
    INJECTION,
    "deploy\rProxyCommand=x",
    "deploy\nStrictHostKeyChecking no",
    "deploy ProxyCommand=x",
    "deploy\tx",
    "deploy\x0bx",
    "deploy\x00",
    "deploy\u2028ProxyCommand=x",  # a Unicode line separator
    "de\u200bploy",  # zero width space
    "%h",
    "de%dploy",
    "${HOME}",
    'de"ploy',
    "de'ploy",
    "de\\ploy",
    "deploy#x",
    "-oProxyCommand=x",
    "-v",
    "",
]


def settings(**extra: str) -> Settings:
    return parse_settings(Settings, {**BASE, **extra})


def refused(name: str, **extra: str) -> None:
    with pytest.raises(InputError) as caught:
        settings(**extra)
    assert caught.value.input_name == name, caught.value


def refused_item(item: str, field: str = "hosts") -> None:
    """One item of hosts (the list is split at line ends and commas before) or jump-host."""
    with pytest.raises(InputError) as caught:
        parse_target(item, "deploy", field)
    assert caught.value.input_name == field, caught.value


@pytest.mark.parametrize("value", [v for v in HOSTILE if v])
def test_user_must_be_a_posix_user_name(value: str) -> None:
    refused("user", user=value)
    refused_item(f"web1={value}@10.0.0.1")
    refused("jump-host", **{"jump-host": f"{value}@jump.example"})


@pytest.mark.parametrize("value", HOSTILE)
def test_hosts_and_the_jump_host_must_be_host_names_or_ip_literals(value: str) -> None:
    refused_item(f"web1={value}")
    refused_item(f"web1={value}:22")
    refused_item(f"ops@{value}:22", "jump-host")
    if value.strip():
        refused("jump-host", **{"jump-host": value})


@pytest.mark.parametrize(
    "host",
    [
        "-oProxyCommand",
        "-v",
        "-f-",
        "host-",
        "a..b",
        "host.",
        "1.2.3",
        "999.1.1.1",
        "010.0.0.1",
        "host.123",
        "a" * 64 + ".example",
        "[::1%eth0]",
        "[not:v6]",
        "[10.0.0.1]",
        "xn--zz.example",
        "bad\u00adlabel.example",  # a soft hyphen: not valid IDNA
    ],
)
def test_what_is_not_a_host_name_or_ip_literal_is_refused(host: str) -> None:
    refused("hosts", hosts=host)
    refused("hosts", hosts=f"web1=ops@{host}:22")
    refused("jump-host", **{"jump-host": host})


@pytest.mark.parametrize("port", ["0", "65536", "-1", "2\n2", "22 x", "\u0662\u0662", "22%h", ""])
def test_ports_are_numbers_in_range(port: str) -> None:
    refused_item(f"10.0.0.1:{port}")
    refused("jump-host", **{"jump-host": f"jump.example:{port}"})


@pytest.mark.parametrize(
    "line",
    [
        f"h\x1b ssh-ed25519 {KEY}",
        f"h%h ssh-ed25519 {KEY}",
        f'h" ssh-ed25519 {KEY}',
        f"@bogus h ssh-ed25519 {KEY}",
        f"h sk-\x07 {KEY}",
        f"bücher.example ssh-ed25519 {KEY}",
    ],
)
def test_known_hosts_lines_are_plain(line: str) -> None:
    refused("known-hosts", **{"known-hosts": line})


@pytest.mark.parametrize(
    "entry",
    [
        KnownHost("h\nProxyCommand", "ssh-ed25519", KEY),
        KnownHost("h", "ssh-ed25519\n@cert-authority", KEY),
        KnownHost("h", "ssh-ed25519", KEY + "\n* ssh-ed25519 " + KEY),
        KnownHost("h", "ssh-ed25519", KEY, marker="@cert-authority *\n"),
        KnownHost("h h2", "ssh-ed25519", KEY),
    ],
)
def test_the_known_hosts_file_gets_plain_lines_only(entry: KnownHost) -> None:
    with pytest.raises(ConfigError, match="known_hosts"):
        known_hosts_text([entry])
    assert known_hosts_text([KnownHost("[h]:22,h2", "ssh-ed25519", KEY)]).count("\n") == 1


def test_host_names_idna_ip_literals_and_ports_are_accepted() -> None:
    parsed = parse_targets(
        [
            "web1=deploy.bot-1_x@Bücher.example:2222",
            "[2001:db8::1]:22",
            "10.0.0.2",
            "xn--bcher-kva.example",
            "a_b.internal",
        ],
        "deploy",
    )
    assert [(t.name, t.host, t.port, t.user) for t in parsed] == [
        ("web1", "xn--bcher-kva.example", 2222, "deploy.bot-1_x"),
        ("2001:db8::1", "2001:db8::1", 22, "deploy"),
        ("10.0.0.2", "10.0.0.2", 22, "deploy"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example", 22, "deploy"),
        ("a_b.internal", "a_b.internal", 22, "deploy"),
    ]
    assert parse_target("ops@jump.example:2200", "deploy", "jump-host") == Target(
        "jump.example:2200", "jump.example", 2200, "ops"
    )


def _render(tmp_path: Path, targets: list[Target], jump: Target | None = None) -> str:
    sockets = tmp_path / "sockets"
    sockets.mkdir(mode=0o700, exist_ok=True)
    return ssh.config_text(
        targets,
        key=tmp_path / "key",
        known_hosts=tmp_path / "known_hosts",
        control_dir=sockets,
        timeout=15,
        jump=jump,
        jump_key=tmp_path / "jump-key",
    )


def _hostile_targets(field: str, value: str) -> tuple[Target, Target | None]:
    target = Target("web", value if field == "host" else "10.0.0.1", 22, "deploy")
    if field == "user":
        target = Target("web", "10.0.0.1", 22, value)
    if not field.startswith("jump"):
        return target, None
    if field == "jump-user":
        return target, Target("jump", "10.0.0.9", 22, value)
    return target, Target("jump", value, 22, "ops")


FIELDS = ["host", "user", "jump-host", "jump-user"]
UNSAFE = [v for v in HOSTILE if v] + ["-x", "~root"]


@pytest.mark.parametrize("value", UNSAFE)
@pytest.mark.parametrize("field", FIELDS)
def test_the_rendering_refuses_unsafe_values_whatever_the_settings_let_through(
    tmp_path: Path, field: str, value: str
) -> None:
    target, jump = _hostile_targets(field, value)
    with pytest.raises(ConfigError, match="ssh config"):
        _render(tmp_path, [target], jump)


@pytest.mark.parametrize("value", UNSAFE)
@pytest.mark.parametrize("field", FIELDS)
def test_no_value_adds_or_changes_an_ssh_option(tmp_path: Path, field: str, value: str) -> None:
    """What is rendered at all, the real client reads back as written, our options intact
    (``user=$'deploy\\nProxyCommand ...'`` ran the command on 3824f64)."""
    target, jump = _hostile_targets(field, value)
    try:
        text = _render(tmp_path, [target], jump)
    except ConfigError:
        return  # refused: nothing is written, nothing runs
    config = tmp_path / "ssh_config"
    config.write_text(text)
    for alias, meant in [(ssh.alias(0), target), *([("shipyard-jump", jump)] if jump else [])]:
        seen = _ssh_g(config, alias)
        assert "proxycommand" not in seen, seen.get("proxycommand")
        assert seen["stricthostkeychecking"] == "true"
        assert seen["batchmode"] == "yes"
        assert (seen["hostname"], seen["user"]) == (meant.host, meant.user)


@pytest.mark.parametrize("part", ["a b", "a%d", "a$b", 'a"b', "a#b", "a\nb", "a,b", "a=b"])
def test_the_rendering_refuses_unsafe_paths(tmp_path: Path, part: str) -> None:
    """The key, known_hosts and socket paths come from RUNNER_TEMP: refused, not misread."""
    target = Target("web", "10.0.0.1", 22, "deploy")
    odd = tmp_path / part
    for paths in (
        {"key": odd},
        {"known_hosts": odd},
        {"control_dir": odd},
    ):
        kwargs = {
            "key": tmp_path / "key",
            "known_hosts": tmp_path / "kh",
            "control_dir": tmp_path,
            **paths,
        }
        with pytest.raises(ConfigError, match="ssh config"):
            ssh.config_text([target], timeout=15, **kwargs)


def _ssh_g(config: Path, alias: str) -> dict[str, str]:
    """What the real OpenSSH client makes of our config for ``alias`` (first value wins)."""
    if not shutil.which("ssh"):
        pytest.fail("the OpenSSH client (ssh) is needed")
    out = subprocess.run(
        ["ssh", "-G", "-F", str(config), "--", alias],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert out.returncode == 0, out.stderr
    values: dict[str, str] = {}
    for line in out.stdout.splitlines():
        key, _, value = line.partition(" ")
        values.setdefault(key, value)
    return values


def _read_back(tmp_path: Path, **extra: str) -> list[tuple[str, Target, dict[str, str]]]:
    """Settings -> targets -> rendered config -> what ``ssh -G`` makes of each alias."""
    s = settings(**extra)
    targets = parse_targets(s.hosts, s.user)
    jump = parse_target(s.jump_host, s.user, "jump-host") if s.jump_host else None
    config = tmp_path / "ssh_config"
    config.write_text(_render(tmp_path, targets, jump))
    expected = [
        *[(ssh.alias(i), t) for i, t in enumerate(targets)],
        *([("shipyard-jump", jump)] if jump else []),
    ]
    return [(alias, target, _ssh_g(config, alias)) for alias, target in expected]


def test_ssh_reads_back_idna_names_ip_literals_and_ports(tmp_path: Path) -> None:
    seen = _read_back(
        tmp_path,
        user="deploy.bot-1_x",
        hosts="web1=Bücher.example:2222\n[2001:db8::1]\nops@10.0.0.2:65535",
        **{"jump-host": "jump_1.example:2200", "known-hosts": f"* ssh-ed25519 {KEY}"},
    )
    assert [(v["hostname"], v["port"], v["user"]) for _, _, v in seen] == [
        ("xn--bcher-kva.example", "2222", "deploy.bot-1_x"),
        ("2001:db8::1", "22", "deploy.bot-1_x"),
        ("10.0.0.2", "65535", "ops"),
        ("jump_1.example", "2200", "deploy.bot-1_x"),
    ]


def test_ssh_reads_our_options_intact_and_a_bounded_control_persist(tmp_path: Path) -> None:
    seen_all = _read_back(
        tmp_path,
        hosts="web1=10.0.0.1\nops@10.0.0.2:2222",
        **{"jump-host": "10.0.0.9", "known-hosts": f"* ssh-ed25519 {KEY}"},
    )
    for alias, target, seen in seen_all:
        assert (seen["hostname"], seen["port"], seen["user"]) == (
            target.host,
            str(target.port),
            target.user,
        )
        assert seen["stricthostkeychecking"] == "true"
        assert seen["batchmode"] == "yes"
        assert seen["userknownhostsfile"] == str(tmp_path / "known_hosts")
        assert seen["globalknownhostsfile"] == "/dev/null"
        assert seen["identityfile"] == str(tmp_path / ("jump-key" if "jump" in alias else "key"))
        assert seen["forwardagent"] == "no"
        assert "proxycommand" not in seen
        assert seen.get("proxyjump", "none") == (
            "none" if alias == "shipyard-jump" else "shipyard-jump"
        )
        # The master ends by itself a minute after its last session (it was "yes": never).
        assert seen["controlpersist"] == "60"
        assert seen["controlpath"].startswith(str(tmp_path / "sockets") + "/")
