"""Golden snapshots of every remote step's script, string for string (as Kamal tests its
command builders), with the here-document tokens seeded. Every script is the preamble (the
functions all steps share: ``preamble.sh``, ``preamble-no-proxy.sh``), a blank line, then the
step's own part (``<case>.sh``). A change to a script shows here as a diff to review;
``SHIPYARD_UPDATE_GOLDEN=1`` rewrites the files. The whole scripts pass bash and shellcheck
here; the real-host tests prove they work."""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

from shipyard.deploy import compose, compose_scripts, scripts
from shipyard.deploy.releases import LockHolder, Release
from tests.deploy.test_pure import EVIL, assert_valid_bash

GOLDEN = Path(__file__).parent / "golden"
DIGEST = "reg/api@sha256:" + "b" * 64
NEW, OLD = "20260101000000-r1", "20251231000000-r0"
OLD_NAMES = [f"api-{OLD}-1", f"api-{OLD}-2"]
ENV = {"SECRET": EVIL, "PLAIN": "1"}
COMPOSE = """services:
  web:
    image: ${SHIPYARD_IMAGE}
    expose: ["8080"]
    environment:
      NOTE: "%s"
  worker:
    image: ${SHIPYARD_IMAGE}
"""


def remote(**extra: object) -> scripts.Remote:
    values: dict[str, object] = {
        "app": "api", "state_dir": "~/.shipyard", "image": "reg/api:1", "port": 8080,
        "release": NEW, "replicas": 2, "health_attempts": 3, "health_interval": 0.5,
        "health_path": "/health", "proxy": "nginx", "proxy_config": "~/nginx/api.conf",
        "proxy_check": "nginx -t -q", "proxy_reload": "nginx -s reload",
        "run_url": "https://github.example/o/r/actions/runs/1", "actor": "octocat",
    }  # fmt: skip
    values.update(extra)
    return scripts.Remote(**values)  # type: ignore[arg-type]


def cases() -> dict[str, Callable[[], str]]:
    r, none, c = remote(), remote(proxy="none"), remote(compose=True, replicas=1)
    holder = LockHolder("lockid1", "https://github.example/o/r/actions/runs/1", EVIL,
                        1700000000.0, 1800.0, NEW)  # fmt: skip
    parsed = compose.parse(COMPOSE % EVIL.replace("'", "").replace('"', ""), 8080, None)
    record = Release(NEW, "reg/api:1", DIGEST, 1700000000.0, "https://github.example/run", EVIL,
                     "deployed", 2).to_json()  # fmt: skip
    audit = '{"event": "deployed"}'
    return {
        "lock": lambda: scripts.lock(r, holder),
        "lock-compose": lambda: scripts.lock(c, holder, compose_scripts.CHECK),
        "unlock": lambda: scripts.unlock(r, "lockid1"),
        "stop-steps": lambda: scripts.stop_steps(r, "shipyard-step-0123456789abcdef-0"),
        "pull-login": lambda: scripts.pull(r, "bot", EVIL),
        "pull": lambda: scripts.pull(r, "", ""),
        "pull-ref": lambda: scripts.pull(r, "", "", DIGEST),
        "pull-docker-hub": lambda: scripts.pull(remote(image="library/api:1"), "bot", "pw"),
        "hook": lambda: scripts.hook(r, "echo pre; ./backup", "pre-deploy"),
        "hook-extra": lambda: scripts.hook(
            r, "./smoke", "smoke", {"SHIPYARD_PREVIOUS_RELEASE": EVIL}
        ),
        "migrate": lambda: scripts.migrate(
            remote(volumes=("/srv/data:/data", "/etc/x:/x:ro")), "./manage.py migrate", ENV
        ),
        "start": lambda: scripts.start(r, ENV),
        "start-volumes": lambda: scripts.start(remote(volumes=("/srv/data:/data",)), ENV),
        "start-rollback": lambda: scripts.start(remote(release=OLD), ENV, image=DIGEST),
        "check": lambda: scripts.check(r, r.names()),
        "switch": lambda: scripts.switch(r, r.release, r.names()),
        "switch-no-proxy": lambda: scripts.switch(none, none.release, none.names()),
        "replica-1": lambda: scripts.replica(r, ENV, 1, OLD_NAMES, 1.0),
        "replica-2": lambda: scripts.replica(r, ENV, 2, OLD_NAMES, 1.0),
        "replica-first-deploy": lambda: scripts.replica(r, ENV, 2, [], 1.0),
        "replica-fewer": lambda: scripts.replica(remote(replicas=1), ENV, 1, OLD_NAMES, 0.0),
        "watch": lambda: scripts.watch(r, r.names(), "/var/log/nginx/api.log", 10),
        "watch-no-log": lambda: scripts.watch(r, r.names(), None, 0),
        "log-size": lambda: scripts.log_size(r, "~/nginx/api.access.log"),
        "log-size-none": lambda: scripts.log_size(r, None),
        "revert": lambda: scripts.revert(remote(health_attempts=121), OLD, OLD_NAMES, r.names()),
        "revert-first-deploy": lambda: scripts.revert(r, "", [], r.names()),
        "revert-nothing-started": lambda: scripts.revert(r, OLD, OLD_NAMES, []),
        "record": lambda: scripts.record(r, record, audit, NEW, 5),
        "record-compose": lambda: scripts.record(c, record, audit, NEW, 3),
        "bring-back": lambda: scripts.bring_back(remote(release=OLD), OLD, OLD_NAMES),
        "stop-old": lambda: scripts.stop(OLD_NAMES, r, 9.0),
        "stop-old-audit": lambda: scripts.stop(OLD_NAMES, r, 1.0, '{"event": "rollback"}'),
        "stop-nothing": lambda: scripts.stop([], r, 1.0, '{"event": "rollback"}'),
        "stop-recreate": lambda: scripts.stop(OLD_NAMES, r),
        "compose-start": lambda: compose_scripts.start(c, parsed, ENV, NEW + ".2", EVIL),
        "compose-start-kept": lambda: compose_scripts.start(c, None, ENV, OLD, DIGEST),
        "compose-check": lambda: compose_scripts.check(c, NEW, [f"api-{NEW}-web-1"]),
        "compose-watch": lambda: scripts.watch(
            c, [f"api-{NEW}-web-1"], "/var/log/x.log", 0, compose_scripts.watch_extra(c, NEW)
        ),
        "compose-stop-old": lambda: compose_scripts.stop(c, OLD, 4.0),
        "compose-stop-old-audit": lambda: compose_scripts.stop(c, OLD, 1.0, '{"event": "x"}'),
        "compose-bring-back": lambda: compose_scripts.bring_back(c, OLD),
        "compose-revert": lambda: compose_scripts.revert(c, OLD, NEW),
        "compose-revert-first-deploy": lambda: compose_scripts.revert(c, "", NEW),
    }


def render(make: Callable[[], str], monkeypatch: pytest.MonkeyPatch) -> str:
    """``make()`` with here-document tokens 0000000000000001, ...2, ... (seeded)."""
    counter = itertools.count(1)
    monkeypatch.setattr(secrets, "token_hex", lambda _n=8: f"{next(counter):016x}")
    return make()


def _golden(name: str, text: str) -> str:
    path = GOLDEN / f"{name}.sh"
    if os.environ.get("SHIPYARD_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    return path.read_text()


def _preamble(name: str) -> str:
    return "preamble-no-proxy" if name.endswith("-no-proxy") else "preamble"


def test_the_preamble_every_step_starts_with() -> None:
    for name, r in (("preamble", remote()), ("preamble-no-proxy", remote(proxy="none"))):
        assert r.preamble() == _golden(name, r.preamble()), f"{name} changed"


@pytest.mark.parametrize("name", sorted(cases()))
def test_each_step_renders_its_golden_script(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = render(cases()[name], monkeypatch)
    preamble = (GOLDEN / f"{_preamble(name)}.sh").read_text() + "\n"
    assert text.startswith(preamble), f"{name}: the preamble changed"
    body = text[len(preamble) :]
    assert body == _golden(name, body), f"{name}: the script changed (see golden/{name}.sh)"


def test_every_golden_script_is_valid_bash(tmp_path: Path) -> None:
    steps = {p.stem for p in GOLDEN.glob("*.sh")} - {"preamble", "preamble-no-proxy"}
    assert steps == set(cases()), "a golden file without its case, or the other way"
    texts = {
        name: (GOLDEN / f"{_preamble(name)}.sh").read_text()
        + "\n"
        + (GOLDEN / f"{name}.sh").read_text()
        for name in sorted(steps)
    }
    assert_valid_bash(texts, tmp_path)
