"""Deploy 2's decisions without a service: the certificate checks (a CA made here), the inputs
of each mode, the disk figure, image references, and the pruning and exec scripts run with
bash against a stand-in docker CLI (``fake_docker.py``)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from shipyard.deploy import disk, tls
from shipyard.deploy.images import PruneImages
from shipyard.deploy.ops_steps import Exec
from shipyard.deploy.registry import ImageRef
from shipyard.deploy.releases import Release
from shipyard.deploy.settings import parse_size
from shipyard.runtime import InputError
from tests.deploy import fake_docker
from tests.deploy.orchestra import settings
from tests.deploy.test_pure import EVIL, _remote
from tests.services.tls import CertificateAuthority

NOW = dt.datetime.now(dt.timezone.utc)


@pytest.fixture(scope="module")
def ca() -> CertificateAuthority:
    return CertificateAuthority()


def pem(ca: CertificateAuthority, names: tuple[str, ...] = ("api.example.com",), **when: Any
        ) -> tuple[str, str]:  # fmt: skip
    _cert, chain, key = ca.issue(names, (), **when)
    return chain.decode(), key.decode()


# -- the certificate ------------------------------------------------------------------------
def test_a_good_certificate_is_read_with_its_names_and_expiry(ca: CertificateAuthority) -> None:
    chain, key = pem(ca, ("api.example.com", "*.example.com"))
    now = dt.datetime.now(dt.timezone.utc).timestamp()  # after the certificate was issued
    found = tls.check(chain, key, ["api.example.com", "www.example.com"], now)
    assert found.names == ("api.example.com", "*.example.com")
    assert 6 < found.days_left(now) <= 7
    assert found.chain == chain.strip() + "\n" and "PRIVATE" not in repr(found)
    again = tls.check(chain, key, ["api.example.com"], NOW.timestamp())
    assert again.fingerprint == found.fingerprint
    other = tls.check(*pem(ca), ["api.example.com"], NOW.timestamp())
    assert other.fingerprint != found.fingerprint  # a new pair gets new file names


@pytest.mark.parametrize(
    ("case", "field", "words"),
    [
        ("expired", "tls-cert", "expired on"),
        ("not-yet", "tls-cert", "is not valid before"),
        ("other-key", "tls-key", "does not match the certificate"),
        ("not-pem", "tls-cert", "is not a PEM certificate"),
        ("bad-key", "tls-key", "is not an unencrypted PEM private key"),
        ("name", "server-name", "'shop.example.com' is not covered"),
        ("wildcard-depth", "server-name", "'a.b.example.com' is not covered"),
    ],
)
def test_a_certificate_that_cannot_serve_is_refused_naming_the_input(
    ca: CertificateAuthority, case: str, field: str, words: str
) -> None:
    chain, key = pem(ca)
    names = ["api.example.com"]
    if case == "expired":
        chain, key = pem(ca, not_before=NOW - dt.timedelta(days=30),
                         not_after=NOW - dt.timedelta(days=1))  # fmt: skip
    elif case == "not-yet":
        chain, key = pem(ca, not_before=NOW + dt.timedelta(days=1))
    elif case == "other-key":
        key = pem(ca)[1]
    elif case == "not-pem":
        chain = "hello"
    elif case == "bad-key":
        key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
    elif case == "name":
        names = ["shop.example.com"]
    else:
        chain, key = pem(ca, ("*.example.com",))
        names = ["a.b.example.com"]
    with pytest.raises(InputError) as raised:
        tls.check(chain, key, names, NOW.timestamp())
    assert raised.value.input_name == field and words in str(raised.value)
    for secret in (chain, key):  # neither the key nor the chain is ever quoted
        assert secret.splitlines()[1 if len(secret.splitlines()) > 1 else 0] not in str(
            raised.value
        )


# -- inputs ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        ({"mode": "exec"}, "command"),
        ({"command": "ls"}, "command"),
        ({"mode": "exec", "command": "ls", "exec-host": "web9"}, "exec-host"),
        ({"mode": "logs", "log-since": "yesterday"}, "log-since"),
        ({"log-since": "10m"}, "log-since"),
        ({"mode": "maintenance"}, "maintenance"),
        ({"mode": "maintenance", "maintenance": "on", "proxy": "none"}, "mode"),
        ({"mode": "maintenance", "maintenance": "off", "maintenance-page": "p.html"},
         "maintenance-page"),
        ({"maintenance": "on"}, "maintenance"),
        ({"image": "", "mode": "deploy"}, "image"),
        ({"mode": "status", "to-release": "r1"}, "to-release"),
        ({"tls-cert": "x"}, "tls-key"),
        ({"tls-key": "x"}, "tls-cert"),
        ({"tls-cert-path": "/etc/x.pem"}, "tls-key-path"),
        ({"tls-cert": "x", "tls-key": "y", "tls-cert-path": "/a", "tls-key-path": "/b"},
         "tls-cert-path"),
        ({"tls-cert-path": "/etc/my cert.pem", "tls-key-path": "/etc/k"}, "tls-cert-path"),
        ({"tls-cert-path": "relative.pem", "tls-key-path": "/etc/k"}, "tls-cert-path"),
        ({"tls-cert": "x", "tls-key": "y"}, "server-name"),
        ({"tls-cert": "x", "tls-key": "y", "server-name": "a.example", "proxy": "none"}, "proxy"),
        ({"tls-cert": "x", "tls-key": "y", "server-name": "a b"}, "server-name"),
        ({"tls-cert": "x", "tls-key": "y", "server-name": "a.example", "http-port": "443"},
         "http-port"),
        ({"server-name": "a.example"}, "server-name"),
        ({"hsts-max-age": "1d"}, "hsts-max-age"),
        ({"min-free-space": "lots"}, "min-free-space"),
    ],
)  # fmt: skip
def test_each_input_belongs_to_its_mode_and_goes_with_its_partners(
    inputs: dict[str, str], field: str
) -> None:
    with pytest.raises(InputError) as raised:
        settings(["web1"], **inputs)
    assert raised.value.input_name == field, str(raised.value)


def test_the_inputs_of_each_mode_are_accepted() -> None:
    assert settings(["web1"], mode="status", image="").mode == "status"
    assert settings(["web1"], mode="logs", **{"log-since": "2026-01-02T15:04:05Z"}).log_since
    assert settings(["web1"], mode="logs", **{"log-since": "1h30m"}).log_since == "1h30m"
    s = settings(["web1"], **{"tls-cert": "c", "tls-key": "k", "server-name": "a.example",
                              "hsts-max-age": "365d", "http-port": "0"})  # fmt: skip
    assert s.hsts_max_age == 365 * 86400 and s.http_port == 0
    assert settings(["web1"], mode="maintenance", maintenance="on").retry_after == 300


def test_sizes_and_the_room_a_pull_needs() -> None:
    assert [parse_size(t, "x") for t in ("0", "512", "1K", "1.5G", "2gb", "3MiB")] == [
        0, 512, 1024, int(1.5 * 1024**3), 2 * 1024**3, 3 * 1024**2,
    ]  # fmt: skip
    assert disk.needed(None, 1024) == 1024
    assert disk.needed(4000, 1024) == 8000  # twice the compressed size
    assert disk.needed(4000, 0) == 0  # min-free-space 0: no check
    assert disk.why(4000, 1024) == "2 x the image's 3.9 KB of compressed layers, at least " \
        "min-free-space 1.0 KB"  # fmt: skip
    assert "was not known" in disk.why(None, 1024)
    assert disk.Shortage.read(["/var/lib/docker", "1024", "4096"]).describe() == (
        "docker's data root /var/lib/docker has 1.0 KB free, the pull needs 4.0 KB"
    )


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("127.0.0.1:5000/testbed/app@sha256:ab", ("127.0.0.1:5000", "testbed/app", "sha256:ab")),
        ("ghcr.io/o/api:1.2", ("ghcr.io", "o/api", "1.2")),
        ("nginx", ("docker.io", "library/nginx", "latest")),
        ("me/app:v1", ("docker.io", "me/app", "v1")),
        ("localhost/app:1@sha256:cd", ("localhost", "app", "sha256:cd")),
    ],
)
def test_image_references_for_the_registry_api(image: str, expected: tuple[str, ...]) -> None:
    ref = ImageRef.parse(image)
    assert (ref.registry, ref.repository, ref.reference) == expected
    local = "localhost" in image or "127." in image
    assert ref.api_base.startswith("http://" if local else "https://")


# -- the pruning script, with bash and a stand-in docker ------------------------------------
def _record(state: Path, release: str, image: str) -> None:
    (state / "releases").mkdir(parents=True, exist_ok=True)
    record = Release(release, image, image.split(":")[0] + "@sha256:" + "0" * 64, 0, "", "",
                     "deployed")  # fmt: skip
    (state / "releases" / f"{release}.json").write_text(record.to_json() + "\n")


def _container(name: str, image: str, state_dir: str = "") -> dict[str, Any]:
    labels = {"shipyard.app": name.split("-")[0]}
    if state_dir:
        labels["shipyard.state"] = state_dir
    return {"id": name, "name": name, "image": image, "state": "exited", "labels": labels}


def test_pruning_removes_exactly_what_no_container_and_no_keep_window_needs(
    tmp_path: Path,
) -> None:
    home = tmp_path / "bin" / "home"
    state, sibling = home / ".shipyard" / "api", home / ".shipyard" / "api-staging"
    other = tmp_path / "other-user" / "state"  # found through a container's label only
    images = {f"reg/api:{v}": f"sha256:{v}" for v in ("r1", "r2", "r3", "r4", "r5", "r6")}
    for number in range(1, 7):
        _record(state, f"r{number}", f"reg/api:r{number}")
    (state / "current").write_text("r6\n")
    _record(sibling, "s1", "reg/api:r2")  # the staging app still runs r2's image: kept
    (sibling / "keep").write_text("1\n")
    _record(other, "o1", "reg/api:r3")  # another state dir's window: kept
    _record(other, "o0", "reg/api:r4")  # ...but outside it (keep 1): no protection
    (other / "keep").write_text("1\n")
    containers = [
        _container("api-r6-1", "sha256:r6"),
        _container("api-r5-1", "sha256:r5"),
        _container("db-1", "sha256:r1"),  # another app's container uses r1's image: kept
        _container("web-o1-1", "sha256:unrelated", str(other)),
    ]
    env = fake_docker.install(tmp_path / "bin", {"containers": containers, "images": images})
    script = PruneImages(_remote(), 2).script()
    result = subprocess.run(["bash", "-s"], input=script, capture_output=True, text=True,
                            env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    after = fake_docker.load(env)
    # The window of api is r5, r6 (keep 2, and r6 is current). r1: another app's container;
    # r2: api-staging's window; r3: the labelled state dir's window; r4: nothing -> removed.
    assert after["removed"] == ["sha256:r4"]
    assert PruneImages(_remote(), 2).parse(_reply(result.stdout)).removed == ("sha256:r4",)
    assert (state / "keep").read_text() == "2\n"
    assert not any(call[:2] == ["image", "rm"] and "--force" in call for call in after["calls"])


def test_pruning_stops_when_a_state_dir_cannot_be_read(tmp_path: Path) -> None:
    home = tmp_path / "bin" / "home"
    state = home / ".shipyard" / "api"
    for number in range(1, 4):
        _record(state, f"r{number}", f"reg/api:r{number}")
    (state / "current").write_text("r3\n")
    gone = str(tmp_path / "nobody" / "state")  # a label names it; it cannot be listed
    env = fake_docker.install(tmp_path / "bin", {
        "containers": [_container("x-1", "sha256:x", gone)],
        "images": {f"reg/api:r{n}": f"sha256:r{n}" for n in range(1, 4)},
    })  # fmt: skip
    script = PruneImages(_remote(), 1).script()
    result = subprocess.run(["bash", "-s"], input=script, capture_output=True, text=True,
                            env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "removed" not in fake_docker.load(env)
    parsed = PruneImages(_remote(), 1).parse(_reply(result.stdout))
    assert parsed.kept == f"cannot read {gone}/releases"


def test_a_hostile_exec_command_reaches_docker_as_one_argument(tmp_path: Path) -> None:
    home = tmp_path / "bin" / "home"
    (home / ".shipyard" / "api").mkdir(parents=True)
    (home / ".shipyard" / "api" / "current").write_text("r1\n")
    live = _container("api-r1-1", "sha256:r1")
    live["labels"]["shipyard.release"], live["state"] = "r1", "running"
    env = fake_docker.install(tmp_path / "bin", {"containers": [live], "images": {},
                                                 "exec_code": 3})  # fmt: skip
    step = Exec(_remote(), EVIL)
    result = subprocess.run(["bash", "-s"], input=step.script(), capture_output=True,
                            text=True, env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    (call,) = [c for c in fake_docker.load(env)["calls"] if c[0] == "exec"]
    assert call == ["exec", "api-r1-1", "sh", "-c", EVIL]
    assert not Path("/tmp/pwned").exists()
    value = step.parse(_reply(result.stdout))
    assert (value.container, value.release, value.code, value.output) == (
        "api-r1-1", "r1", 3, "exec in api-r1-1",
    )  # fmt: skip


def _reply(output: str) -> Any:
    from tests.deploy.memory_fleet import reply

    return reply(0, output.splitlines())


def test_what_the_app_prints_cannot_pass_for_a_marker() -> None:
    forged = "@@shipyard exec-exit 0"
    step = Exec(_remote(), "true")
    value = step.parse(_reply("\n".join(["@@shipyard exec-in c r1", "| " + forged,
                                         "@@shipyard exec-exit 7"])))  # fmt: skip
    assert value.code == 7 and value.output == forged
    assert json.dumps(value.output)
